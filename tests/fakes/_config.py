"""Build a validated ``Config`` whose providers point at fakes (or at nothing)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from escalator.config import Config, parse_config

__all__ = ["UNREACHABLE_URL", "config_data_for", "config_for", "to_toml", "write_config"]

# Nothing listens on the discard port: calls fail fast with EndpointUnreachable.
UNREACHABLE_URL = "http://127.0.0.1:9"

FAST_PROVIDER: dict[str, Any] = {
    "timeout_s": 10.0,
    "connect_timeout_s": 2.0,
    "backoff_base_s": 0.0,
    "backoff_max_s": 0.0,
}


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def config_data_for(
    *,
    lmstudio_url: str | None = None,
    anthropic_url: str | None = None,
    gemini_url: str | None = None,
    ollama_url: str | None = None,
    llamacpp_url: str | None = None,
    db_path: str | Path | None = None,
    fast: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The TOML-shaped dict behind ``config_for`` (write it out with your own TOML writer)."""
    fast_kw = FAST_PROVIDER if fast else {}
    providers: dict[str, Any] = {
        "lmstudio": {"base_url": lmstudio_url or UNREACHABLE_URL, **fast_kw},
        "anthropic": {"base_url": anthropic_url or UNREACHABLE_URL, **fast_kw},
        "gemini": {"base_url": gemini_url or UNREACHABLE_URL, **fast_kw},
    }
    models: dict[str, Any] = {}
    if ollama_url:
        providers["ollama"] = {"kind": "ollama", "base_url": ollama_url, **fast_kw}
        models["ollama-14b"] = {
            "provider": "ollama",
            "model_id": "qwen2.5:14b",
            "tier": "LOCAL_FAST",
            "capabilities": ["streaming"],
        }
    if llamacpp_url:
        providers["llamacpp"] = {"kind": "llamacpp", "base_url": llamacpp_url, **fast_kw}
        models["tiny"] = {
            "provider": "llamacpp",
            "model_id": "tiny",
            "tier": "LOCAL_FAST",
            "context_window": 512,
            "max_output_tokens": 64,
            "capabilities": ["streaming"],
        }
    data: dict[str, Any] = {"providers": providers, "models": models}
    if db_path is not None:
        data["store"] = {"db_path": str(db_path)}
    return _deep_merge(data, extra or {})


def config_for(
    *,
    lmstudio_url: str | None = None,
    anthropic_url: str | None = None,
    gemini_url: str | None = None,
    ollama_url: str | None = None,
    llamacpp_url: str | None = None,
    db_path: str | Path | None = None,
    fast: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> Config:
    """The default config (seed registry and matrix) with providers pointed at the fakes.

    A provider whose URL is not given points at ``UNREACHABLE_URL`` so that no test can
    reach a real endpoint. ``fast`` (default) sets zero backoff and short timeouts.
    ``ollama_url`` adds model ``ollama-14b`` (``qwen2.5:14b``); ``llamacpp_url`` adds
    model ``tiny``. ``extra`` is a TOML-shaped dict merged over the result, e.g.
    ``{"providers": {"lmstudio": {"max_retries": 0}}, "cost_guard": {"policy": "deny"}}``.
    """
    data = config_data_for(
        lmstudio_url=lmstudio_url,
        anthropic_url=anthropic_url,
        gemini_url=gemini_url,
        ollama_url=ollama_url,
        llamacpp_url=llamacpp_url,
        db_path=db_path,
        fast=fast,
        extra=extra,
    )
    return parse_config(data, source="tests.fakes.config_for")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """A small TOML writer for config-shaped dicts (tables, strings, numbers, lists)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        name = key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{name}", value))
        else:
            lines.append(f"{name} = {_toml_value(value)}")
    out = "\n".join(lines)
    for path, table in tables:
        out += f"\n\n[{path}]\n" + to_toml(table, prefix=f"{path}.")
    return out.strip() + "\n"


def write_config(path: str | Path, **kw: Any) -> Path:
    """Write ``config_data_for(**kw)`` as an escalator.toml (for subprocess tests)."""
    target = Path(path)
    target.write_text(to_toml(config_data_for(**kw)), encoding="utf-8")
    return target
