"""``escalator log`` (list tasks, show one) and ``escalator stats`` (the analytics)."""

from __future__ import annotations

import sys
from contextlib import suppress

import click
from rich import box
from rich.console import Console
from rich.table import Table

from escalator.analytics import Stats, compute_stats, format_rate, format_usd
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.tasklog import (
    db_option,
    definitions,
    open_cli_log,
    scored_line,
    stats_headline,
)
from escalator.errors import InputError, TaskLogError
from escalator.experiments import TypeArms, compare_arms
from escalator.store import AttemptRecord, EventRecord, TaskRecord, open_log
from escalator.store.sql import is_postgres_url
from escalator.store.transfer import copy_log
from escalator.task import Outcome, TaskType

__all__ = ["log_command", "stats_command"]


def _console() -> Console:
    """Stdout console; wide when piped, so columns are not cut to 80 characters."""
    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, width=width)


def _table(title: str) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")


@click.command("log")
@click.argument("task_id", required=False)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--outcome", type=click.Choice([o.value for o in Outcome]), help="Only this outcome.")
@click.option(
    "--type", "task_type", type=click.Choice([t.value for t in TaskType]), help="Only this type."
)
@db_option
@click.option("--to", "to_url", metavar="URL", help="With 'migrate': the empty target log.")
@json_option
@click.pass_context
@handle_errors
def log_command(
    ctx: click.Context,
    task_id: str | None,
    limit: int,
    outcome: str | None,
    task_type: str | None,
    db_path: str | None,
    to_url: str | None,
    as_json: bool,
) -> None:
    """List recent tasks, or show TASK_ID (a unique prefix is enough) in full.

    \b
    escalator log migrate --to postgresql://host/db   copy this log into an empty one
    """
    if task_id == "migrate":
        _migrate(ctx, db_path, to_url, as_json)
        return
    if to_url is not None:
        raise InputError("--to goes with 'escalator log migrate --to URL'")
    with open_cli_log(ctx, db_path) as log:
        with suppress(TaskLogError):  # a log we may only read is listed as it is
            log.sweep_interrupted()
        if task_id is None:
            tasks = log.list_tasks(limit=limit, outcome=outcome, task_type=task_type)
            if as_json:
                emit_json({"db": log.path, "tasks": [_task_summary(t) for t in tasks]})
            else:
                _print_task_list(tasks, log.path)
            return
        task = log.get_task(task_id)
        attempts = log.attempts(task.task_id)
        events = log.events(task.task_id)
    if as_json:
        emit_json(
            {
                "task": task.to_json(),
                "attempts": [a.to_json() for a in attempts],
                "events": [e.to_json() for e in events],
            }
        )
    else:
        _print_task(task, attempts, events)


def _migrate(ctx: click.Context, db_path: str | None, to_url: str | None, as_json: bool) -> None:
    """Copy the whole log (``--db`` or the configured one) into the empty log at ``--to``."""
    if not to_url:
        raise InputError("log migrate needs --to: e.g. --to postgresql://host/escalator")
    if not is_postgres_url(to_url) and not to_url.endswith(".db"):
        raise InputError(f"--to {to_url!r}: give a postgresql:// URL or a new .db file path")
    with open_cli_log(ctx, db_path) as source:
        if source.path == to_url:
            raise InputError("--to names the log being copied; give another database")
        with open_log(to_url, config=get_config(ctx)) as target:
            counts = copy_log(source, target)
            where = target.path
    if as_json:
        emit_json({"from": source.path, "to": where, "copied": counts})
        return
    copied = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"copied {copied} from {source.path} to {where}")


def _task_summary(t: TaskRecord) -> dict[str, object]:
    return {
        "task_id": t.task_id,
        "timestamp": t.timestamp,
        "task_type": t.task_type,
        "description": t.description,
        "outcome": t.outcome,
        "final_model": t.final_model,
        "attempts": t.attempts,
        "escalations": t.escalations,
        "cost_usd": t.cost_usd,
        "cloud_only_cost_usd": t.cloud_only_cost_usd,
        "latency_ms": t.latency_ms,
    }


def _print_task_list(tasks: list[TaskRecord], db: str) -> None:
    console = _console()
    if not tasks:
        console.print(f"No tasks logged in {db} yet (run 'escalator run ...' first).")
        return
    table = _table(f"Tasks in {db}")
    right = ("attempts", "cost", "wall time")
    for name in ("id", "time (UTC)", "type", "outcome", "final model", "attempts", "cost"):
        table.add_column(name, justify="right" if name in right else "left")
    table.add_column("wall time", justify="right")
    for t in tasks:
        table.add_row(
            t.short_id,
            t.timestamp[5:16].replace("T", " "),
            t.task_type,
            t.outcome,
            t.final_model or "-",
            str(t.attempts),
            format_usd(t.cost_usd),
            f"{t.latency_ms / 1000:.1f} s",
        )
    console.print(table)


