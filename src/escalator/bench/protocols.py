"""Bench protocols: how the policy is given its evidence before it is measured.

- ``default``: what ``escalator run`` does. Every problem in suite order, from an empty
  task log, with the configured policy (``[policy] mode``, learned by default: the
  configured matrix until there is evidence).
- ``online``: the learned policy from cold start, the problems in a seeded shuffled
  order, learning task by task from what the engine itself can know (validators,
  agreement; the hidden tests never feed learning). With ``concurrency`` tasks at once,
  a task sees the evidence of the tasks that ended before it started.
- ``split``: a seeded ``tune_fraction`` of the problems is run first (the learned policy
  gathers its evidence there); the rest is then measured twice, with the static policy
  and with the learned policy starting from the tuning log. Only the measured problems
  count in the figures, the strongest model and the oracle included.

Each measured pass writes its tasks' hidden results and strongest-alone baseline into
its log (``bench.record``), so ``escalator stats`` on that log shows the same figures.

Every pass shares one scorer, so a program is scored on the hidden tests once per run.
"""

from __future__ import annotations

import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from escalator.bench.record import record_scores
from escalator.bench.report import BenchSummary, summarise
from escalator.bench.runner import BenchOptions, BenchRun, open_scorer, run_bench
from escalator.bench.suite import Suite
from escalator.config import PolicyMode
from escalator.errors import InputError
from escalator.store.sql import remove_sqlite_files

__all__ = [
    "PROTOCOLS",
    "ProtocolOptions",
    "ProtocolResult",
    "run_protocols",
    "split_problems",
]

PROTOCOLS = ("default", "online", "split")


@dataclass(frozen=True)
class ProtocolOptions:
    """Which protocols to run, and their seed and tuning share."""

    protocols: tuple[str, ...] = ("default",)
    seed: int = 0
    tune_fraction: float = 0.5
    on_pass: Callable[[str, int], None] | None = None  # (pass name, its tasks), before it

    def announce(self, name: str, suite: Suite) -> None:
        if self.on_pass is not None:
            self.on_pass(name, len(suite.problems))


@dataclass(frozen=True)
class ProtocolResult:
    """One measured pass: its name, the policy, and the summary of that pass."""

    name: str
    policy: str
    summary: BenchSummary
    wall_s: float
    tuned_on: int = 0
    cascade_s: float = 0.0  # the engine's part of ``wall_s``; the rest waited for scoring

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        strongest = s.baselines[s.strongest]
        ratio = s.cost_ratio_vs_strongest
        return {
            "policy": self.policy,
            "tasks": s.tasks,
            "tuned_on": self.tuned_on,
            "pass_rate": round(s.pass_rate, 4),
            "cost_usd": round(s.cost_usd, 6),
            "accepted": s.accepted,
            "false_accepts": s.false_accepts,
            "false_accept_rate": round(s.false_accept_rate, 4),
            "paid_calls": len(paid_prompt_tokens(s.run)),
            "paid_prompt_tokens_median": _median(paid_prompt_tokens(s.run)),
            "wall_s": round(self.wall_s, 2),
            "cascade_s": round(self.cascade_s, 2),
            "scoring_wait_s": round(max(0.0, self.wall_s - self.cascade_s), 2),
            "strongest_model": s.strongest,
            "strongest_pass_rate": round(strongest.pass_rate, 4),
            "strongest_cost_usd": round(strongest.cost_usd, 6),
            "cost_ratio_vs_strongest": None if ratio is None else round(ratio, 4),
            "oracle_pass_rate": round(s.oracle.pass_rate, 4),
            "oracle_cost_usd": round(s.oracle.cost_usd, 6),
            "oracle_gap_points": round(100 * (s.oracle.pass_rate - s.pass_rate), 2),
            "db_path": s.run.db_path,
        }


def paid_prompt_tokens(run: BenchRun) -> list[int]:
    """Prompt tokens of every call a paid model got in this pass."""
    return list(run.paid_prompt_tokens)


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def split_problems(suite: Suite, fraction: float, seed: int) -> tuple[Suite, Suite]:
    """(tuning part, measured part): a seeded shuffle cut at ``fraction``."""
    if not 0 < fraction < 1:
        raise InputError(f"--tune-fraction must be between 0 and 1, not {fraction}")
    order = list(suite.problems)
    random.Random(seed).shuffle(order)
    cut = min(len(order) - 1, max(1, round(fraction * len(order))))
    tune = sorted(order[:cut], key=suite.problems.index)
    rest = sorted(order[cut:], key=suite.problems.index)
    return _with(suite, tune), _with(suite, rest)


