"""Retries with backoff, a concurrency limit and a circuit breaker, per provider.

``Resilience.call(op)`` runs ``op`` under the provider's semaphore; a transient
``ProviderError`` is retried up to ``max_retries`` times after an exponential backoff
with full jitter (a server's retry-after wins); connection failures feed a circuit
breaker that, once open, fails fast with ``CircuitOpen`` until its cool-off ends.
Sleeping, the clock and the jitter source are settings (``ResilienceSettings``), so
tests run without real waits.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from escalator.config import ProviderConfig
from escalator.errors import CircuitOpen, EndpointUnreachable, ModelNotLoaded, ProviderError
from escalator.providers.slots import SharedSlots

__all__ = [
    "LOAD_POLL_S",
    "MAX_RETRY_AFTER_S",
    "CircuitBreaker",
    "Resilience",
    "ResilienceSettings",
    "backoff_s",
]

T = TypeVar("T")

# A retry-after longer than this is not waited for: the error goes up to the caller
# (the engine escalates instead of blocking a task for minutes).
MAX_RETRY_AFTER_S = 120.0

# How often a model that the server is still loading is asked again (``load_wait_s``).
LOAD_POLL_S = 2.0


@dataclass(frozen=True)
class ResilienceSettings:
    """How waiting happens: the sleep coroutine, the monotonic clock, the jitter source."""

    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    random: Callable[[], float] = random.random


def backoff_s(attempt: int, base_s: float, max_s: float, rand: Callable[[], float]) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max, base * 2**attempt)]."""
    return rand() * min(max_s, base_s * (2.0**attempt))


def _retry_after(exc: ProviderError) -> float | None:
    value = getattr(exc, "retry_after_s", None)
    return float(value) if isinstance(value, int | float) else None


@dataclass
class CircuitBreaker:
    """Opens after ``threshold`` consecutive connection failures, for ``cooloff_s``."""

    threshold: int
    cooloff_s: float
    clock: Callable[[], float] = time.monotonic
    consecutive: int = 0
    open_until: float | None = None
    last_error: str = ""

    def check(self, provider: str, url: str) -> None:
        """Raise ``CircuitOpen`` while the cool-off lasts (then let one call through)."""
        if self.open_until is None:
            return
        left = self.open_until - self.clock()
        if left <= 0:
            return
        until = datetime.now(UTC) + timedelta(seconds=left)
        raise CircuitOpen(
            f"{provider} at {url} is marked down after {self.consecutive} consecutive "
            f"connection failures (last: {self.last_error}); failing fast until "
            f"{until:%H:%M:%S} UTC ({left:.1f}s). Start the server or reopen the SSH tunnel.",
            provider=provider,
            url=url,
        )

    def record_success(self) -> None:
        self.consecutive = 0
        self.open_until = None

    def record_failure(self, exc: ProviderError) -> None:
        """Count a connection failure; open (or re-open) at the threshold."""
        self.consecutive += 1
        self.last_error = str(exc).split("\n")[0][:200]
        if self.consecutive >= self.threshold:
            self.open_until = self.clock() + self.cooloff_s


class Resilience:
    """One endpoint's retry policy, concurrency limits and circuit breaker.

    ``max_concurrent`` holds within this process (a semaphore) and, with the provider's
    ``shared_limit``, across every Escalator process on the machine (``SharedSlots``).
    ``in_flight`` counts calls holding or waiting for a slot (the pool's load measure).
    """

    def __init__(
        self, config: ProviderConfig, settings: ResilienceSettings, url: str | None = None
    ) -> None:
        self.config = config
        self.url = url or config.base_url
        self.settings = settings
        self.semaphore = asyncio.Semaphore(config.max_concurrent)
        self.shared = SharedSlots(self.url, config.max_concurrent) if config.shared_limit else None
        self.in_flight = 0
        self.breaker = CircuitBreaker(
            config.circuit_failures, config.circuit_cooloff_s, clock=settings.clock
        )

    @property
    def healthy(self) -> bool:
        """False while the circuit breaker fails fast."""
        return self.breaker.open_until is None or self.breaker.open_until <= self.settings.clock()

    async def _run(self, op: Callable[[], Awaitable[T]]) -> T:
        self.in_flight += 1
        try:
            async with self.semaphore:
                if self.shared is None:
                    return await op()
                async with self.shared.hold():
                    return await op()
        finally:
            self.in_flight -= 1

    async def call(
        self,
        op: Callable[[], Awaitable[T]],
        *,
        retry: bool = True,
        may_retry: Callable[[ProviderError], bool] | None = None,
    ) -> T:
        """Run ``op`` with retries; ``retry=False`` runs it once; ``may_retry`` can veto a
        retry (a stream that already delivered tokens cannot be replayed)."""
        attempt = 0
        loading_since: float | None = None
        while True:
            self.breaker.check(self.config.name, self.url)
            try:
                result = await self._run(op)
            except ProviderError as exc:
                self._record(exc)
                allowed = retry and (may_retry is None or may_retry(exc))
                if allowed and isinstance(exc, ModelNotLoaded):
                    loading_since = loading_since or self.settings.clock()
                    delay = self._load_wait(loading_since)
                else:
                    delay = self._delay(exc, attempt) if allowed else None
                    attempt += 1
                if delay is None:
                    raise
                await self.settings.sleep(delay)
            else:
                self.breaker.record_success()
                return result

    def _record(self, exc: ProviderError) -> None:
        if isinstance(exc, EndpointUnreachable) and not isinstance(exc, CircuitOpen):
            self.breaker.record_failure(exc)
        elif not isinstance(exc, CircuitOpen):
            self.breaker.record_success()  # the endpoint answered

    def _load_wait(self, since: float) -> float | None:
        """While the server swaps the model in, poll until ``load_wait_s`` has passed."""
        left = self.config.load_wait_s - (self.settings.clock() - since)
        return min(LOAD_POLL_S, left) if left > 0 else None

    def _delay(self, exc: ProviderError, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None to give up."""
        if not exc.transient or attempt >= self.config.max_retries:
            return None
        after = _retry_after(exc)
        if after is not None:
            return after if after <= MAX_RETRY_AFTER_S else None
        cfg = self.config
        return backoff_s(attempt, cfg.backoff_base_s, cfg.backoff_max_s, self.settings.random)
