"""The progress bridge: engine callbacks (from the loop or a worker thread) become ordered
MCP progress notifications, and a client that stops listening never stops the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from escalator.engine import ProgressEvent
from escalator.engine.contracts import ProgressKind
from escalator.mcpserver.progress import describe, with_progress

pytestmark = pytest.mark.anyio


class RecordingContext:
    """Stands in for the SDK's Context: only report_progress is used."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[float, float | None, str | None]] = []
        self.fail = fail

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        if self.fail:
            raise anyio.BrokenResourceError("client went away")
        self.calls.append((progress, total, message))


def _event(kind: ProgressKind, message: str, cost: float = 0.0) -> ProgressEvent:
    return ProgressEvent(kind=kind, task_id="t1", message=message, model="m", cost_usd=cost)


async def test_events_from_the_loop_and_from_threads_arrive_in_order() -> None:
    ctx = RecordingContext()

    async def run(on_progress: Callable[[ProgressEvent], None]) -> str:
        on_progress(_event(ProgressKind.CLASSIFIED, "quick_edit"))
        await anyio.to_thread.run_sync(on_progress, _event(ProgressKind.ATTEMPT_START, "try 1"))
        on_progress(_event(ProgressKind.OUTCOME, "passed", cost=0.0123))
        return "done"

    result = await with_progress(ctx, run)  # type: ignore[arg-type]
    assert result == "done"
    assert [c[0] for c in ctx.calls] == [1, 2, 3]
    assert ctx.calls[0][2] == "[step 0/0, $0.0000 so far, 0 s] classified [m]: quick_edit"
    assert ctx.calls[2][2] == "[step 0/0, $0.0123 so far, 0 s] outcome [m]: passed"


async def test_a_failing_client_does_not_stop_the_run() -> None:
    ctx = RecordingContext(fail=True)

    async def run(on_progress: Callable[[ProgressEvent], None]) -> int:
        for i in range(5):
            on_progress(_event(ProgressKind.ATTEMPT_DONE, f"#{i}"))
            await anyio.sleep(0)
        return 42

    assert await with_progress(ctx, run) == 42  # type: ignore[arg-type]


async def test_errors_of_the_run_propagate_and_the_pump_stops() -> None:
    async def run(on_progress: Callable[[ProgressEvent], None]) -> Any:
        on_progress(_event(ProgressKind.CLASSIFIED, "x"))
        raise ValueError("engine broke")

    with anyio.fail_after(5), pytest.raises(ValueError, match="engine broke"):
        await with_progress(RecordingContext(), run)  # type: ignore[arg-type]


def test_describe_carries_step_total_cost_and_time() -> None:
    event = ProgressEvent(kind=ProgressKind.ESCALATE, task_id="t", message="a -> b")
    assert describe(event) == "[step 0/0, $0.0000 so far, 0 s] escalate: a -> b"
    event = ProgressEvent(
        kind=ProgressKind.ATTEMPT_DONE, task_id="t", message="m: failed", model="m",
        cost_usd=0.0123, step=2, total=9, elapsed_s=12.4,
    )  # fmt: skip
    assert describe(event) == "[step 2/9, $0.0123 so far, 12 s] attempt_done [m]: m: failed"
