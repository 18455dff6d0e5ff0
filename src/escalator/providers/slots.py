"""A concurrency limit shared by every Escalator process on one machine.

Two ``escalator run``s, or an MCP server and a CLI, must not each send LM Studio its
full ``max_concurrent``. Each endpoint URL has a directory of ``max_concurrent`` slot
files under the user cache dir; a request holds an exclusive ``flock`` on one of them.
The kernel drops a lock when its process dies, so a killed process never leaks a slot.
Waiting polls (``flock`` has no async form) with a short, growing interval.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import platformdirs

__all__ = ["SharedSlots", "lock_dir"]

# Polling interval while every slot is taken: starts short (a slot frees within one
# token's time on a busy server) and grows to bound the cost of a long wait.
_POLL_FIRST_S = 0.01
_POLL_MAX_S = 0.25


def lock_dir() -> Path:
    """Where slot files live: ``$ESCALATOR_LOCK_DIR`` or the user cache dir."""
    override = os.environ.get("ESCALATOR_LOCK_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("escalator", appauthor=False)) / "locks"


class SharedSlots:
    """``limit`` slots for one endpoint URL, shared between processes through flock."""

    def __init__(self, url: str, limit: int, root: Path | None = None) -> None:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.url = url
        self.limit = limit
        self.dir = (root or lock_dir()) / digest

    def _try(self) -> int | None:
        """Take a free slot now: its open file descriptor, or None when all are held."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for n in range(self.limit):
            fd = os.open(self.dir / f"slot-{n}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Wait for a slot, hold it for the body, then free it."""
        delay = _POLL_FIRST_S
        fd = self._try()
        while fd is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX_S)
            fd = self._try()
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
