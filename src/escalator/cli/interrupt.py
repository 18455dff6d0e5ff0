"""Running a task from the CLI so that Ctrl-C and SIGTERM stop it cleanly.

Both cancel the task's coroutine: the engine's failure boundary records the task as
``interrupted`` (resumable) and the command ends with one line and exit status 130.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any, TypeVar

from escalator.cli.common import fail
from escalator.engine import ProgressEvent

__all__ = ["TaskIdTap", "run_interruptible"]

T = TypeVar("T")

EXIT_INTERRUPTED = 130


class TaskIdTap:
    """Passes progress on and remembers the task's id (for the interruption message)."""

    def __init__(self, inner: Callable[[ProgressEvent], None] | None) -> None:
        self.inner = inner
        self.task_id: str | None = None

    def __call__(self, event: ProgressEvent) -> None:
        self.task_id = event.task_id
        if self.inner is not None:
            self.inner(event)


def run_interruptible(coro: Coroutine[Any, Any, T], tap: TaskIdTap) -> T:
    """``asyncio.run(coro)`` where SIGTERM cancels like Ctrl-C does."""

    async def main() -> T:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        return await task

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        tid = tap.task_id or "ID"
        fail(
            f"interrupted: task {tid[:12]} is recorded as interrupted and nothing was applied; "
            f"continue it with 'escalator resume {tid[:12]}' or decide with "
            f"'escalator review show {tid[:12]}'",
            EXIT_INTERRUPTED,
        )
        raise  # unreachable: fail() exits
