"""What the commands that read the task log share: the ``--db`` option, opening the log it
names, and the summary lines of its analytics with their definitions."""

from __future__ import annotations

import click

from escalator.analytics import (
    CLOUD_ONLY_LABEL,
    ScoredStats,
    Stats,
    format_pct,
    format_rate,
    format_usd,
)
from escalator.cli.common import get_config
from escalator.store import TaskLog, open_log

__all__ = ["db_option", "definitions", "open_cli_log", "scored_line", "stats_headline"]

db_option = click.option(
    "--db",
    "db_path",
    default=None,
    metavar="PATH|URL",
    help="Task log: a SQLite file or a postgresql:// URL (default: the config's store).",
)


def open_cli_log(ctx: click.Context, db_path: str | None) -> TaskLog:
    """The log named by --db (which must exist), else the configured one."""
    return open_log(db_path, config=get_config(ctx), create=db_path is None)


def stats_headline(stats: Stats) -> str:
    """The one-line summary that ``stats`` and the report both show. Savings are against
    the strongest model alone when a bench scored every task, else against cloud-only,
    followed by the scored tasks' savings against the strongest model alone when a bench
    scored some of them (the demo's learned log: tuning tasks unscored, held-out scored)."""
    forced = (
        f", {stats.approved_by_reviewer} approved by a reviewer despite failing checks"
        if stats.approved_by_reviewer
        else ""
    )
    head = (
        f"{stats.tasks} tasks: {stats.passed} passed validation "
        f"({format_rate(stats.pass_rate)}){forced}, "
        f"{format_rate(stats.escalation_rate)} escalated; cost {format_usd(stats.cost_usd)}"
    )
    if stats.scored is not None and stats.all_scored:
        s = stats.scored
        return (
            f"{head} vs strongest model alone ({s.baseline_model}) "
            f"{format_usd(s.baseline_cost_usd)} (saved {format_usd(s.savings_usd)}, "
            f"{format_pct(s.savings_pct)})"
        )
    line = (
        f"{head} vs {CLOUD_ONLY_LABEL} {format_usd(stats.cloud_only_cost_usd)} "
        f"(saved {format_usd(stats.savings_usd)}, {format_pct(stats.savings_pct)})"
    )
    if stats.scored is not None:  # some tasks scored (a demo's held-out half): say theirs too
        s = stats.scored
        line += (
            f"; on the {s.tasks} tasks a bench scored, vs strongest model alone "
            f"({s.baseline_model}): saved {format_usd(s.savings_usd)} ({format_pct(s.savings_pct)})"
        )
    return line


def scored_line(scored: ScoredStats) -> str:
    """The tasks a bench scored: hidden beside validated pass rate, cost vs strongest alone."""
    s = scored
    return (
        f"{s.tasks} tasks scored by a bench: {s.hidden_passed} passed the hidden tests "
        f"({format_rate(s.hidden_pass_rate)}), {s.passed_validation} passed validation "
        f"({format_rate(s.validation_pass_rate)}), {s.false_accepts} false accepts; "
        f"cost {format_usd(s.cost_usd)} vs strongest model alone ({s.baseline_model}) "
        f"{format_usd(s.baseline_cost_usd)}, which passed {s.baseline_hidden_passed} "
        f"({format_rate(s.baseline_hidden_pass_rate)}): saved {format_usd(s.savings_usd)} "
        f"({format_pct(s.savings_pct)})"
    )


def definitions(stats: Stats) -> list[str]:
    """What the figures shown for ``stats`` mean: cloud-only (when shown), hidden tests and
    the strongest model alone (when a bench scored tasks)."""
    out = [] if stats.all_scored else [stats.cloud_only_definition]
    if stats.scored is not None:
        out += [stats.scored.hidden_definition, stats.scored.baseline_definition]
    return out
