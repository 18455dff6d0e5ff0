"""Capability data per provider kind: plain facts, no behaviour.

A *profile* says what a kind of server is (local or cloud, whether it needs a key, what
its odd answers mean); the *provider* classes in ``providers.kinds`` act on it (URL,
auth, status probes) and the *adapters* shape requests for an API family. The facts come
from ``shared/design/PROVIDERS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from escalator.config import PROVIDER_KINDS

__all__ = ["PROFILES", "Dialect", "ProviderProfile", "profile_of"]

Dialect = Literal["openai_compat", "anthropic", "gemini"]


@dataclass(frozen=True)
class ProviderProfile:
    """What one kind of provider is and how it behaves at the edges."""

    kind: str
    dialect: Dialect
    # Runs on the user's own hardware: free, and its loaded context window matters.
    local: bool
    # Refuses every request without an API key.
    key_required: bool = False
    # Takes an optional bearer token (LM Studio's ``LMSTUDIO_API_TOKEN``).
    key_optional: bool = False
    # Has LM Studio's native ``/api/v0/chat/completions`` route with speed stats.
    native_chat_route: bool = False
    # ``/v1/models`` lists models that are not loaded (LM Studio loads just in time).
    lists_unloaded_models: bool = False
    # An empty HTTP 200 answer means the prompt did not fit the loaded context.
    empty_answer_means_overflow: bool = False


PROFILES: dict[str, ProviderProfile] = {
    "lmstudio": ProviderProfile(
        "lmstudio",
        "openai_compat",
        local=True,
        key_optional=True,
        native_chat_route=True,
        lists_unloaded_models=True,
        empty_answer_means_overflow=True,
    ),
    "ollama": ProviderProfile("ollama", "openai_compat", local=True),
    "llamacpp": ProviderProfile(
        "llamacpp", "openai_compat", local=True, empty_answer_means_overflow=True
    ),
    "vllm": ProviderProfile("vllm", "openai_compat", local=True),
    "openai": ProviderProfile("openai", "openai_compat", local=False, key_required=True),
    "anthropic": ProviderProfile("anthropic", "anthropic", local=False, key_required=True),
    "gemini": ProviderProfile("gemini", "gemini", local=False, key_required=True),
}

if set(PROFILES) != set(PROVIDER_KINDS):  # pragma: no cover - a programming error
    raise RuntimeError("providers.profiles.PROFILES must cover config.PROVIDER_KINDS exactly")


def profile_of(kind: str) -> ProviderProfile:
    """The profile of a configured kind (config validation guarantees it exists)."""
    return PROFILES[kind]
