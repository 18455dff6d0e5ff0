"""The engine's one boundary for blocking work.

Sandbox creation and cleanup (a git ls-files and a copy of the workspace), gathering the
files a worker sees, applying a change and the task-log writes around each model call
all block; ``offload`` runs them in a worker thread, so tasks sharing an event loop (the
MCP server's) and their progress notifications never wait on each other's disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["offload"]

T = TypeVar("T")


async def offload(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a worker thread."""
    return await asyncio.to_thread(fn, *args)
