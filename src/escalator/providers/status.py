"""What a server says about a model: reachable, loaded, with which context window.

One probe per provider kind: LM Studio's ``/api/v1/models`` (0.4+) then
``/api/v0/models`` then ``/v1/models``; Ollama's ``/api/ps`` and ``/api/tags``;
llama.cpp's ``/v1/models`` (+ ``/props``); OpenAI-style ``/v1/models``; Anthropic's and
Gemini's model endpoints (only when the API key is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from escalator.errors import MalformedResponse, ModelNotFound, ProviderError
from escalator.providers.endpoint import Endpoint
from escalator.registry import ModelSpec

__all__ = ["LoadState", "ModelStatus", "probe"]


@dataclass(frozen=True)
class ModelStatus:
    """The answer of ``Fleet.check``: never carries the API key itself."""

    model: str
    provider: str
    reachable: bool | None
    loaded: bool | None
    context_length: int | None
    api_key_present: bool | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "provider": self.provider,
            "reachable": self.reachable,
            "loaded": self.loaded,
            "context_length": self.context_length,
            "api_key_present": self.api_key_present,
            "error": self.error,
        }


@dataclass(frozen=True)
class LoadState:
    """A probe's finding: ``loaded`` None where the server cannot tell."""

    loaded: bool | None
    context_length: int | None
    note: str | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _same(a: str, b: str) -> bool:
    """Model ids match ignoring LM Studio's ``@quant`` and Ollama's ``:latest`` suffixes."""

    def norm(x: str) -> str:
        return x.split("@")[0].removesuffix(":latest").lower()

    return norm(a) == norm(b)


def _find(items: Iterable[Any], model_id: str, *keys: str) -> dict[str, Any] | None:
    for item in items:
        if isinstance(item, dict) and any(_same(str(item.get(k, "")), model_id) for k in keys):
            return item
    return None


def _missing(model_id: str, items: Iterable[Any], *keys: str) -> LoadState:
    known = sorted({str(i.get(k)) for i in items if isinstance(i, dict) for k in keys if i.get(k)})
    listed = ", ".join(known[:10]) or "none"
    return LoadState(False, None, f"the server does not have {model_id!r} (it has: {listed})")


async def _lmstudio(ep: Endpoint, spec: ModelSpec) -> LoadState:
    try:
        data = await ep.get_json("/api/v1/models")
        models = data.get("models") if isinstance(data, dict) else None
        if isinstance(models, list):
            return _lmstudio_v1(models, spec.model_id)
    except (MalformedResponse, ModelNotFound):
        pass
    except ProviderError as exc:
        if exc.status not in (400, 404, 405):
            raise
    try:
        data = await ep.get_json("/api/v0/models")
        items = data.get("data") if isinstance(data, dict) else None
        if isinstance(items, list):
            return _lmstudio_v0(items, spec.model_id)
    except (MalformedResponse, ModelNotFound):
        pass
    return await _openai_models(ep, spec)


def _lmstudio_v1(models: list[Any], model_id: str) -> LoadState:
    item = _find(models, model_id, "key", "id")
    if item is None:
        return _missing(model_id, models, "key")
    instances = [i for i in item.get("loaded_instances") or [] if isinstance(i, dict)]
    if not instances:
        return LoadState(False, None)
    ctx = _int((instances[0].get("config") or {}).get("context_length"))
    return LoadState(True, ctx or _int(item.get("max_context_length")))


def _lmstudio_v0(items: list[Any], model_id: str) -> LoadState:
    item = _find(items, model_id, "id")
    if item is None:
        return _missing(model_id, items, "id")
    if item.get("state") != "loaded":
        return LoadState(False, None)
    ctx = _int(item.get("loaded_context_length")) or _int(item.get("context_length"))
    return LoadState(True, ctx or _int(item.get("max_context_length")))


async def _ollama(ep: Endpoint, spec: ModelSpec) -> LoadState:
    ps = await ep.get_json("/api/ps")
    running = ps.get("models") if isinstance(ps, dict) else None
    item = _find(running or [], spec.model_id, "name", "model")
    if item is not None:
        return LoadState(True, _int(item.get("context_length")))
    tags = await ep.get_json("/api/tags")
    pulled = tags.get("models") if isinstance(tags, dict) else None
    if _find(pulled or [], spec.model_id, "name", "model") is not None:
        return LoadState(False, None)
    return _missing(spec.model_id, pulled or [], "name")


async def _openai_models(ep: Endpoint, spec: ModelSpec) -> LoadState:
    """``/v1/models``: listed means servable; vLLM adds ``max_model_len``."""
    data = await ep.get_json("/v1/models")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedResponse(f"{ep.name} /v1/models has no data list", provider=ep.name)
    item = _find(items, spec.model_id, "id")
    if item is None:
        return _missing(spec.model_id, items, "id")
    loaded = None if ep.config.kind == "lmstudio" else True  # LM Studio lists JIT models
    return LoadState(loaded, _int(item.get("max_model_len")))


async def _llamacpp(ep: Endpoint, spec: ModelSpec) -> LoadState:
    """llama.cpp serves the one model it was started with, whatever ``model`` says."""
    await ep.get_json("/v1/models")
    try:
        props = await ep.get_json("/props")
    except ProviderError:
        return LoadState(True, None)
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    ctx = _int(settings.get("n_ctx")) if isinstance(settings, Mapping) else None
    return LoadState(True, ctx or (_int(props.get("n_ctx")) if isinstance(props, dict) else None))


async def _cloud(ep: Endpoint, spec: ModelSpec) -> LoadState:
    path = (
        f"/v1beta/models/{spec.model_id}"
        if ep.config.kind == "gemini"
        else f"/v1/models/{spec.model_id}"
    )
    data = await ep.get_json(path, model_id=spec.model_id)
    if not isinstance(data, dict):
        return LoadState(None, None)
    ctx = _int(data.get("inputTokenLimit")) or _int(data.get("max_input_tokens"))
    return LoadState(None, ctx)


async def probe(ep: Endpoint, spec: ModelSpec) -> LoadState:
    """Ask the server about one model; raises the mapped ``ProviderError`` on failure."""
    kind = ep.config.kind
    if kind == "lmstudio":
        return await _lmstudio(ep, spec)
    if kind == "ollama":
        return await _ollama(ep, spec)
    if kind == "llamacpp":
        return await _llamacpp(ep, spec)
    if kind in ("anthropic", "gemini"):
        return await _cloud(ep, spec)
    return await _openai_models(ep, spec)
