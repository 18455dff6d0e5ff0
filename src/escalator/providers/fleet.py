"""The fleet: every configured model, one endpoint (and HTTP client) per provider.

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
from escalator.providers.resilience import ResilienceSettings
from escalator.providers.status import LoadState, ModelStatus, probe

__all__ = ["LOAD_STATE_TTL_S", "Fleet", "open_fleet"]

# How long a local server's answer about loaded models is reused.
LOAD_STATE_TTL_S = 5.0


class Fleet:
    """Chat models by key, status checks and the loaded context of local models."""

    def __init__(self, config: Config, settings: ResilienceSettings | None = None) -> None:
        self.config = config
        self.settings = settings or ResilienceSettings()
        self.endpoints = {
            name: Endpoint(pcfg, self.settings) for name, pcfg in config.providers.items()
        }
        self._models: dict[str, HttpChatModel] = {}
        self._states: dict[str, tuple[float, LoadState]] = {}

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
        await asyncio.gather(*(ep.aclose() for ep in self.endpoints.values()))

    def endpoint_for(self, key: str) -> Endpoint:
        return self.endpoints[self.config.registry.get(key).provider]

    def model(self, key: str) -> HttpChatModel:
        """The chat model for a configured key; InputError naming the keys otherwise."""
        if key not in self._models:
            spec = self.config.registry.get(key)
            self._models[key] = HttpChatModel(spec, self.endpoints[spec.provider])
        return self._models[key]

    async def _state(self, key: str) -> LoadState:
        spec = self.config.registry.get(key)
        ep = self.endpoints[spec.provider]
        now = self.settings.clock()
        cached = self._states.get(key)
        if cached is not None and now - cached[0] < LOAD_STATE_TTL_S:
            return cached[1]
        state = await ep.resilience.call(lambda: probe(ep, spec), retry=False)
        self._states[key] = (self.settings.clock(), state)
        return state

    async def check(self, key: str) -> ModelStatus:
        """Reachability, load state and context window; never raises for provider trouble."""
        spec = self.config.registry.get(key)
        ep = self.endpoints[spec.provider]
        key_present = ep.key_present()

        def status(
            reachable: bool | None, state: LoadState | None, error: str | None
        ) -> ModelStatus:
            return ModelStatus(
                model=key,
                provider=spec.provider,
                reachable=reachable,
                loaded=state.loaded if state else None,
                context_length=state.context_length if state else None,
                api_key_present=key_present,
                error=error,
            )

        if key_present is False:
            env = " or ".join(ep.config.api_key_env) or "the api_key_env variable"
            return status(None, None, f"not checked: set {env} to use {spec.provider}")
        try:
            state = await self._state(key)
        except ProviderError as exc:
            return status(_reachable(exc), None, str(exc))
        return status(True, state, state.note)

    async def loaded_context_length(self, key: str) -> int | None:
        """The context the server has the model loaded with (local servers), else None."""
        spec = self.config.registry.get(key)
        if not self.endpoints[spec.provider].config.is_local_server:
            return None
        try:
            state = await self._state(key)
        except ProviderError:
            return None
        return state.context_length if state.loaded else None


def _reachable(exc: ProviderError) -> bool:
    return not isinstance(exc, EndpointUnreachable | ProviderTimeout)


def open_fleet(config: Config, settings: ResilienceSettings | None = None) -> Fleet:
    """A fleet for ``config``; use it as ``async with open_fleet(config) as fleet``."""
    return Fleet(config, settings)
