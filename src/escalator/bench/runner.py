"""The bench: run the engine's cascade over a suite through the replay fleet, then score.

Each problem becomes a real task (``bench.tasks``) that the engine runs through its chain
against the replay fleet, with its own validators on the visible tests; acceptance is the
engine's decision alone. Only after the engine finished a task is its accepted code run
on the hidden tests (``bench.scoring``). Every model's sample 0 is scored once per run
too, for the baselines (each model alone) and the oracle.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalator.bench.fleet import FleetSettings, ReplayServer
from escalator.bench.matrix import bench_config, check_chain, default_chain
from escalator.bench.replay import SOLUTION_FILE, ReplayBook, solution_text
from escalator.bench.score_cache import ScoreCache
from escalator.bench.scorer import Scorer
from escalator.bench.scoring import ScoredRun
from escalator.bench.suite import Suite
from escalator.bench.tasks import BENCH_VALIDATORS, build_workspace, task_request
from escalator.config import Config, PolicyMode
from escalator.errors import InputError
from escalator.task import Outcome

__all__ = [
    "BenchEvent",
    "BenchOptions",
    "ProblemRun",
    "open_scorer",
    "run_bench",
]

_Pending = tuple[Future[ScoredRun], Future[ScoredRun]] | None


@dataclass(frozen=True)
class BenchEvent:
    """Progress: a task started, a model attempt started, or a task finished."""

    kind: str  # task_start, attempt, task_done, scoring
    problem_id: str
    model: str | None = None
    outcome: ProblemRun | None = None
    done: int = 0
    total: int = 0


@dataclass
class BenchOptions:
    """How a bench run goes; ``base`` supplies validation settings and the log path."""

    chain: tuple[str, ...] | None = None
    limit: int | None = None
    concurrency: int = 4
    db_path: Path | None = None
    base: Config | None = None
    fleet: FleetSettings = field(default_factory=FleetSettings)
    attempts_per_model: int = 1
    score_workers: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))
    pytest: bool = False
    validators: tuple[str, ...] = BENCH_VALIDATORS
    trusted: tuple[str, ...] = ()
    on_event: Callable[[BenchEvent], None] | None = None
    policy: PolicyMode | None = None  # None: the config's [policy] mode (learned by default)
    scorer: Scorer | None = None  # shared between runs (protocols): scores each program once
    score_cache: Path | None = None  # a persistent score cache for the scorer a run opens


@dataclass
class ProblemRun:
    """One problem's run: what the engine decided, and how the result scored."""

    id: str
    outcome: str
    final_model: str | None
    models_tried: list[str]
    attempts: int
    cost_usd: float
    tokens_in: int
    tokens_out: int
    task_id: str | None
    program: str | None = None
    visible_pass: bool = False
    hidden_pass: bool = False
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome == Outcome.PASSED.value and self.program is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "final_model": self.final_model,
            "models_tried": list(self.models_tried),
            "attempts": self.attempts,
            "cost_usd": round(self.cost_usd, 8),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "visible_pass": self.visible_pass,
            "hidden_pass": self.hidden_pass,
            "task_id": self.task_id,
        }


@dataclass
class BenchRun:
    """Everything a report needs, from one run."""

    suite: Suite
    chain: tuple[str, ...]
    records: list[ProblemRun]
    sample0: dict[tuple[str, str], bool]
    first_prompt_tokens: dict[str, int]
    book: ReplayBook
    wall_s: float
    estimated_model_time_s: float
    db_path: str
    cascade_s: float = 0.0
    paid_prompt_tokens: list[int] = field(default_factory=list)
    scoring_runs: int = 0
    scoring_cached: int = 0  # scoring runs the score cache answered (not run again)
    score_cache: str | None = None
    scoring_reruns: int = 0
    scoring_reruns_skipped: int = 0
    unrecognised: int = 0  # requests the replay fleet could not match to a problem


# --------------------------------------------------------------------------- the run


