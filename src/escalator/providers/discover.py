"""What local servers serve: the models LM Studio, Ollama, llama.cpp and vLLM offer.

``served_models(endpoint)`` lists one local server's models (with load state and
context where the server says); ``discover(config)`` lists, for every local provider,
the models it serves that no configured model names, and the servers that did not
answer. Cloud providers are never listed (their catalogues are not "what you run").
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from escalator.config import Config
from escalator.errors import MalformedResponse, ModelNotFound, ProviderError
from escalator.providers.endpoint import Endpoint
from escalator.providers.profiles import profile_of
from escalator.providers.resilience import ResilienceSettings
from escalator.providers.status import same_model_id

__all__ = ["Discovery", "ServedModel", "discover", "served_models"]


@dataclass(frozen=True)
class ServedModel:
    """One model a local server offers."""

    provider: str
    model_id: str
    loaded: bool | None = None
    context_length: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model_id": self.model_id,
            "loaded": self.loaded,
            "context_length": self.context_length,
        }


@dataclass
class Discovery:
    """Served models the config lacks, and the providers that could not be asked."""

    new: list[ServedModel] = field(default_factory=list)
    known: list[ServedModel] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(data: Any, key: str) -> list[dict[str, Any]]:
    items = data.get(key) if isinstance(data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


async def _lmstudio(ep: Endpoint) -> list[ServedModel]:
    try:
        models = _items(await ep.get_json("/api/v1/models"), "models")
        if models:
            return [
                ServedModel(
                    ep.name,
                    str(m.get("key")),
                    bool(m.get("loaded_instances")),
                    _int(m.get("max_context_length")),
                )
                for m in models
                if m.get("key") and m.get("type", "llm") == "llm"
            ]
    except (MalformedResponse, ModelNotFound):
        pass
    except ProviderError as exc:
        if exc.status not in (400, 404, 405):
            raise
    items = _items(await ep.get_json("/api/v0/models"), "data")
    return [
        ServedModel(
            ep.name,
            str(i.get("id")),
            i.get("state") == "loaded",
            _int(i.get("loaded_context_length")) or _int(i.get("max_context_length")),
        )
        for i in items
        if i.get("id") and i.get("type", "llm") in ("llm", "vlm")
    ]


async def _ollama(ep: Endpoint) -> list[ServedModel]:
    pulled = _items(await ep.get_json("/api/tags"), "models")
    running = {str(m.get("name")): m for m in _items(await ep.get_json("/api/ps"), "models")}
    return [
        ServedModel(
            ep.name,
            str(m.get("name")),
            str(m.get("name")) in running,
            _int(running.get(str(m.get("name")), {}).get("context_length")),
        )
        for m in pulled
        if m.get("name")
    ]


async def _openai_models(ep: Endpoint) -> list[ServedModel]:
    items = _items(await ep.get_json("/v1/models"), "data")
    loaded = True if ep.config.kind in ("llamacpp", "vllm") else None
    return [
        ServedModel(ep.name, str(i.get("id")), loaded, _int(i.get("max_model_len")))
        for i in items
        if i.get("id")
    ]


async def served_models(ep: Endpoint) -> list[ServedModel]:
    """The models one local server offers; raises the mapped ``ProviderError``."""
    if ep.config.kind == "lmstudio":
        return await _lmstudio(ep)
    if ep.config.kind == "ollama":
        return await _ollama(ep)
    return await _openai_models(ep)


def _configured(config: Config, provider: str) -> list[str]:
    return [m.model_id for m in config.models.values() if m.provider == provider]


def _split(served: Iterable[ServedModel], config: Config, into: Discovery) -> None:
    for model in served:
        ids = _configured(config, model.provider)
        target = into.known if any(same_model_id(model.model_id, i) for i in ids) else into.new
        target.append(model)


async def discover(config: Config, settings: ResilienceSettings | None = None) -> Discovery:
    """Every local provider's served models, split into those the config names and not."""
    found = Discovery()
    endpoints = [
        Endpoint(p, settings or ResilienceSettings())
        for p in config.providers.values()
        if profile_of(p.kind).local
    ]
    try:
        results = await asyncio.gather(
            *(served_models(ep) for ep in endpoints), return_exceptions=True
        )
    finally:
        await asyncio.gather(*(ep.aclose() for ep in endpoints))
    for ep, result in zip(endpoints, results, strict=True):
        if isinstance(result, ProviderError):
            found.errors[ep.name] = str(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            _split(result, config, found)
    return found