def _with(suite: Suite, problems: list[Any]) -> Suite:
    return Suite(suite.name, suite.path, problems, suite.models, suite.generations)


def _shuffled(suite: Suite, seed: int) -> Suite:
    order = list(suite.problems)
    random.Random(seed).shuffle(order)
    return _with(suite, order)


def _db(options: BenchOptions, name: str) -> Path:
    base = options.db_path
    if base is None:
        raise InputError("bench protocols need a task log path (--db)")
    return base.with_name(f"{base.stem}-{name}{base.suffix or '.db'}")


def _fresh(db: Path) -> None:
    """Remove a previous run's log of this pass (every pass starts from cold)."""
    remove_sqlite_files(db)


def _pass(
    suite: Suite,
    options: BenchOptions,
    policy: PolicyMode | None,
    db: Path,
    *,
    keep_log: bool = False,
    measured: bool = True,
) -> tuple[BenchSummary, float]:
    """One pass; a measured pass writes its scores into its log (``bench.record``)."""
    if not keep_log:
        _fresh(db)
    started = time.monotonic()
    run = run_bench(suite, replace(options, policy=policy, db_path=db, limit=None))
    summary = summarise(run)
    if measured:
        record_scores(summary)
    return summary, time.monotonic() - started


def _policy_name(options: BenchOptions, policy: PolicyMode | None) -> str:
    if policy is not None:
        return policy.value
    return options.base.policy.mode.value if options.base is not None else "learned"


def run_protocols(
    suite: Suite, options: BenchOptions, protocols: ProtocolOptions
) -> dict[str, ProtocolResult]:
    """Run each asked protocol over ``suite`` (already limited) with one shared scorer."""
    unknown = [p for p in protocols.protocols if p not in PROTOCOLS]
    if unknown:
        raise InputError(f"unknown protocol {unknown[0]!r}; choose from {', '.join(PROTOCOLS)}")
    scorer = options.scorer or open_scorer(suite, options)
    shared = replace(options, scorer=scorer)
    results: dict[str, ProtocolResult] = {}
    try:
        for name in protocols.protocols:
            results.update(_run_one(suite, shared, protocols, name))
    finally:
        if options.scorer is None:
            scorer.close()
    return results


def _run_one(
    suite: Suite, options: BenchOptions, protocols: ProtocolOptions, name: str
) -> dict[str, ProtocolResult]:
    if name == "default":
        protocols.announce(name, suite)
        summary, wall = _pass(suite, options, options.policy, _db(options, name))
        policy = _policy_name(options, options.policy)
        return {name: ProtocolResult(name, policy, summary, wall, 0, summary.run.cascade_s)}
    if name == "online":
        learned = PolicyMode.LEARNED
        protocols.announce(name, suite)
        summary, wall = _pass(
            _shuffled(suite, protocols.seed), options, learned, _db(options, name)
        )
        return {name: ProtocolResult(name, learned.value, summary, wall, 0, summary.run.cascade_s)}
    return _split(suite, options, protocols)


def _split(
    suite: Suite, options: BenchOptions, protocols: ProtocolOptions
) -> dict[str, ProtocolResult]:
    tune, rest = split_problems(suite, protocols.tune_fraction, protocols.seed)
    tune_db = _db(options, "split-tune")
    protocols.announce("split_tune", tune)
    # The tuning pass is not measured: its log (which the learned pass starts from) gets
    # no hidden results, so the scored tasks of the learned log are the held-out ones.
    tuning, tune_wall = _pass(tune, options, PolicyMode.LEARNED, tune_db, measured=False)
    protocols.announce("split_static", rest)
    static, static_wall = _pass(rest, options, PolicyMode.STATIC, _db(options, "split-static"))
    learned_db = _db(options, "split-learned")
    _fresh(learned_db)
    shutil.copyfile(tune_db, learned_db)  # the learned policy starts from the tuning log
    protocols.announce("split_learned", rest)
    learned, learned_wall = _pass(rest, options, PolicyMode.LEARNED, learned_db, keep_log=True)
    n = len(tune.problems)
    tune_cascade = tuning.run.cascade_s
    return {
        "split_static": ProtocolResult(
            "split_static", "static", static, static_wall, n, static.run.cascade_s
        ),
        "split_learned": ProtocolResult(
            "split_learned",
            "learned",
            learned,
            learned_wall + tune_wall,  # the learned pass includes its tuning pass
            n,
            learned.run.cascade_s + tune_cascade,
        ),
    }