def run_bench(suite: Suite, options: BenchOptions) -> BenchRun:
    """Run the cascade over the suite and score it (blocking)."""
    return asyncio.run(run_bench_async(suite, options))


async def run_bench_async(suite: Suite, options: BenchOptions) -> BenchRun:
    if options.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if options.limit is not None and options.limit < 1:
        raise InputError("--limit must be at least 1")
    suite = suite.subset(options.limit)
    chain = check_chain(suite, options.chain or default_chain(suite))
    book = ReplayBook(suite)
    started = time.monotonic()
    scorer = options.scorer or open_scorer(suite, options)
    try:
        sample0 = _score_samples(suite, scorer)
        with ReplayServer(book, options.fleet) as server:
            cfg = bench_config(
                suite,
                chain,
                server.url,
                concurrency=options.concurrency,
                attempts_per_model=options.attempts_per_model,
                db_path=options.db_path,
                base=options.base,
                validators=options.validators,
                trusted=options.trusted,
                policy=options.policy,
            )
            done, db, cascade_s = await _run_cascade(suite, chain, cfg, options, scorer)
            estimated = server.estimated_model_time_s()
            first_prompts = _first_prompt_tokens(server)
            unrecognised = sum(1 for r in server.served if r.problem_id is None)
            paid_prompts = _paid_prompt_tokens(server, suite)
        pending = [f for _, p in done if p is not None for f in p]
        _wait_for_scores([*sample0.values(), *pending], options)
        records = [_settle(record, p) for record, p in done]
        sample0_results = {k: f.result().passed for k, f in sample0.items()}
    finally:
        if options.scorer is None:
            scorer.close()
    return BenchRun(
        suite=suite,
        chain=chain,
        records=records,
        sample0=sample0_results,
        first_prompt_tokens=first_prompts,
        book=book,
        wall_s=time.monotonic() - started,
        estimated_model_time_s=estimated,
        db_path=db,
        scoring_runs=scorer.runs,
        scoring_cached=scorer.cached,
        score_cache=None if scorer.cache_path is None else str(scorer.cache_path),
        cascade_s=cascade_s,
        paid_prompt_tokens=paid_prompts,
        scoring_reruns=scorer.reruns,
        scoring_reruns_skipped=scorer.reruns_skipped,
        unrecognised=unrecognised,
    )


def open_scorer(suite: Suite, options: BenchOptions) -> Scorer:
    """A scorer for the suite's problems, with the persistent cache ``options`` names."""
    cache = ScoreCache(options.score_cache) if options.score_cache is not None else None
    return Scorer(suite.problems, workers=options.score_workers, cache=cache)


def _score_samples(suite: Suite, scorer: Scorer) -> dict[tuple[str, str], Future[ScoredRun]]:
    """Queue every model's sample 0 for hidden scoring (baselines and oracle)."""
    out: dict[tuple[str, str], Future[ScoredRun]] = {}
    for problem in suite.problems:
        for model in suite.models:
            samples = suite.samples(model.slug, problem.id)
            if samples:
                program = solution_text(problem, samples[0].code)
                out[(model.slug, problem.id)] = scorer.hidden(problem.id, program)
    return out


def _wait_for_scores(futures: list[Future[ScoredRun]], options: BenchOptions) -> None:
    """Block until every queued scoring run is done, reporting progress."""
    emit = options.on_event or (lambda event: None)
    total = len(futures)
    emit(BenchEvent("scoring", "", done=sum(f.done() for f in futures), total=total))
    remaining = [f for f in futures if not f.done()]
    for count, _ in enumerate(as_completed(remaining), total - len(remaining) + 1):
        emit(BenchEvent("scoring", "", done=count, total=total))


def _first_prompt_tokens(server: ReplayServer) -> dict[str, int]:
    """Per problem, the prompt tokens of the engine's first request about it."""
    out: dict[str, int] = {}
    for served in server.served:
        if served.problem_id is not None and served.problem_id not in out:
            out[served.problem_id] = served.tokens_in
    return out


