"""Provider classes: one per kind of server, owning auth, status probes and the adapter.

A provider is what sits behind a base URL (LM Studio, Ollama, llama.cpp, vLLM, OpenAI,
Anthropic, Gemini). It knows how that server authenticates, how it reports which models
are loaded, which API family it speaks (the *adapter*) and its capability data (the
*profile*). ``Endpoint`` asks its provider instead of switching on ``kind`` strings.

    provider = provider_for("lmstudio")
    headers = provider.auth_headers(key)          # {"Authorization": "Bearer ..."}
    state = await provider.probe(endpoint, spec)  # LoadState(loaded, context_length)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from escalator.providers.adapter import Adapter
from escalator.providers.anthropic import ANTHROPIC_VERSION, AnthropicAdapter
from escalator.providers.gemini import GeminiAdapter
from escalator.providers.openai_compat import OpenAICompatAdapter
from escalator.providers.profiles import ProviderProfile, profile_of
from escalator.providers.status import (
    JsonSource,
    LoadState,
    probe_anthropic,
    probe_gemini,
    probe_llamacpp,
    probe_lmstudio,
    probe_ollama,
    probe_openai_models,
)
from escalator.registry import ModelSpec

__all__ = [
    "AnthropicProvider",
    "GeminiProvider",
    "LMStudioProvider",
    "LlamaCppProvider",
    "OllamaProvider",
    "OpenAIProvider",
    "Provider",
    "VLLMProvider",
    "provider_for",
]

Probe = Callable[[JsonSource, ModelSpec], Awaitable[LoadState]]


class Provider:
    """An OpenAI-compatible server: bearer auth, ``/v1/models`` for status."""

    kind = "openai"

    @property
    def profile(self) -> ProviderProfile:
        return profile_of(self.kind)

    def adapter(self) -> Adapter:
        """A fresh adapter (it may learn a server's routes, so one per endpoint)."""
        return OpenAICompatAdapter(self.kind)

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_openai_models(ep, spec)

    def key_present(self, key: str | None) -> bool | None:
        """Whether the key is set; None where the server needs none."""
        if self.profile.key_required:
            return key is not None
        if self.profile.key_optional and key is not None:
            return True
        return None


class OpenAIProvider(Provider):
    kind = "openai"


class VLLMProvider(Provider):
    kind = "vllm"


class LMStudioProvider(Provider):
    """LM Studio: native ``/api/v0`` routes with stats, just-in-time model loading."""

    kind = "lmstudio"

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_lmstudio(ep, spec)


class OllamaProvider(Provider):
    """Ollama: ``/api/ps`` for what is loaded, ``/api/tags`` for what is pulled."""

    kind = "ollama"

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_ollama(ep, spec)


class LlamaCppProvider(Provider):
    """llama.cpp's server: one model, its context in ``/props``."""

    kind = "llamacpp"

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_llamacpp(ep, spec)


class AnthropicProvider(Provider):
    """Anthropic's Messages API: ``x-api-key`` and a pinned API version."""

    kind = "anthropic"

    def adapter(self) -> Adapter:
        return AnthropicAdapter()

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_anthropic(ep, spec)


class GeminiProvider(Provider):
    """Google's Gemini API: ``x-goog-api-key``."""

    kind = "gemini"

    def adapter(self) -> Adapter:
        return GeminiAdapter()

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    async def probe(self, ep: JsonSource, spec: ModelSpec) -> LoadState:
        return await probe_gemini(ep, spec)


_BY_KIND: dict[str, type[Provider]] = {
    cls.kind: cls
    for cls in (
        OpenAIProvider,
        VLLMProvider,
        LMStudioProvider,
        OllamaProvider,
        LlamaCppProvider,
        AnthropicProvider,
        GeminiProvider,
    )
}


def provider_for(kind: str) -> Provider:
    """The provider class for a configured kind (config validation guarantees it exists)."""
    return _BY_KIND[kind]()
