"""What a person sees of a bench run: live progress on stderr and the summary table."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from escalator.bench.report import BenchSummary, summary_rows
from escalator.bench.runner import BenchEvent, ProblemRun

__all__ = ["BenchProgress", "PassProgress", "climb_line", "summary_table"]

ARROW = " → "


def climb_line(outcome: ProblemRun) -> str:
    """One task's walk up the chain: failed models, then the accepted one (rich markup)."""
    steps = []
    for model in outcome.models_tried:
        accepted = outcome.accepted and model == outcome.final_model
        steps.append(f"[green]{model} ✓[/]" if accepted else f"[red]{model} ✗[/]")
    verdict = "[green]accepted[/]" if outcome.accepted else f"[yellow]{outcome.outcome}[/]"
    return f"{outcome.id:<16} {ARROW.join(steps) or '(no model)'}  {verdict}"


class BenchProgress:
    """A rich progress bar on stderr; with ``climbs`` one line per finished task."""

    def __init__(
        self, console: Console, total: int, *, climbs: bool = False, label: str = "bench"
    ) -> None:
        self.console = console
        self.climbs = climbs
        self._active: dict[str, str] = {}
        self._progress = Progress(
            TextColumn(f"[bold]{label}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        )
        self._task = self._progress.add_task("", total=total)
        self._scoring: TaskID | None = None

    def __enter__(self) -> BenchProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: BenchEvent) -> None:
        if event.kind == "scoring":
            self._score_progress(event)
            return
        if event.kind == "attempt" and event.model:
            self._active[event.problem_id] = event.model
        elif event.kind == "task_done":
            self._active.pop(event.problem_id, None)
            self._progress.advance(self._task)
            if self.climbs and event.outcome is not None:
                self._progress.console.print(climb_line(event.outcome), highlight=False)
        shown = list(self._active.items())[-3:]
        self._progress.update(self._task, description="  ".join(f"{p}: {m}" for p, m in shown))

    def _score_progress(self, event: BenchEvent) -> None:
        """After the cascade: hidden-test runs (accepted code and every model's sample 0)."""
        if self._scoring is None:
            self._progress.update(self._task, description="")
            self._scoring = self._progress.add_task("hidden tests", total=event.total)
        self._progress.update(self._scoring, completed=event.done, description="hidden tests")


class PassProgress:
    """One ``BenchProgress`` per protocol pass: ``on_pass`` starts the next pass's bar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._current: BenchProgress | None = None

    def on_pass(self, name: str, tasks: int) -> None:
        self.close()
        self._current = BenchProgress(self.console, tasks, label=name).__enter__()

    def __call__(self, event: BenchEvent) -> None:
        if self._current is not None:
            self._current(event)

    def close(self) -> None:
        if self._current is not None:
            self._current.__exit__(None, None, None)
            self._current = None


def _pct(rate: float) -> str:
    return f"{100 * rate:.1f}%"


def summary_table(summary: BenchSummary) -> Table:
    """Cascade vs each model alone vs the oracle: pass rate, cost, savings."""
    table = Table(
        title=f"Suite {summary.run.suite.name}: {summary.tasks} tasks; "
        "cascade vs each model alone vs oracle",
        caption=f"hidden pass: on the hidden tests; savings: cost saved vs the strongest "
        f"model alone ({summary.strongest})",
    )
    table.add_column("strategy")
    table.add_column("hidden pass", justify="right")
    table.add_column("cost $", justify="right")
    table.add_column("savings", justify="right")
    for name, rate, cost, savings in summary_rows(summary):
        style = "bold" if name in ("cascade", "oracle") else None
        saved = "-" if savings is None else _pct(savings)
        table.add_row(name, _pct(rate), f"{cost:.4f}", saved, style=style)
    return table
