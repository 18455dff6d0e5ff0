"""What a server says about a model: reachable, loaded, with which context window.

One probe per server family, chosen by the provider class (``providers.kinds``): LM
Studio's ``/api/v1/models`` (0.4+) then ``/api/v0/models`` then ``/v1/models``; Ollama's
``/api/ps`` and ``/api/tags``; llama.cpp's ``/v1/models`` (+ ``/props``); OpenAI-style
``/v1/models``; Anthropic's and Gemini's model endpoints (only when the API key is set).
A probe reads through anything with ``get_json`` (an ``Endpoint``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from escalator.errors import MalformedResponse, ModelNotFound, ProviderError
from escalator.providers.profiles import ProviderProfile
from escalator.registry import ModelSpec

__all__ = [
    "HostStatus",
    "JsonSource",
    "LoadState",
    "ModelStatus",
    "probe_anthropic",
    "probe_gemini",
    "probe_llamacpp",
    "probe_lmstudio",
    "probe_ollama",
    "probe_openai_models",
    "same_model_id",
]


class JsonSource(Protocol):
    """What a probe needs of an endpoint: its name, its profile and JSON over GET."""

    @property
    def name(self) -> str: ...

    @property
    def profile(self) -> ProviderProfile: ...

    async def get_json(self, path: str, *, model_id: str = "", auth: bool = True) -> Any: ...


@dataclass(frozen=True)
class HostStatus:
    """One host's answer, for a provider with several ``base_url``s."""

    url: str
    reachable: bool | None
    loaded: bool | None
    context_length: int | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    hosts: tuple[HostStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "provider": self.provider,
            "reachable": self.reachable,
            "loaded": self.loaded,
            "context_length": self.context_length,
            "api_key_present": self.api_key_present,
            "error": self.error,
        }
        if self.hosts:
            out["hosts"] = [h.to_json() for h in self.hosts]
        return out


@dataclass(frozen=True)
class LoadState:
    """A probe's finding: ``loaded`` None where the server cannot tell."""

    loaded: bool | None
    context_length: int | None
    note: str | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def same_model_id(a: str, b: str) -> bool:
    """Model ids match ignoring LM Studio's ``@quant`` and Ollama's ``:latest`` suffixes."""

    def norm(x: str) -> str:
        return x.split("@")[0].removesuffix(":latest").lower()

    return norm(a) == norm(b)


def _find(items: Iterable[Any], model_id: str, *keys: str) -> dict[str, Any] | None:
    for item in items:
        if isinstance(item, dict) and any(
            same_model_id(str(item.get(k, "")), model_id) for k in keys
        ):
            return item
    return None


def _missing(model_id: str, items: Iterable[Any], *keys: str) -> LoadState:
    known = sorted({str(i.get(k)) for i in items if isinstance(i, dict) for k in keys if i.get(k)})
    listed = ", ".join(known[:10]) or "none"
    return LoadState(False, None, f"the server does not have {model_id!r} (it has: {listed})")


async def probe_lmstudio(ep: JsonSource, spec: ModelSpec) -> LoadState:
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
    return await probe_openai_models(ep, spec)


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


async def probe_ollama(ep: JsonSource, spec: ModelSpec) -> LoadState:
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


async def probe_openai_models(ep: JsonSource, spec: ModelSpec) -> LoadState:
    """``/v1/models``: listed means servable; vLLM adds ``max_model_len``."""
    data = await ep.get_json("/v1/models")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedResponse(f"{ep.name} /v1/models has no data list", provider=ep.name)
    item = _find(items, spec.model_id, "id")
    if item is None:
        return _missing(spec.model_id, items, "id")
    loaded = None if ep.profile.lists_unloaded_models else True
    return LoadState(loaded, _int(item.get("max_model_len")))


async def probe_llamacpp(ep: JsonSource, spec: ModelSpec) -> LoadState:
    """llama.cpp serves the one model it was started with, whatever ``model`` says."""
    await ep.get_json("/v1/models")
    try:
        props = await ep.get_json("/props")
    except ProviderError:
        return LoadState(True, None)
    settings = props.get("default_generation_settings") if isinstance(props, dict) else None
    ctx = _int(settings.get("n_ctx")) if isinstance(settings, Mapping) else None
    return LoadState(True, ctx or (_int(props.get("n_ctx")) if isinstance(props, dict) else None))


async def probe_anthropic(ep: JsonSource, spec: ModelSpec) -> LoadState:
    """Anthropic's ``/v1/models/{id}``: exists, with its input limit where given."""
    return await _cloud(ep, spec, f"/v1/models/{spec.model_id}")


async def probe_gemini(ep: JsonSource, spec: ModelSpec) -> LoadState:
    """Gemini's ``/v1beta/models/{id}``: exists, with ``inputTokenLimit``."""
    return await _cloud(ep, spec, f"/v1beta/models/{spec.model_id}")


async def _cloud(ep: JsonSource, spec: ModelSpec, path: str) -> LoadState:
    data = await ep.get_json(path, model_id=spec.model_id)
    if not isinstance(data, dict):
        return LoadState(None, None)
    ctx = _int(data.get("inputTokenLimit")) or _int(data.get("max_input_tokens"))
    return LoadState(None, ctx)
