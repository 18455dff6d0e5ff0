"""Speed figures (pytest-benchmark, marked ``bench``): recognition, replies, scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from escalator.bench.fleet import ReplayServer
from escalator.bench.replay import ReplayBook
from escalator.bench.scoring import run_program
from escalator.bench.suite import load_suite
from escalator.bench.tasks import stub_source

# ../shared beside the repository, as in CI (never an absolute path)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "bench" / "humaneval"
pytestmark = [
    pytest.mark.bench,
    pytest.mark.skipif(not SHARED.is_dir(), reason="shared HumanEval suite not present"),
]


@pytest.fixture(scope="module")
def book() -> ReplayBook:
    return ReplayBook(load_suite(SHARED))


def test_recognise_all_164_prompts(benchmark: Any, book: ReplayBook) -> None:
    prompts = [
        f"Task.\n\nsolution.py\n```python\n{stub_source(p)}```\n" for p in book.suite.problems
    ]

    def recognise_all() -> int:
        return sum(book.recognise(p) is not None for p in prompts)

    assert benchmark(recognise_all) == 164


def test_fleet_round_trip(benchmark: Any, book: ReplayBook) -> None:
    prompt = f"solution.py\n```python\n{stub_source(book.suite.problems[10])}```\n"
    body = {"model": "gpt-4-0314", "messages": [{"role": "user", "content": prompt}]}
    with ReplayServer(book) as server, httpx.Client() as client:
        url = f"{server.url}/v1/chat/completions"
        result = benchmark(lambda: client.post(url, json=body).json())
    assert result["choices"][0]["message"]["content"]


def test_scoring_run_with_numpy(benchmark: Any) -> None:
    result = benchmark(lambda: run_program("import numpy\nassert numpy.ones(3).sum() == 3\n", 20))
    assert result.passed
