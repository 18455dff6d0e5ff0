"""``escalator demo``: the bench on a bundled suite, no LM Studio or API keys needed.

Runs the cascade over the bundled demo suite (HumanEval problems with six models'
recorded answers, ``escalator/data/demo``) through the replay fleet, shows each task
climbing the chain, then prints the summary table and where the task log and the HTML
report are.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from escalator.bench.runner import BenchOptions
from escalator.bench.suite import load_suite
from escalator.cli.bench import print_summary, run_and_summarise
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.errors import InputError

__all__ = ["demo_command", "demo_suite_path", "write_report"]

DEMO_DB = "demo-tasks.db"
DEMO_REPORT = "demo-report.html"


def demo_suite_path() -> Path:
    """The bundled demo suite's folder."""
    return Path(str(resources.files("escalator") / "data" / "demo"))


def write_report(db_path: Path, out: Path) -> str | None:
    """Write ``escalator report`` for the log at ``db_path``; None when that is unavailable."""
    try:
        from escalator.analytics import compute_stats
        from escalator.cli.report import RECENT_TASKS, render_report
        from escalator.store import open_log
    except ImportError:
        return None
    with open_log(db_path, create=False) as log:
        page = render_report(
            compute_stats(log), log.list_tasks(limit=RECENT_TASKS), db=str(log.path)
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc}; pass another --out") from None
    return str(out)


@click.command("demo")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Tasks at once.")
@click.option("--limit", type=int, default=None, help="Only the first N demo problems.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Task log for the demo (default: {DEMO_DB} next to the configured log).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"HTML report path (default: {DEMO_REPORT} next to the demo log).",
)
@json_option
@click.pass_context
@handle_errors
def demo_command(
    ctx: click.Context,
    concurrency: int,
    limit: int | None,
    db_path: Path | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Show the escalation cascade on bundled recorded answers, then summarise it."""
    config = get_config(ctx)
    suite = load_suite(demo_suite_path())
    db = db_path or config.db_path.with_name(DEMO_DB)
    report_path = out or db.with_name(DEMO_REPORT)
    options = BenchOptions(limit=limit, concurrency=concurrency, db_path=db, base=config)
    if not as_json:
        click.echo(
            f"Escalator demo: {len(suite.subset(limit).problems)} HumanEval tasks, chain of "
            f"{len(suite.models)} recorded models (free first, paid last); hidden tests "
            "score the accepted code afterwards.",
            err=True,
        )
    summary = run_and_summarise(suite, options, progress=not as_json, climbs=True)
    report = write_report(Path(summary.run.db_path), report_path)
    report_command = f"escalator report --db {summary.run.db_path} --out {report_path}"
    if as_json:
        data: dict[str, Any] = summary.to_json()
        data["report"] = report
        data["report_command"] = report_command
        emit_json(data)
        return
    print_summary(summary)
    console = Console()
    where = f"report: {report}" if report else f"report: run `{report_command}`"
    console.print(where, highlight=False)