def _paid_prompt_tokens(server: ReplayServer, suite: Suite) -> list[int]:
    """The prompt tokens of every call the fleet served to a paid model."""
    paid = {m.slug for m in suite.models if not m.is_local}
    return [s.tokens_in for s in server.served if s.model in paid]


async def _run_cascade(
    suite: Suite, chain: tuple[str, ...], cfg: Config, options: BenchOptions, scorer: Scorer
) -> tuple[list[tuple[ProblemRun, _Pending]], str, float]:
    from escalator.providers import open_fleet
    from escalator.store import open_log

    started = time.monotonic()
    gate = asyncio.Semaphore(options.concurrency)
    log = open_log(cfg.db_path, config=cfg)
    try:
        async with open_fleet(cfg) as fleet:
            with tempfile.TemporaryDirectory(prefix="escalator-bench-") as tmp:
                jobs = [
                    _run_problem(
                        suite, pid, chain, cfg, options, (fleet, log, scorer), gate, Path(tmp)
                    )
                    for pid in (p.id for p in suite.problems)
                ]
                done = list(await asyncio.gather(*jobs))
        cascade_s = time.monotonic() - started
    finally:
        log.close()
    return done, str(log.path), cascade_s


async def _run_problem(
    suite: Suite,
    problem_id: str,
    chain: tuple[str, ...],
    cfg: Config,
    options: BenchOptions,
    services: tuple[Any, Any, Scorer],
    gate: asyncio.Semaphore,
    root: Path,
) -> tuple[ProblemRun, _Pending]:
    """Run one problem through the engine; queue its accepted code for scoring after."""
    from escalator.engine import ProgressEvent, RunOptions, run_task

    fleet, log, scorer = services
    problem = suite.problem(problem_id)
    emit = options.on_event or (lambda event: None)
    models = tuple(m for m in chain if suite.covers(m, problem_id))
    async with gate:
        emit(BenchEvent("task_start", problem_id))
        if not models:
            outcome = ProblemRun(problem_id, Outcome.SKIPPED.value, None, [], 0, 0.0, 0, 0, None)
            outcome.reason = "no model in the chain has a recorded answer for this problem"
            emit(BenchEvent("task_done", problem_id, outcome=outcome))
            return outcome, None

        def on_progress(event: ProgressEvent) -> None:
            if event.kind == "attempt_start":
                emit(BenchEvent("attempt", problem_id, model=event.model))

        workspace = build_workspace(problem, root)
        result = await run_task(
            task_request(problem, workspace, pytest=options.pytest, validators=options.validators),
            config=cfg,
            options=RunOptions(
                approve_paid=True,
                chain=models,
                attempts_per_model=options.attempts_per_model,
                apply=False,
                on_progress=on_progress,
            ),
            fleet=fleet,
            log=log,
        )
    program = result.files.get(SOLUTION_FILE) if result.outcome is Outcome.PASSED else None
    outcome = ProblemRun(
        id=problem_id,
        outcome=result.outcome.value,
        final_model=result.final_model,
        models_tried=list(result.models_tried),
        attempts=result.attempts,
        cost_usd=result.cost_usd,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
        task_id=result.task_id,
        program=program,
        reason=result.reason,
    )
    emit(BenchEvent("task_done", problem_id, model=result.final_model, outcome=outcome))
    # Only now, with the engine's decision made, is the accepted code sent to scoring.
    return _queue_scores(outcome, scorer)


def _queue_scores(record: ProblemRun, scorer: Scorer) -> tuple[ProblemRun, _Pending]:
    """Queue an accepted program for visible and hidden scoring (after the engine's run)."""
    if not record.accepted or record.program is None:
        return record, None
    return record, (
        scorer.visible(record.id, record.program),
        scorer.hidden(record.id, record.program),
    )


def _settle(record: ProblemRun, pending: _Pending) -> ProblemRun:
    if pending is not None:
        record.visible_pass = pending[0].result().passed
        record.hidden_pass = pending[1].result().passed
    return record
