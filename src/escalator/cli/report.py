"""``escalator report --out FILE.html``: the analytics as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from escalator.analytics import compute_stats
from escalator.cli.common import emit_json, handle_errors, json_option
from escalator.cli.report_html import RECENT_TASKS, render_report
from escalator.cli.tasklog import db_option, open_cli_log
from escalator.errors import InputError

__all__ = ["report_command"]


@click.command("report")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the HTML report.",
)
@db_option
@json_option
@click.pass_context
@handle_errors
def report_command(ctx: click.Context, out: Path, db_path: str | None, as_json: bool) -> None:
    """Write the task-log analytics as a self-contained static HTML report."""
    with open_cli_log(ctx, db_path) as log:
        stats = compute_stats(log)
        recent = log.list_tasks(limit=RECENT_TASKS)
        db = log.path
    page = render_report(stats, recent, db=db)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc}; pass another --out") from None
    if as_json:
        emit_json({"out": str(out), "db": db, "tasks": stats.tasks, "bytes": len(page)})
    else:
        click.echo(f"wrote {out} ({stats.tasks} tasks from {db})")
