"""Carry the engine's progress events to MCP progress notifications.

The engine reports progress through a plain callback (``RunOptions.on_progress``);
MCP wants ``await ctx.report_progress(...)``. The bridge queues each event (from any
thread) and a pump task forwards them in order while the run goes on. A client that
stops listening never stops the run: a failed notification is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from mcp.server.mcpserver import Context

if TYPE_CHECKING:
    from escalator.engine import ProgressEvent

__all__ = ["ProgressBridge", "describe", "with_progress"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def describe(event: ProgressEvent) -> str:
    """One line for a progress notification: the model calls made of the most the plan
    allows, the cost so far, the elapsed time, then what happened."""
    model = f" [{event.model}]" if event.model else ""
    head = (
        f"[step {event.step}/{event.total}, ${event.cost_usd:.4f} so far, {event.elapsed_s:.0f} s]"
    )
    return f"{head} {event.kind}{model}: {event.message}"


class ProgressBridge:
    """Queues progress events and forwards them as numbered MCP progress notifications."""

    def __init__(self, ctx: Context[Any, Any] | None) -> None:
        self._ctx = ctx
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[ProgressEvent | None] = asyncio.Queue()
        self.sent = 0
        self.events: list[ProgressEvent] = []

    def on_progress(self, event: ProgressEvent) -> None:
        """The engine's callback: safe to call from the loop or from a worker thread."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def pump(self) -> None:
        """Forward queued events until ``close``."""
        while (event := await self._queue.get()) is not None:
            self.events.append(event)
            if self._ctx is None:
                continue
            try:
                await self._ctx.report_progress(len(self.events), None, describe(event))
                self.sent += 1
            except Exception as exc:  # the client went away; the task carries on
                log.debug("progress notification dropped: %r", exc)


async def with_progress(
    ctx: Context[Any, Any] | None,
    run: Callable[[Callable[[ProgressEvent], None]], Awaitable[T]],
) -> T:
    """Await ``run(on_progress)`` while its progress events go to ``ctx``.

    An exception of ``run`` comes out as itself, not wrapped in an exception group.
    """
    bridge = ProgressBridge(ctx)
    failure: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(bridge.pump)
        try:
            result = await run(bridge.on_progress)
        except Exception as exc:
            failure = exc
        finally:
            bridge.close()
    if failure is not None:
        raise failure
    return result
