"""The scorer: many programs scored on a thread pool, each distinct program once.

``bench.scoring`` runs one program under the recipe; the scorer dedupes programs, measures
each problem's reference time first (its limit T(p)), re-runs once what the wall-clock
backstop stopped, and consults a persistent score cache (``bench.score_cache``) when
given one.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from escalator.bench import scoring
from escalator.bench.scoring import (
    MAX_TIMEOUT_S,
    ScoredRun,
    hidden_program,
    needs_rerun,
    run_program,
    syntax_ok,
    timeout_for,
    visible_program,
)
from escalator.bench.suite import Problem

__all__ = ["ScoreStore", "Scorer"]


class ScoreStore(Protocol):
    """Where a scorer keeps conclusive results between runs (``bench.score_cache``)."""

    path: Path

    def get(self, text: str, timeout_s: float) -> ScoredRun | None: ...

    def put(self, text: str, timeout_s: float, run: ScoredRun) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _FirstRun:
    """A program's first run, with what a re-run needs."""

    text: str
    timeout: float
    result: ScoredRun


def _settle_future(source: Future[ScoredRun], target: Future[ScoredRun]) -> None:
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


class Scorer:
    """Scores programs on hidden tests with a thread pool; one run per distinct program.

    The per-problem limit T(p) comes from the canonical solution's CPU time, measured
    first. Limits are CPU time (see the module docstring); a run the wall-clock cap stopped
    before it used its CPU limit is re-run once, one per CPU core beside the main pool,
    with twice the cap, and the second result kept. With a ``cache`` (which the scorer
    then owns and closes), a run already stored there is not run again (``cached``
    counts those), and every conclusive run is stored.
    """

    def __init__(
        self, problems: Iterable[Problem], *, workers: int = 4, cache: ScoreStore | None = None
    ) -> None:
        self._cache = cache
        self._problems = {p.id: p for p in problems}
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="score")
        self._lock = threading.Lock()
        # Re-runs of timed-out programs run one at a time, beside the main pool.
        # one re-run per core: each gets a whole core, as a serial re-run on a quiet
        # machine would, without making the re-runs dominate the wall time
        self._rerun_pool = ThreadPoolExecutor(
            max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="rerun"
        )
        self._hidden: dict[str, Future[ScoredRun]] = {}
        self._visible: dict[str, Future[ScoredRun]] = {}
        self._t_ref: dict[str, Future[float | None]] = {}
        self.runs = 0
        self.cached = 0
        self.reruns = 0
        self.reruns_skipped = 0

    @property
    def cache_path(self) -> Path | None:
        return self._cache.path if self._cache is not None else None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._rerun_pool.shutdown(wait=True, cancel_futures=True)
        if self._cache is not None:
            self._cache.close()

    def hidden(self, problem_id: str, program: str) -> Future[ScoredRun]:
        """Score ``program`` (context included) on the problem's hidden tests."""
        problem = self._problems[problem_id]
        program = _normalise(program)
        key = _key(problem_id, "hidden", program)
        return self._submit(self._hidden, key, lambda: self._run_hidden(problem, program))

    def visible(self, problem_id: str, program: str) -> Future[ScoredRun]:
        """Run ``program`` with all its visible asserts in one process (timeout 10 s)."""
        problem = self._problems[problem_id]
        program = _normalise(program)
        key = _key(problem_id, "visible", program)
        return self._submit(self._visible, key, lambda: self._run_visible(problem, program))

    def _submit(
        self, table: dict[str, Future[ScoredRun]], key: str, job: Callable[[], _FirstRun]
    ) -> Future[ScoredRun]:
        with self._lock:
            if key in table:
                return table[key]
            outer: Future[ScoredRun] = Future()
            table[key] = outer
        self._pool.submit(job).add_done_callback(lambda first: self._after_first(first, outer))
        return outer

    def _after_first(self, first: Future[_FirstRun], outer: Future[ScoredRun]) -> None:
        """Settle a run, or queue its one re-run (serial, off the main pool) on a timeout."""
        if first.cancelled():
            outer.cancel()
            return
        error = first.exception()
        if error is not None:
            outer.set_exception(error)
            return
        done = first.result()
        if not done.result.timed_out:
            outer.set_result(done.result)
        elif not needs_rerun(done.result, done.timeout):
            self._count("reruns_skipped")
            outer.set_result(done.result)
        else:
            self._count("reruns")
            again = self._rerun_pool.submit(
                self._run_and_store, done.text, done.timeout, 2 * scoring.WALL_FACTOR
            )  # looked up now: tests may lower it
            again.add_done_callback(lambda f: _settle_future(f, outer))

    def _run_visible(self, problem: Problem, program: str) -> _FirstRun:
        return self._first_run(
            program, visible_program(problem, program), scoring.VISIBLE_TIMEOUT_S
        )

    def _run_hidden(self, problem: Problem, program: str) -> _FirstRun:
        if not syntax_ok(program):
            return _FirstRun("", 0.0, ScoredRun(False, False, 0.0, None))
        timeout = timeout_for(self._reference_time(problem))
        return self._first_run(program, hidden_program(problem, program), timeout)

    def _first_run(self, program: str, text: str, timeout: float) -> _FirstRun:
        if not syntax_ok(program):
            return _FirstRun(text, timeout, ScoredRun(False, False, 0.0, None))
        return _FirstRun(text, timeout, self._run_cached(text, timeout))

    def _run_cached(self, text: str, timeout: float) -> ScoredRun:
        """The cache's result for ``text`` under ``timeout``, else a run (then stored)."""
        stored = self._cache.get(text, timeout) if self._cache is not None else None
        if stored is not None:
            self._count("cached")
            return stored
        self._count("runs")
        return self._run_and_store(text, timeout)

    def _run_and_store(
        self, text: str, timeout: float, wall_factor: float | None = None
    ) -> ScoredRun:
        result = run_program(text, timeout, wall_factor=wall_factor)
        if self._cache is not None:
            self._cache.put(text, timeout, result)  # kept only when conclusive
        return result

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def _reference_time(self, problem: Problem) -> float | None:
        """Time of the canonical solution on the hidden tests (measured once, inline)."""
        with self._lock:
            fut = self._t_ref.get(problem.id)
            mine = fut is None
            if fut is None:
                fut = Future()
                self._t_ref[problem.id] = fut
        if mine:
            fut.set_result(self._measure_reference(problem))
        return fut.result()

    def _measure_reference(self, problem: Problem) -> float | None:
        if problem.canonical_solution is None:
            return None
        text = hidden_program(problem, problem.canonical_solution)
        result = self._run_cached(text, MAX_TIMEOUT_S)
        if not result.passed:
            return None
        # CPU time, not wall time: a busy machine must not stretch every limit.
        return result.cpu_s if result.cpu_s is not None else result.seconds


def _normalise(program: str) -> str:
    """Trailing blank lines do not change a program; dropping them dedupes runs."""
    return program.rstrip() + "\n"


def _key(problem_id: str, kind: str, program: str) -> str:
    digest = hashlib.sha256(program.encode("utf-8", errors="surrogatepass")).hexdigest()
    return f"{problem_id}\0{kind}\0{digest}"
