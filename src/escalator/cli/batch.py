"""``escalator batch FILE.jsonl``: many tasks, in parallel where safe, resumable."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from escalator.batch import (
    BatchItem,
    BatchLine,
    finished_lines,
    load_batch,
    progress_path,
    run_batch,
)
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config
from escalator.engine import RunOptions
from escalator.task import Outcome

__all__ = ["batch_command"]


@click.command("batch")
@click.argument("batch_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--concurrency", "-c", type=click.IntRange(1, 64), default=2, show_default=True,
    help="Tasks at once (tasks on the same workspace always run one after another).",
)  # fmt: skip
@click.option("--yes", "approve", flag_value=True, default=None, help="Approve paid models.")
@click.option("--no-paid", "approve", flag_value=False, help="Never call paid models.")
@click.option("--restart", is_flag=True, help="Forget earlier progress and run every line.")
@json_option
@click.pass_context
@handle_errors
def batch_command(
    ctx: click.Context,
    batch_file: Path,
    concurrency: int,
    approve: bool | None,
    restart: bool,
    as_json: bool,
) -> None:
    """Run every task of BATCH_FILE (one JSON object per line), then summarise.

    Each line: {"description": ..., "workspace": ..., optional "files", "tests", "type",
    "complexity", "budget"}. Without --yes/--no-paid, paid models follow the configured
    cost-guard policy (nobody is asked mid-batch). Finished lines are kept in
    BATCH_FILE.progress.jsonl: run the same command again to resume.
    """
    config = get_config(ctx)
    items = load_batch(batch_file)
    progress = progress_path(batch_file)
    if restart:
        progress.unlink(missing_ok=True)
    done = finished_lines(progress)
    todo = [item for item in items if item.line not in done]
    options = RunOptions(approve_paid=approve)
    started = time.monotonic()
    lines = _run(todo, len(done), len(items), config, options, concurrency, progress, as_json)
    wall = time.monotonic() - started
    every = sorted([*done.values(), *lines], key=lambda r: r.line)
    summary = _summary(every, lines, wall, len(done))
    if as_json:
        emit_json({"file": str(batch_file), "progress_file": str(progress), **summary})
    else:
        _print(summary, progress)
    if any(r.outcome != Outcome.PASSED.value for r in every):
        sys.exit(1)


def _run(
    todo: list[BatchItem],
    done: int,
    total: int,
    config: Config,
    options: RunOptions,
    concurrency: int,
    progress: Path,
    quiet: bool,
) -> list[BatchLine]:
    """Run ``todo`` with a progress bar on a terminal, a line per task otherwise."""
    if quiet or not sys.stderr.isatty():

        def plain(line: BatchLine) -> None:
            if not quiet:
                click.echo(f"line {line.line}: {line.outcome} (${line.cost_usd:.4f})", err=True)

        return asyncio.run(
            run_batch(todo, config=config, options=options, concurrency=concurrency,
                      progress_file=progress, on_done=plain)
        )  # fmt: skip
    columns = (
        TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )  # fmt: skip
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("batch", total=total, completed=done, last="")

        def advance(line: BatchLine) -> None:
            bar.update(task, advance=1, last=f"line {line.line}: {line.outcome}")

        return asyncio.run(
            run_batch(todo, config=config, options=options, concurrency=concurrency,
                      progress_file=progress, on_done=advance)
        )  # fmt: skip


def _summary(
    every: list[BatchLine], ran: list[BatchLine], wall: float, skipped: int
) -> dict[str, Any]:
    outcomes = Counter(r.outcome for r in every)
    return {
        "tasks": len(every),
        "ran_now": len(ran),
        "done_before": skipped,
        "outcomes": dict(outcomes),
        "cost_usd": round(sum(r.cost_usd for r in every), 6),
        "wall_s": round(wall, 2),
        "tasks_per_min": round(len(ran) / wall * 60, 2) if ran and wall > 0 else None,
        "lines": [r.to_json() for r in every],
    }


def _print(summary: dict[str, Any], progress: Path) -> None:
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(summary["outcomes"].items()))
    rate = summary["tasks_per_min"]
    click.echo(
        f"{summary['tasks']} tasks: {outcomes}; cost ${summary['cost_usd']:.4f}; "
        f"{summary['ran_now']} run now in {summary['wall_s']:.1f} s"
        + (f" ({rate:.1f} tasks/min)" if rate else "")
        + (f"; {summary['done_before']} finished earlier" if summary["done_before"] else "")
    )
    for line in summary["lines"]:
        if line["outcome"] != Outcome.PASSED.value:
            reason = f": {line['reason']}" if line["reason"] else ""
            click.echo(f"  line {line['line']}: {line['outcome']}{reason}")
    click.echo(f"progress kept in {progress} (run again to resume)")
