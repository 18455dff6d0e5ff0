"""The persistent score cache: a warm run re-runs nothing and scores the same; anything
a result depends on (program, limit, recipe) misses; a damaged or foreign file is a
clear error or rebuilt, never a traceback."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from pathlib import Path

from click.testing import CliRunner, Result

from escalator.bench.runner import BenchOptions, BenchRun, run_bench
from escalator.bench.score_cache import ScoreCache, default_score_cache_path
from escalator.bench.scorer import Scorer
from escalator.bench.scoring import ScoredRun, recipe_fingerprint
from escalator.bench.suite import load_suite
from escalator.cli.main import cli

SHAPES = Path(__file__).resolve().parent / "shapes"
GOOD_ADD = "def add_numbers(a, b):\n    return a + b\n"


def _scores(
    run: BenchRun,
) -> tuple[list[tuple[str, str, str | None, bool, bool]], dict[tuple[str, str], bool]]:
    records = [(r.id, r.outcome, r.final_model, r.visible_pass, r.hidden_pass) for r in run.records]
    return records, dict(run.sample0)


def test_a_warm_run_runs_no_program_and_scores_the_same(tmp_path: Path) -> None:
    suite = load_suite(SHAPES / "helpers")
    cache = tmp_path / "scores.sqlite"

    def bench(name: str) -> BenchRun:
        options = BenchOptions(concurrency=2, db_path=tmp_path / f"{name}.db", score_cache=cache)
        return run_bench(suite, options)

    cold, warm = bench("cold"), bench("warm")
    assert cold.scoring_runs > 0 and cold.scoring_cached == 0
    assert warm.scoring_runs == 0
    assert warm.scoring_cached == cold.scoring_runs
    assert _scores(warm) == _scores(cold)
    uncached = run_bench(suite, BenchOptions(concurrency=2, db_path=tmp_path / "none.db"))
    assert _scores(uncached) == _scores(cold)  # the cache changes no score
    assert uncached.scoring_cached == 0 and uncached.score_cache is None


def test_a_changed_program_limit_or_recipe_misses(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = ScoreCache(path)
    result = ScoredRun(True, False, 0.5, 0, 0.1)
    cache.put("print(1)\n", 20.0, result)
    assert cache.get("print(1)\n", 20.0) == result
    assert cache.get("print(2)\n", 20.0) is None
    assert cache.get("print(1)\n", 21.0) is None
    cache.close()
    other_recipe = ScoreCache(path, fingerprint=recipe_fingerprint() + "-changed")
    assert other_recipe.get("print(1)\n", 20.0) is None
    other_recipe.close()
    again = ScoreCache(path)  # the same recipe, reopened: still there
    assert again.get("print(1)\n", 20.0) == result
    again.close()


def test_runs_ended_from_outside_are_never_served(tmp_path: Path) -> None:
    cache = ScoreCache(tmp_path / "c.sqlite")
    killed = ScoredRun(False, False, 0.9, -signal.SIGTERM, 0.3)  # someone's SIGTERM
    capped = ScoredRun(False, True, 80.0, None, 4.0)  # the wall-clock backstop
    crashed = ScoredRun(False, False, 0.2, -signal.SIGSEGV, 0.1)  # the program's own doing
    timeout = ScoredRun(False, True, 25.0, -signal.SIGXCPU, 20.0, over_limit=True)
    for n, run in enumerate((killed, capped, crashed, timeout)):
        cache.put(f"run {n}\n", 20.0, run)
    assert cache.get("run 0\n", 20.0) is None and cache.get("run 1\n", 20.0) is None
    assert cache.get("run 2\n", 20.0) == crashed and cache.get("run 3\n", 20.0) == timeout
    with cache._conn:  # a row an older rule stored is not served either
        cache._conn.execute(
            "insert into scores values (?, 0, 0, 0, 0.9, ?, 0.3, 0)",
            (cache.key("old\n", 20.0), -signal.SIGTERM),
        )
    assert cache.get("old\n", 20.0) is None
    cache.close()


def test_the_scorer_stores_runs_and_reruns_only_what_changed(tiny_suite_dir: Path) -> None:
    problems = load_suite(tiny_suite_dir).problems
    path = tiny_suite_dir / "scores.sqlite"
    first = Scorer(problems, workers=2, cache=ScoreCache(path))
    try:
        assert first.hidden("Tiny/add", GOOD_ADD).result().passed
        assert first.runs == 2 and first.cached == 0  # the reference solution, then the program
    finally:
        first.close()
    second = Scorer(problems, workers=2, cache=ScoreCache(path))
    try:
        assert second.hidden("Tiny/add", GOOD_ADD).result().passed
        assert second.runs == 0 and second.cached == 2
        wrong = GOOD_ADD.replace("a + b", "a * b")
        assert not second.hidden("Tiny/add", wrong).result().passed
        assert second.runs == 1
    finally:
        second.close()


def test_writers_in_several_threads_and_connections_share_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    caches = [ScoreCache(path) for _ in range(3)]

    def write(n: int) -> None:
        for i in range(40):
            caches[n % 3].put(f"x = {n}_{i}\n", 20.0, ScoredRun(i % 2 == 0, False, 0.1, 0))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(c.errors == 0 for c in caches)
    assert caches[0].get("x = 5_39\n", 20.0) == ScoredRun(False, False, 0.1, 0)
    for c in caches:
        c.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from scores").fetchone()[0] == 240
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def _bench(suite: Path, db: Path, *extra: str) -> Result:
    args = ["bench", "--suite", str(suite), "--db", str(db), "--protocol", "default", "--json"]
    return CliRunner().invoke(cli, [*args, *extra])


def test_a_file_that_is_not_a_score_cache_is_a_clear_error_and_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 10)
    result = _bench(SHAPES / "stubs", tmp_path / "b.db", "--score-cache", str(notes))
    assert result.exit_code == 2
    assert "notes.txt is not a score cache" in result.stderr
    assert "Traceback" not in result.output
    assert notes.read_text() == "my notes, not a database\n" * 10
    other_db = tmp_path / "other.db"
    with sqlite3.connect(other_db) as conn:
        conn.execute("create table mine (x)")
    clash = _bench(SHAPES / "stubs", tmp_path / "c.db", "--score-cache", str(other_db))
    assert clash.exit_code == 2 and "not a score cache" in clash.stderr


def test_a_damaged_cache_of_ours_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "scores.sqlite"
    cold = _bench(SHAPES / "stubs", tmp_path / "a.db", "--score-cache", str(path))
    assert cold.exit_code == 0, cold.output
    cold_data = json.loads(cold.stdout)
    with sqlite3.connect(path) as conn:  # fold the WAL in: the damage must reach the file
        conn.execute("pragma wal_checkpoint(truncate)")
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the schema page, past the header
    path.write_bytes(bytes(raw))
    warm = _bench(SHAPES / "stubs", tmp_path / "b.db", "--score-cache", str(path))
    assert warm.exit_code == 0, warm.output
    data = json.loads(warm.stdout)
    assert data["scoring_cached"] == 0 and data["scoring_runs"] == cold_data["scoring_runs"]
    assert data["pass_rate"] == cold_data["pass_rate"]
    again = _bench(SHAPES / "stubs", tmp_path / "c.db", "--score-cache", str(path))
    assert json.loads(again.stdout)["scoring_runs"] == 0


def test_the_default_cache_lives_in_the_user_cache_dir_and_can_be_off(
    tmp_path: Path, isolated_user_dirs: Path
) -> None:
    assert (
        default_score_cache_path() == isolated_user_dirs / "cache" / "escalator" / "scores.sqlite"
    )
    first = _bench(SHAPES / "stubs", tmp_path / "a.db")
    assert json.loads(first.stdout)["score_cache"] == str(default_score_cache_path())
    assert default_score_cache_path().is_file()
    off = _bench(SHAPES / "stubs", tmp_path / "b.db", "--no-score-cache")
    data = json.loads(off.stdout)
    assert data["score_cache"] is None and data["scoring_cached"] == 0 and data["scoring_runs"] > 0
    both = _bench(SHAPES / "stubs", tmp_path / "c.db", "--no-score-cache", "--score-cache", "x")
    assert both.exit_code == 2
