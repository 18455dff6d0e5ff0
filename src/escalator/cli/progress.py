"""Live progress for long commands: plain lines on stderr (a TTY gets the same, colourless)."""

from __future__ import annotations

import sys

import click

from escalator.engine import ApprovalRequest, ProgressEvent


class ProgressPrinter:
    """Prints each engine event as one line on stderr, with tokens and cost so far."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet:
            return
        spend = f"${event.cost_usd:.4f}, {event.tokens_in}+{event.tokens_out} tok"
        where = f"[{event.model}]" if event.model else ""
        click.echo(f"{event.kind:>13} {where} {event.message} ({spend})", err=True)


def ask_approval(request: ApprovalRequest) -> bool:
    """Ask the person at the terminal before the first paid call."""
    click.echo(
        f"\n{request.reason}.\nCall {request.model}? Worst case for one call: "
        f"${request.worst_case_usd:.4f} (spent so far ${request.spent_usd:.4f}).",
        err=True,
    )
    if not sys.stdin.isatty():
        return False
    return click.confirm("Approve paid models for this task?", default=False, err=True)