def _print_task(task: TaskRecord, attempts: list[AttemptRecord], events: list[EventRecord]) -> None:
    console = _console()
    console.print(f"[bold]Task {task.task_id}[/bold]  {task.timestamp}")
    console.print(f"  {task.description}")
    score = "-" if task.complexity_score is None else task.complexity_score
    console.print(
        f"  type {task.task_type} (complexity {score}), outcome [bold]{task.outcome}[/bold], "
        f"final model {task.final_model or '-'}"
    )
    console.print(
        f"  {task.attempts} attempts, {task.escalations} escalations, "
        f"{task.tokens_in}+{task.tokens_out} tokens, cost {format_usd(task.cost_usd)} "
        f"(cloud-only {format_usd(task.cloud_only_cost_usd)}), "
        f"wall time {task.latency_ms / 1000:.1f} s"
    )
    if task.hidden_pass is not None:
        alone = "passed" if task.baseline_hidden_pass else "failed"
        console.print(
            f"  bench: hidden tests {'passed' if task.hidden_pass else 'failed'}; strongest "
            f"model alone ({task.baseline_model or '-'}) "
            f"{format_usd(task.baseline_cost_usd or 0.0)}, {alone} them"
        )
    if task.workspace:
        console.print(f"  workspace {task.workspace}  files {', '.join(task.files) or '-'}")
    if attempts:
        table = _table("Attempts")
        columns = ("n", "model", "try", "outcome", "tokens", "cost", "model ms", "checks ms")
        for name in (*columns, "verdicts"):
            table.add_column(name)
        for a in attempts:
            verdicts = ", ".join(f"{v.validator}:{v.status}" for v in a.verdicts)
            table.add_row(
                str(a.n),
                a.model,
                str(a.attempt_in_model),
                a.outcome + (f" ({a.error_kind})" if a.error_kind else ""),
                f"{a.tokens_in}+{a.tokens_out}",
                format_usd(a.cost_usd),
                f"{a.latency_ms:.0f}",
                f"{sum(v.duration_ms for v in a.verdicts):.0f}",
                verdicts or "-",
            )
        console.print(table)
        console.print(
            "  model ms: the model's response time; checks ms: the validators' run time",
            style="dim",
        )
    for e in events:
        move = (
            f" {e.from_model or '?'} -> {e.to_model or '?'}" if e.from_model or e.to_model else ""
        )
        detail = f" {e.detail}" if e.detail else ""
        console.print(f"  {e.at[:19].replace('T', ' ')}  {e.kind}{move}{detail}", markup=False)


@click.command("stats")
@db_option
@json_option
@click.pass_context
@handle_errors
def stats_command(ctx: click.Context, db_path: str | None, as_json: bool) -> None:
    """Which task types occur, which model succeeds at what, cost vs cloud-only, and
    suggested chain changes."""
    with open_cli_log(ctx, db_path) as log:
        stats = compute_stats(log)
        arms = compare_arms(dict(r) for r in log.arm_facts())
        db = log.path
    if as_json:
        emit_json({"db": db, **stats.to_json(), "arms": [a.to_json() for a in arms]})
    else:
        _print_stats(stats, db)
        _print_arms(arms)


def _print_arms(arms: list[TypeArms]) -> None:
    """A/B arms per task type: verified success with its 95% interval, cost, latency."""
    console = _console()
    for group in arms:
        table = _table(f"A/B arms: {group.task_type}")
        for name in ("arm", "tasks", "verified", "95% interval", "mean cost", "model latency"):
            table.add_column(name)
        for a in group.arms:
            low, high = a.success_95
            table.add_row(
                a.arm,
                str(a.tasks),
                format_rate(a.success_rate),
                f"{low:.0%}-{high:.0%}",
                format_usd(a.mean_cost_usd),
                f"{a.mean_latency_ms:.0f} ms",
            )
        console.print(table)
        console.print(f"  {group.verdict}")


def _print_stats(stats: Stats, db: str) -> None:
    console = _console()
    if not stats.tasks:
        console.print(f"No tasks logged in {db} yet.")
        return
    console.print(stats_headline(stats))
    if stats.scored is not None:
        console.print(scored_line(stats.scored))
    for meaning in definitions(stats):
        console.print(f"  ({meaning})", style="dim")
    types = _table("By task type")
    columns = ("type", "tasks", "passed", "approved by reviewer", "escalated", "cost")
    for name in (*columns, "cloud-only", "saved"):
        types.add_column(name)
    for t in stats.by_type.values():
        types.add_row(
            t.task_type,
            str(t.tasks),
            f"{t.passed} ({format_rate(t.pass_rate)})",
            str(t.approved_by_reviewer),
            format_rate(t.escalation_rate),
            format_usd(t.cost_usd),
            format_usd(t.cloud_only_cost_usd),
            format_usd(t.savings_usd),
        )
    console.print(types)
    console.print(_model_table(stats))
    if stats.suggestions:
        console.print("[bold]Suggested chain changes[/bold]")
        for s in stats.suggestions:
            console.print(f"  - {s.message}", markup=False)
    else:
        console.print("No chain changes suggested (not enough evidence yet).")


def _model_table(stats: Stats) -> Table:
    types = list(stats.by_type)
    table = _table("By model (per type: tasks passed / tasks tried)")
    head = ("model", "attempts", "attempts passed", "answers accepted", "cost")
    for name in (*head, "model latency (mean per call)", *types):
        table.add_column(name)
    for m in stats.by_model.values():
        cells = [
            f"{m.by_type[t].tasks_passed}/{m.by_type[t].tasks}" if t in m.by_type else "-"
            for t in types
        ]
        table.add_row(
            m.model,
            str(m.attempts),
            f"{m.passes} ({format_rate(m.pass_rate)})",
            str(m.tasks_accepted),
            format_usd(m.cost_usd),
            f"{m.mean_latency_ms / 1000:.1f} s",
            *cells,
        )
    return table
