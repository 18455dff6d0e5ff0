"""What the commands that read the task log share: the ``--db`` option, opening the log it
names, and the one-line summary of its analytics."""

from __future__ import annotations

import click

from escalator.analytics import Stats, format_rate, format_usd
from escalator.cli.common import get_config
from escalator.store import TaskLog, open_log

__all__ = ["db_option", "open_cli_log", "stats_headline"]

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
    """The one-line summary that ``stats`` and the report both show."""
    saved = "-" if stats.savings_pct is None else f"{stats.savings_pct:.0f}%"
    forced = (
        f", {stats.approved_by_reviewer} approved by a reviewer despite failing checks"
        if stats.approved_by_reviewer
        else ""
    )
    return (
        f"{stats.tasks} tasks: {stats.passed} passed validation "
        f"({format_rate(stats.pass_rate)}){forced}, "
        f"{format_rate(stats.escalation_rate)} escalated; "
        f"cost {format_usd(stats.cost_usd)} vs cloud-only "
        f"{format_usd(stats.cloud_only_cost_usd)} (saved {format_usd(stats.savings_usd)}, {saved})"
    )
