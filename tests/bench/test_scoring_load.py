"""Scores do not move with the machine's load: outcomes.csv reproduced under load we create.

Two busy processes per core run while the scorer scores a known timeout (its hidden tests
never finish), the slowest passing programs of the suite (HumanEval/15: about 6 s of CPU,
which a wall-clock limit turns into timeouts on a loaded machine) and a seeded sample of
other sample-0 programs; every result must equal ``hidden_pass`` in outcomes.csv. Bounded:
about 45 s of CPU in all, about a minute of wall time on an otherwise idle 2-core machine.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.bench.replay import solution_text
from escalator.bench.scorer import Scorer
from escalator.bench.suite import load_suite

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "humaneval"
KNOWN_TIMEOUT = ("starcoder-15b", "HumanEval/46")  # recursion without memo: > 20 s of CPU
SLOW_PASSES = (("gpt-4-0314", "HumanEval/15"), ("llama-3-8b-instruct", "HumanEval/15"))
SAMPLE = 8

pytestmark = pytest.mark.skipif(
    not (SHARED / "outcomes.csv").is_file(), reason="shared/bench/humaneval is not here"
)


@pytest.fixture
def busy_machine() -> Iterator[int]:
    """Two CPU-bound processes per core for the duration of the test."""
    count = min(16, 2 * (os.cpu_count() or 1))
    procs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield count
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def _outcomes() -> dict[tuple[str, str], bool]:
    with (SHARED / "outcomes.csv").open() as fh:
        return {
            (r["model"], r["id"]): r["hidden_pass"] == "1"
            for r in csv.DictReader(fh)
            if r["sample"] == "0"
        }


def test_outcomes_are_reproduced_on_a_loaded_machine(busy_machine: int) -> None:
    expected = _outcomes()
    suite = load_suite(SHARED)
    others = sorted(k for k in expected if k != KNOWN_TIMEOUT and k[1] != "HumanEval/15")
    chosen = [KNOWN_TIMEOUT, *SLOW_PASSES, *random.Random(12).sample(others, SAMPLE)]
    scorer = Scorer(suite.problems, workers=2)
    try:
        futures = {
            key: scorer.hidden(
                key[1], solution_text(suite.problem(key[1]), suite.samples(*key)[0].code)
            )
            for key in chosen
        }
        results = {key: future.result() for key, future in futures.items()}
    finally:
        scorer.close()
    assert not expected[KNOWN_TIMEOUT] and results[KNOWN_TIMEOUT].over_limit
    assert all(expected[k] for k in SLOW_PASSES)
    wrong = {k: r for k, r in results.items() if r.passed != expected[k]}
    assert not wrong, f"scores moved under load ({busy_machine} busy processes): {wrong}"
