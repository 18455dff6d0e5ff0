"""The hidden-test scoring recipe: real subprocesses, nonce, limits, timeouts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from escalator.bench import scoring
from escalator.bench.score_cache import ScoreCache
from escalator.bench.scorer import Scorer
from escalator.bench.scoring import (
    ScoredRun,
    needs_rerun,
    run_program,
    syntax_ok,
    timeout_for,
)
from escalator.bench.suite import load_suite


def test_passing_program_prints_the_nonce() -> None:
    result = run_program("assert 1 + 1 == 2\n", 10)
    assert result.passed and not result.timed_out


def test_failing_assert_fails() -> None:
    assert not run_program("assert 1 + 1 == 3\n", 10).passed


def test_os_exit_zero_cannot_fake_a_pass() -> None:
    result = run_program("import os\nos._exit(0)\n", 10)
    assert result.returncode == 0
    assert not result.passed


def test_printing_ok_lines_cannot_fake_a_pass() -> None:
    program = "import sys\nprint('OK:whatever')\nsys.stdout.flush()\nraise SystemExit(0)\n"
    assert not run_program(program, 10).passed


def test_exit_and_guarded_functions_are_disabled() -> None:
    assert not run_program("exit(0)\n", 10).passed
    assert not run_program("import os\nos.system('true')\n", 10).passed


def test_main_block_does_not_run() -> None:
    assert run_program("if __name__ == '__main__':\n    raise SystemExit(1)\n", 10).passed


def test_empty_environment_and_hash_seed() -> None:
    program = (
        "import os\nassert 'HOME' not in os.environ\n"
        "assert os.environ['PYTHONHASHSEED'] == '0'\nassert os.environ['OMP_NUM_THREADS'] == '1'\n"
    )
    assert run_program(program, 10).passed


def test_timeout_kills_the_program() -> None:
    result = run_program("while True:\n    pass\n", 1.0)
    assert result.timed_out and result.over_limit and not result.passed


def test_memory_limit_applies() -> None:
    assert not run_program("x = bytearray(6 * 1024 ** 3)\n", 10).passed


def test_syntax_and_timeout_rules() -> None:
    assert syntax_ok("def f():\n    return 1\n")
    assert not syntax_ok("def f(:\n")
    assert timeout_for(None) == 20
    assert timeout_for(1.0) == 20
    assert timeout_for(6.0) == 23
    assert timeout_for(100.0) == 120


def test_scorer_hidden_and_visible_with_dedupe(tiny_suite_dir: Path) -> None:
    suite = load_suite(tiny_suite_dir)
    scorer = Scorer(suite.problems, workers=2)
    try:
        good = "def clamp_value(x, lo, hi):\n    return max(lo, min(hi, x))\n"
        bad = "def clamp_value(x, lo, hi):\n    return hi\n"
        assert scorer.hidden("Tiny/clamp", good).result().passed  # hidden test imports numpy
        assert not scorer.hidden("Tiny/clamp", bad).result().passed
        assert scorer.visible("Tiny/clamp", bad).result().passed  # a false accept
        runs = scorer.runs
        assert scorer.hidden("Tiny/clamp", good + "\n\n").result().passed
        assert scorer.runs == runs  # same program, scored once
        assert not scorer.hidden("Tiny/clamp", "def clamp_value(:\n").result().passed
    finally:
        scorer.close()


def test_rerun_rule() -> None:
    assert not needs_rerun(ScoredRun(True, False, 1.0, 0), 20)
    assert needs_rerun(ScoredRun(False, True, 80.0, None, cpu_s=4.0), 20)  # blocked or starved
    assert not needs_rerun(ScoredRun(False, True, 25.0, -24, 20.0, over_limit=True), 20)


def test_the_limit_is_cpu_plus_sleep_time_not_waiting_for_a_cpu() -> None:
    spin = run_program("while True:\n    pass\n", 1.0)
    assert spin.timed_out and spin.over_limit and spin.cpu_s is not None
    # the kernel's RLIMIT_CPU clock and wait4's rusage disagree by a tick or so on a loaded
    # VM (SIGXCPU at 0.89 s of rusage was seen at a load of 10): stopped by the CPU limit
    assert spin.cpu_s >= 0.8
    nap = run_program("import time\ntime.sleep(2.5)\n", 1.0)  # too slow on any machine
    assert nap.timed_out and nap.over_limit and not nap.passed
    assert run_program("import time\ntime.sleep(0.5)\n", 3.0).passed


def test_the_wall_clock_backstop_reruns_once(
    tiny_suite_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring, "_proc_state", lambda pid: (None, None))  # no /proc
    monkeypatch.setattr(scoring, "VISIBLE_TIMEOUT_S", 1.0)
    monkeypatch.setattr(scoring, "WALL_FACTOR", 1.0)
    cache_file = tiny_suite_dir / "scores.sqlite"
    cache = ScoreCache(cache_file)
    scorer = Scorer(load_suite(tiny_suite_dir).problems, workers=1, cache=cache)
    try:
        sleeper = scorer.visible("Tiny/add", "import time\ntime.sleep(60)\n").result(timeout=40)
        assert sleeper.timed_out and not sleeper.passed and not sleeper.over_limit
        assert scorer.reruns == 1  # inconclusive: re-run once, off the main pool
        assert scorer.runs == 1
    finally:
        scorer.close()
    with sqlite3.connect(cache_file) as conn:  # what the backstop stopped is never cached
        assert conn.execute("select count(*) from scores").fetchone()[0] == 0


def test_passing_run_reports_its_cpu_time() -> None:
    result = run_program("total = sum(range(3_000_000))\n", 10)
    assert result.passed
    assert result.cpu_s is not None and 0 < result.cpu_s <= result.seconds + 0.05
