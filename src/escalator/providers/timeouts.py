"""How long a model call may take, phase by phase, and the watch that enforces it.

Local servers fail in ways one timeout cannot tell apart: a closed SSH tunnel refuses
the connection at once, a hung server (or a tunnel to a dead host) accepts and then says
nothing, and a healthy 30B model may think for minutes before its first token. So:

=================  ========  ===============================================================
phase              default   what it catches
=================  ========  ===============================================================
connect            5 s       no TCP connection (a dead host; refused ones fail at once)
liveness probe     10 s      a call silent this long makes the watch ask the server for its
                             model list (``GET /v1/models``, local servers only); no answer
                             within the connect timeout: the server is hung, give up now
first token        300 s     a streamed call whose first chunk never comes (a live server
                             stuck in its queue); long prompt processing fits inside
idle               60 s      a stream that stops between two chunks
total              1800 s    the whole call (``timeout_s``; 600 s for the cloud defaults)
=================  ========  ===============================================================

A dead or hung local server is thus found in about 15 s, while a slow model keeps its
minutes as long as its server answers the probe. A non-streamed call has no chunks to
watch: the total and the probe guard it. All are per provider in ``escalator.toml``
(``connect_timeout_s``, ``liveness_probe_s`` (0: off), ``first_token_timeout_s``,
``idle_timeout_s``, ``timeout_s``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

from escalator.config import ProviderConfig
from escalator.providers.profiles import profile_of

__all__ = ["CallWatch", "Timeouts", "watch_call"]

T = TypeVar("T")


@dataclass(frozen=True)
class Timeouts:
    """Per-phase limits of one model call, in seconds (see the module docstring)."""

    connect_s: float = 5.0
    liveness_probe_s: float = 10.0
    first_token_s: float = 300.0
    idle_s: float = 60.0
    total_s: float = 1800.0

    @classmethod
    def of(cls, cfg: ProviderConfig) -> Timeouts:
        """The provider's configured limits (the probe only for local servers)."""
        return cls(
            connect_s=cfg.connect_timeout_s,
            liveness_probe_s=cfg.liveness_probe_s if profile_of(cfg.kind).local else 0.0,
            first_token_s=cfg.first_token_timeout_s,
            idle_s=cfg.idle_timeout_s,
            total_s=cfg.timeout_s,
        )


class CallWatch:
    """The clock of one call: when it started and when its last stream chunk came."""

    def __init__(
        self, limits: Timeouts, *, streamed: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.streamed = streamed
        self.clock = clock
        self.started = clock()
        self.last_chunk: float | None = None

    def chunk(self) -> None:
        """A chunk arrived: the server is alive and generating."""
        self.last_chunk = self.clock()

    def silent_s(self) -> float:
        return self.clock() - (self.last_chunk if self.last_chunk is not None else self.started)

    def overdue(self) -> tuple[str, float] | None:
        """The phase whose limit has passed, with that limit, or None."""
        now = self.clock()
        lim = self.limits
        if now - self.started >= lim.total_s:
            return "total", lim.total_s
        if not self.streamed:
            return None
        if self.last_chunk is None and now - self.started >= lim.first_token_s:
            return "first_token", lim.first_token_s
        if self.last_chunk is not None and now - self.last_chunk >= lim.idle_s:
            return "idle", lim.idle_s
        return None


async def watch_call(
    op: Awaitable[T],
    watch: CallWatch,
    *,
    probe: Callable[[float], Awaitable[bool]] | None,
    timed_out: Callable[[str, float], Exception],
) -> T:
    """Run ``op`` under ``watch``: raise ``timed_out(phase, limit_s)`` when a phase's limit
    passes, or when the call has been silent for ``liveness_probe_s`` and ``probe`` (given
    the connect timeout) reports the server dead (phase ``"hung"``)."""
    task = asyncio.ensure_future(op)
    lim = watch.limits
    tick = max(0.01, min(0.5, lim.total_s / 4, lim.first_token_s / 4, lim.idle_s / 4))
    if probe is not None and lim.liveness_probe_s > 0:
        tick = min(tick, lim.liveness_probe_s / 4)
    probed_at: float | None = None
    try:
        while True:
            await asyncio.wait({task}, timeout=tick)
            if task.done():
                return task.result()
            late = watch.overdue()
            if late is not None:
                raise timed_out(*late)
            if probe is None or lim.liveness_probe_s <= 0:
                continue
            now = watch.clock()
            fresh = probed_at is not None and now - probed_at < lim.liveness_probe_s
            if watch.silent_s() >= lim.liveness_probe_s and not fresh:
                probed_at = now
                if not await probe(lim.connect_s) and not task.done():
                    raise timed_out("hung", lim.connect_s)
    finally:
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await task
