"""The fleet: every configured model, one endpoint pool (one client per host) per provider.

::

    async with open_fleet(config) as fleet:
        answer = await fleet.model("qwen3-30b").chat(ChatRequest.of("hi"))
        status = await fleet.check("qwen3-30b")
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from escalator.config import Config
from escalator.errors import EndpointUnreachable, ProviderError, ProviderTimeout
from escalator.providers.endpoint import Endpoint
from escalator.providers.model import HttpChatModel
from escalator.providers.pool import EndpointPool
from escalator.providers.resilience import ResilienceSettings
from escalator.providers.status import HostStatus, LoadState, ModelStatus

__all__ = ["LOAD_STATE_TTL_S", "Fleet", "open_fleet"]

# How long a local server's answer about loaded models is reused.
LOAD_STATE_TTL_S = 5.0


class Fleet:
    """Chat models by key, status checks and the loaded context of local models."""

    def __init__(self, config: Config, settings: ResilienceSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ResilienceSettings()
        self.pools = {
            name: EndpointPool(pcfg, self.settings) for name, pcfg in config.providers.items()
        }
        self._models: dict[str, HttpChatModel] = {}
        self._states: dict[tuple[str, str], tuple[float, LoadState]] = {}

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.gather(*(pool.aclose() for pool in self.pools.values()))

    def pool_for(self, key: str) -> EndpointPool:
        return self.pools[self.config.registry.get(key).provider]

    def model(self, key: str) -> HttpChatModel:
        """The chat model for a configured key; InputError naming the keys otherwise."""
        if key not in self._models:
            spec = self.config.registry.get(key)
            self._models[key] = HttpChatModel(spec, self.pools[spec.provider])
        return self._models[key]

    async def _state(self, key: str, ep: Endpoint) -> LoadState:
        spec = self.config.registry.get(key)
        now = self.settings.clock()
        cached = self._states.get((key, ep.url))
        if cached is not None and now - cached[0] < LOAD_STATE_TTL_S:
            return cached[1]
        state = await ep.resilience.call(lambda: ep.provider.probe(ep, spec), retry=False)
        self._states[(key, ep.url)] = (self.settings.clock(), state)
        return state

    async def check(self, key: str) -> ModelStatus:
        """Reachability, load state and context window, per host and overall.

        Never raises for provider trouble. With several hosts the model is reachable
        when any host is, and ``hosts`` holds each host's own answer.
        """
        spec = self.config.registry.get(key)
        pool = self.pools[spec.provider]
        key_present = pool.primary.key_present()
        if key_present is False:
            env = " or ".join(pool.config.api_key_env) or "the api_key_env variable"
            note = f"not checked: set {env} to use {spec.provider}"
            return ModelStatus(key, spec.provider, None, None, None, key_present, note)
        hosts = await asyncio.gather(*(self._check_host(key, ep) for ep in pool.endpoints))
        best = next((h for h in hosts if h.reachable), hosts[0])
        return ModelStatus(
            model=key,
            provider=spec.provider,
            reachable=best.reachable,
            loaded=best.loaded,
            context_length=best.context_length,
            api_key_present=key_present,
            error=best.error,
            hosts=tuple(hosts) if len(hosts) > 1 else (),
        )

    async def _check_host(self, key: str, ep: Endpoint) -> HostStatus:
        try:
            state = await self._state(key, ep)
        except ProviderError as exc:
            return HostStatus(ep.url, _reachable(exc), None, None, str(exc))
        return HostStatus(ep.url, True, state.loaded, state.context_length, state.note)

    async def loaded_context_length(self, key: str) -> int | None:
        """The context local servers have the model loaded with, else None.

        With several hosts, the smallest loaded context among the healthy ones: a
        request may land on any of them.
        """
        spec = self.config.registry.get(key)
        pool = self.pools[spec.provider]
        if not pool.primary.profile.local:
            return None
        contexts: list[int] = []
        for ep in pool.endpoints:
            if not ep.resilience.healthy:
                continue
            try:
                state = await self._state(key, ep)
            except ProviderError:
                continue
            if state.loaded and state.context_length:
                contexts.append(state.context_length)
        return min(contexts) if contexts else None


def _reachable(exc: ProviderError) -> bool:
    return not isinstance(exc, EndpointUnreachable | ProviderTimeout)


def open_fleet(config: Config, settings: ResilienceSettings | None = None) -> Fleet:
    """A fleet for ``config``; use it as ``async with open_fleet(config) as fleet``."""
    return Fleet(config, settings)
