"""What ``run`` and ``resume`` show while a task works, on stderr.

In a terminal: a live line (spinner, current model, attempt of the most the plan
allows, elapsed time, cost so far, and the failing tests after a failed attempt) above
a log of finished steps. Elsewhere (a pipe, a file, CI): the same steps as plain
timestamped lines. ``-q`` shows nothing but the end; ``-v`` adds each verdict and the
feedback handed to the next attempt.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from escalator.engine import ApprovalRequest, ProgressEvent

__all__ = ["NORMAL", "QUIET", "VERBOSE", "ProgressDisplay", "ask_approval", "describe_event"]

QUIET, NORMAL, VERBOSE = 0, 1, 2


def _money(usd: float) -> str:
    return f"${usd:.4f}"


def describe_event(event: ProgressEvent, verbosity: int = NORMAL) -> str | None:
    """One line in words for a finished step, or None for steps shown only live."""
    kind, model = event.kind, event.model or ""
    if kind == "classified":
        return f"task {event.task_id[:12]}: {event.message}"
    if kind == "attempt_start":
        return None
    if kind == "attempt_done":
        tests = event.detail.get("failing_tests") or []
        failing = f"; failing: {', '.join(tests)}" if tests else ""
        line = f"{event.message}{failing}"
        if verbosity >= VERBOSE:
            for v in event.detail.get("verdicts", []):
                feedback = (v.get("feedback") or "").strip().splitlines()
                line += f"\n      {v.get('validator')}: {v.get('status')}"
                line += "".join(f"\n        {f}" for f in feedback[:8])
        return line
    if kind == "escalate":
        return f"escalating to {model}: {event.message}"
    if kind == "outcome":
        return None  # the summary says it
    return event.message


class ProgressDisplay:
    """The engine's progress callback for the terminal (live) or anything else (lines)."""

    def __init__(
        self,
        *,
        verbosity: int = NORMAL,
        live: bool | None = None,
        console: Console | None = None,
    ) -> None:
        self.verbosity = verbosity
        self.console = console or Console(stderr=True, highlight=False)
        is_tty = self.console.is_terminal if live is None else live
        self.live_enabled = is_tty and verbosity > QUIET
        self._live: Live | None = None
        self.last: ProgressEvent | None = None
        self.failing: list[str] = []

    # -- the live line ------------------------------------------------------------------

    def _status(self) -> Spinner:
        e = self.last
        if e is None:
            return Spinner("dots", Text("starting"))
        step = f"attempt {max(e.step, 1)} of at most {e.total}" if e.total else "starting"
        parts = [e.model or "-", step, f"{e.elapsed_s:.0f} s", _money(e.cost_usd)]
        text = Text(" · ".join(parts), style="bold")
        if self.failing:
            text.append(f"   last failure: {', '.join(self.failing)}", style="red")
        return Spinner("dots", text)

    def __enter__(self) -> ProgressDisplay:
        if self.live_enabled:
            self._live = Live(
                self._status(), console=self.console, refresh_per_second=8, transient=True
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the live line while the person answers a prompt."""
        live = self._live
        if live is not None:
            live.stop()
        try:
            yield
        finally:
            if live is not None:
                live.start()

    # -- events ---------------------------------------------------------------------------

    def __call__(self, event: ProgressEvent) -> None:
        self.last = event
        if event.kind == "attempt_done":
            self.failing = list(event.detail.get("failing_tests") or [])
        if self.verbosity == QUIET:
            return
        line = describe_event(event, self.verbosity)
        if line is not None:
            stamp = f"[{event.elapsed_s:6.1f}s {_money(event.cost_usd)}]"
            self.console.print(f"{stamp} {line}", markup=False, highlight=False, soft_wrap=True)
        if self._live is not None:
            self._live.update(self._status())

    def approver(self, ask: Callable[[ApprovalRequest], bool]) -> Callable[[ApprovalRequest], bool]:
        """``ask`` with the live line paused around it."""

        def asking(request: ApprovalRequest) -> bool:
            with self.paused():
                return ask(request)

        return asking


def ask_approval(request: ApprovalRequest) -> bool:
    """Ask the person at the terminal before a paid model's first call, with what the
    model (and the paid checker it brings, if any) may cost at most. Each paid model is
    asked for in turn; ``--yes`` approves them all."""
    covered = ", ".join(request.paid_models) or request.model
    total = request.total_worst_case_usd or request.worst_case_usd
    click.echo(
        f"\n{request.reason}.\nApproving lets this task call {covered}. "
        f"Worst case: {_money(request.worst_case_usd)} for one call of {request.model}, "
        f"{_money(total)} for every allowed attempt "
        f"(spent so far {_money(request.spent_usd)}). A dearer model is asked for separately.",
        err=True,
    )
    if not sys.stdin.isatty():
        return False
    return click.confirm(f"Approve {covered} for this task?", default=False, err=True)
