"""Several hosts behind one provider: pick the least-loaded healthy one, fail over.

A provider with ``extra_urls`` (two Macs serving the same Qwen) gets one ``Endpoint``
per URL, each with its own circuit breaker and limits. A call goes to the healthy
endpoint with the fewest calls in flight (ties: configuration order). When that host
cannot be reached (connection refused, dropped, circuit open) and nothing was streamed
yet, the call moves to the next healthy host instead of failing the model; only when
every host failed does the last error go up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from escalator.config import ProviderConfig
from escalator.errors import EndpointUnreachable, ProviderError
from escalator.providers.endpoint import Endpoint
from escalator.providers.resilience import ResilienceSettings

__all__ = ["EndpointPool"]

T = TypeVar("T")


class EndpointPool:
    """The endpoints of one configured provider, in configuration order."""

    def __init__(self, config: ProviderConfig, settings: ResilienceSettings) -> None:
        self.config = config
        self.endpoints = [Endpoint(config, settings, url) for url in config.urls]

    def __repr__(self) -> str:
        return f"EndpointPool({self.config.name!r}, {[ep.url for ep in self.endpoints]})"

    @property
    def primary(self) -> Endpoint:
        return self.endpoints[0]

    def ordered(self) -> list[Endpoint]:
        """Healthy endpoints first, least loaded first; marked-down ones last."""
        ranked = sorted(
            enumerate(self.endpoints),
            key=lambda item: (
                not item[1].resilience.healthy,
                item[1].resilience.in_flight,
                item[0],
            ),
        )
        return [ep for _, ep in ranked]

    async def call(
        self,
        op: Callable[[Endpoint], Awaitable[T]],
        *,
        retry: bool = True,
        may_retry: Callable[[ProviderError], bool] | None = None,
    ) -> T:
        """Run ``op`` on the best endpoint, moving on while hosts are unreachable.

        ``may_retry`` vetoes both a retry and a move to another host (a stream that
        already delivered tokens cannot be replayed elsewhere).
        """
        *others, final = self.ordered()
        for ep in others:
            try:
                return await ep.resilience.call(
                    _bind(op, ep), retry=retry, may_retry=_here_only(may_retry)
                )
            except EndpointUnreachable as exc:
                if may_retry is not None and not may_retry(exc):
                    raise
        return await final.resilience.call(_bind(op, final), retry=retry, may_retry=may_retry)

    async def aclose(self) -> None:
        await asyncio.gather(*(ep.aclose() for ep in self.endpoints))


def _bind(op: Callable[[Endpoint], Awaitable[T]], ep: Endpoint) -> Callable[[], Awaitable[T]]:
    return lambda: op(ep)


def _here_only(
    may_retry: Callable[[ProviderError], bool] | None,
) -> Callable[[ProviderError], bool]:
    """While other hosts remain, an unreachable host is not retried: the next one is."""

    def check(exc: ProviderError) -> bool:
        if isinstance(exc, EndpointUnreachable):
            return False
        return may_retry is None or may_retry(exc)

    return check
