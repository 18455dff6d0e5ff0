"""``escalator tune``: the matrix the task log supports, per task type, with its evidence;
``--apply`` writes it into the config file (the previous version kept beside it)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.tasklog import db_option, open_cli_log
from escalator.config import find_config_file
from escalator.learn import traces_from_log
from escalator.learn.apply import AppliedTune, apply_proposal
from escalator.learn.tune import Proposal, TypeProposal, propose

__all__ = ["tune_command"]


@click.command("tune")
@db_option
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Write the proposed chains and trusted lists into the config file "
    "(the previous version is kept as FILE.prev).",
)
@json_option
@click.pass_context
@handle_errors
def tune_command(ctx: click.Context, db_path: str | None, apply_: bool, as_json: bool) -> None:
    """Propose each task type's chain order, skips, trust and worker/checker pairs."""
    config = get_config(ctx)
    with open_cli_log(ctx, db_path) as log:
        traces = traces_from_log(log)
        db = log.path
    proposal = propose(config, traces, config.policy)
    applied = None
    if apply_:
        path = find_config_file(ctx.find_root().ensure_object(dict).get("config_path"))
        applied = apply_proposal(path, proposal)
    if as_json:
        emit_json({"db": db, **proposal.to_json(), "applied": _applied_json(applied)})
    else:
        _print(proposal, db, applied)


def _applied_json(applied: AppliedTune | None) -> dict[str, object] | None:
    if applied is None:
        return None
    return {
        "config": str(applied.path),
        "previous": str(applied.previous),
        "changed": list(applied.changed),
    }


def _print(proposal: Proposal, db: str, applied: AppliedTune | None) -> None:
    console = Console()
    console.print(f"Proposal from the task log {db}", highlight=False)
    for row in proposal.types.values():
        _print_type(console, row)
    if applied is not None:
        what = ", ".join(applied.changed) or "nothing changed"
        console.print(
            f"applied to {applied.path} ({what}); previous version: {applied.previous}",
            highlight=False,
        )


def _print_type(console: Console, row: TypeProposal) -> None:
    if not row.enough_evidence:
        console.print(
            f"[bold]{row.task_type}[/]: {row.tasks} tasks logged, too few to change the "
            f"configured chain {' -> '.join(row.configured_chain)}"
        )
        return
    console.print(
        f"[bold]{row.task_type}[/] ({row.tasks} tasks): chain {' -> '.join(row.chain)}"
        f"{'' if row.changed else ' (as configured)'}; trusted: {', '.join(row.trusted) or '-'}"
    )
    for model, why in row.skip.items():
        console.print(f"  skip {model}: {why}", highlight=False)
    table = Table(show_edge=False)
    for name in ("model", "n", "rate", "after local", "cost/turn", "precision", "trusted"):
        table.add_column(name)
    for r in row.models:
        table.add_row(
            r.model,
            str(r.n),
            f"{r.rate:.0%}",
            "-" if r.rate_after_local is None else f"{r.rate_after_local:.0%}",
            f"${r.cost_usd:.5f}",
            "-" if r.precision is None else f"{r.precision:.2f}",
            "yes" if r.trusted else "",
        )
    console.print(table)
    for p in row.pairs:
        console.print(
            f"  pair {p.worker} + {p.checker}: corroborated {p.rate:.0%} of {p.n} tasks, "
            f"checker ${p.cost_usd:.5f}/turn",
            highlight=False,
        )
