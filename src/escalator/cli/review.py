"""``escalator review`` (the manual-review queue) and ``escalator resume``."""

from __future__ import annotations

import sys

import click

from escalator import review as review_ops
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.interrupt import TaskIdTap, run_interruptible
from escalator.cli.progress import ProgressDisplay
from escalator.cli.result_text import print_result
from escalator.engine import RunOptions, resume_task
from escalator.store import TaskLog, open_log
from escalator.task import Outcome

db_option = click.option(
    "--db", type=click.Path(dir_okay=False), default=None, help="Task log file."
)


def _log(ctx: click.Context, db: str | None) -> TaskLog:
    return open_log(db, config=get_config(ctx), create=False)


@click.group("review")
def review_command() -> None:
    """Work the manual-review queue: list, show, approve, reject, skip."""


@review_command.command("list")
@db_option
@json_option
@click.pass_context
@handle_errors
def review_list(ctx: click.Context, db: str | None, as_json: bool) -> None:
    """Tasks waiting for a person (needs_review, awaiting_approval)."""
    with _log(ctx, db) as log:
        queue = log.review_queue()
    if as_json:
        emit_json([t.to_json() for t in queue])
        return
    if not queue:
        click.echo("the review queue is empty")
    for t in queue:
        head = f"{t.short_id}  {t.outcome:<17} {t.task_type:<22} ${t.cost_usd:.4f}"
        click.echo(f"{head}  {t.description[:60]}")


@review_command.command("show")
@click.argument("task_id")
@db_option
@json_option
@click.pass_context
@handle_errors
def review_show(ctx: click.Context, task_id: str, db: str | None, as_json: bool) -> None:
    """The best attempt's diff, its verdicts, the models tried and the cost."""
    with _log(ctx, db) as log:
        item = review_ops.review_item(log, task_id)
    if as_json:
        emit_json(item)
        return
    task = item["task"]
    click.echo(
        f"task {task['task_id']}: {task['outcome']} ({task['task_type']})\n  {task['description']}"
    )
    tried = ", ".join(item["models_tried"]) or "(none)"
    click.echo(f"  models tried: {tried}; cost ${item['cost_usd']:.4f}")
    if item["patch"] and not item["best_passed"]:
        failed = ", ".join(f"{v['validator']} {v['status']}" for v in item["failed_verdicts"])
        click.echo(
            f"  WARNING: this change did not pass its checks ({failed}); approving it needs "
            "--force and is recorded as approved_by_reviewer"
        )
    for a in item["attempts"]:
        verdicts = ", ".join(f"{v['validator']} {v['status']}" for v in a.get("verdicts", []))
        click.echo(
            f"  #{a['n']} {a['model']}: {a['outcome']} {verdicts} {a.get('error_kind') or ''}"
        )
    click.echo("\n" + (item["patch"] or "(no candidate change)"))


def _decide(
    ctx: click.Context,
    action: str,
    task_id: str,
    db: str | None,
    as_json: bool,
    reason: str = "",
    force: bool = False,
) -> None:
    with _log(ctx, db) as log:
        if action == "approve":
            decision = review_ops.approve(log, task_id, force=force)
        elif action == "apply":
            decision = review_ops.apply_task(log, task_id)
        elif action == "reject":
            decision = review_ops.reject(log, task_id, reason)
        else:
            decision = review_ops.skip(log, task_id, reason)
    if as_json:
        emit_json(decision.to_json())
    else:
        click.echo(
            f"{decision.task_id[:12]}: {decision.action} -> {decision.outcome}; {decision.message}"
        )
        if decision.conflicts:
            click.echo(f"conflicting files: {', '.join(decision.conflicts)}")
    sys.exit(1 if decision.conflicts else 0)


@review_command.command("approve")
@click.argument("task_id")
@click.option(
    "--force",
    is_flag=True,
    help="Apply a change that failed its checks (recorded as approved_by_reviewer).",
)
@db_option
@json_option
@click.pass_context
@handle_errors
def review_approve(
    ctx: click.Context, task_id: str, force: bool, db: str | None, as_json: bool
) -> None:
    """Apply the best attempt's change to the workspace (a failing one needs --force)."""
    _decide(ctx, "approve", task_id, db, as_json, force=force)


@click.command("apply")
@click.argument("task_id")
@db_option
@json_option
@click.pass_context
@handle_errors
def apply_command(ctx: click.Context, task_id: str, db: str | None, as_json: bool) -> None:
    """Apply the validated change of a task run with --dry-run (refused if files changed)."""
    _decide(ctx, "apply", task_id, db, as_json)


@review_command.command("reject")
@click.argument("task_id")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@db_option
@json_option
@click.pass_context
@handle_errors
def review_reject(
    ctx: click.Context, task_id: str, reason: str, db: str | None, as_json: bool
) -> None:
    """Reject the task; nothing is applied."""
    _decide(ctx, "reject", task_id, db, as_json, reason)


@review_command.command("skip")
@click.argument("task_id")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@db_option
@json_option
@click.pass_context
@handle_errors
def review_skip(
    ctx: click.Context, task_id: str, reason: str, db: str | None, as_json: bool
) -> None:
    """Skip the task; nothing is applied."""
    _decide(ctx, "skip", task_id, db, as_json, reason)


@click.command("resume")
@click.argument("task_id")
@db_option
@json_option
@click.pass_context
@handle_errors
def resume_command(ctx: click.Context, task_id: str, db: str | None, as_json: bool) -> None:
    """Continue a task: one parked as awaiting_approval (this approves its paid models) or
    one left interrupted (from the model it was stopped at)."""
    config = get_config(ctx)
    with open_log(db, config=config, create=False) as log:
        display = ProgressDisplay(live=False if as_json else None)
        tap = TaskIdTap(display)
        options = RunOptions(on_progress=tap)
        with display:
            result = run_interruptible(
                resume_task(task_id, config=config, options=options, log=log), tap
            )
    if as_json:
        emit_json(result.to_json())
    else:
        print_result(result, config)
    sys.exit(0 if result.outcome == Outcome.PASSED else 1)
