"""OpenAI-compatible fakes: LM Studio (with its native REST API) and Ollama."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes._server import (
    Exchange,
    FakeServer,
    RecordedRequest,
    Reply,
    count_words,
    split_pieces,
    tokens_out_of,
)

__all__ = ["DEFAULT_LMSTUDIO_MODELS", "LMStudioFake", "LocalModel", "OllamaFake"]

NO_MODELS_LOADED = (
    "No models loaded. Please load a model in the developer page or use the `lms load` command."
)

# The model ids of escalator's default config (config_for points it at LMStudioFake).
DEFAULT_LMSTUDIO_MODELS = (
    "qwen2.5-14b-instruct",
    "qwen/qwen3-30b-a3b",
    "qwen2.5-coder-32b-instruct",
)


@dataclass
class LocalModel:
    """A model a local server knows: loaded or not, its max and its loaded context."""

    id: str
    loaded: bool = True
    max_context_length: int = 32768
    context_length: int | None = None  # loaded context; None = max_context_length

    @property
    def loaded_context(self) -> int:
        return self.context_length or self.max_context_length


def _models_arg(
    models: Iterable[str | LocalModel] | None, default: Iterable[str]
) -> dict[str, LocalModel]:
    items = default if models is None else models
    out: dict[str, LocalModel] = {}
    for m in items:
        model = m if isinstance(m, LocalModel) else LocalModel(m)
        out[model.id] = model
    return out


_LMSTUDIO_STOP = {
    "stop": "eosFound",
    "length": "maxPredictedTokensReached",
    "window": "contextLengthReached",
}


def _finish(reply: Reply) -> str:
    """The OpenAI dialect says ``length`` for the output cap and the window alike."""
    return "length" if reply.finish_reason == "window" else reply.finish_reason


class OpenAIDialect(FakeServer):
    """``/v1/chat/completions`` (plain and SSE) shared by the local fakes."""

    #: stream a final usage chunk when the request sets stream_options.include_usage
    stream_usage_supported = True

    def usage_of(self, req: RecordedRequest, reply: Reply) -> dict[str, int]:
        tin = reply.tokens_in if reply.tokens_in is not None else count_words(req.prompt_text())
        tout = tokens_out_of(req, reply)
        return {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout}

    def extra_fields(
        self, req: RecordedRequest, reply: Reply, usage: Mapping[str, int]
    ) -> dict[str, Any]:
        return {}

    def chat(self, ex: Exchange, model: str) -> None:
        reply = self.next_reply(ex.request)
        body = ex.request.body if isinstance(ex.request.body, dict) else {}
        if body.get("stream"):
            self.answer(ex, reply, lambda r: self._stream(ex, r, model))
        else:
            self.answer(ex, reply, lambda r: self._complete(ex, r, model))

    def _complete(self, ex: Exchange, reply: Reply, model: str) -> None:
        usage = self.usage_of(ex.request, reply)
        body = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "logprobs": None,
                    "finish_reason": _finish(reply),
                }
            ],
            "usage": usage,
            "system_fingerprint": model,
        }
        body.update(self.extra_fields(ex.request, reply, usage))
        ex.send_json(200, body)

    def _chunk(
        self, cid: str, model: str, delta: dict[str, Any], finish: str | None
    ) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def _stream(self, ex: Exchange, reply: Reply, model: str) -> None:
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        ex.start_stream()
        ex.sse(self._chunk(cid, model, {"role": "assistant", "content": ""}, None))
        for piece in split_pieces(reply.text):
            self.pause()
            ex.sse(self._chunk(cid, model, {"content": piece}, None))
        ex.sse(self._chunk(cid, model, {}, _finish(reply)))
        opts = ex.request.body.get("stream_options") or {}
        if reply.usage and self.stream_usage_supported and opts.get("include_usage"):
            usage = self.usage_of(ex.request, reply)
            ex.sse(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "system_fingerprint": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        ex.sse("[DONE]")
        ex.end_stream()


class LMStudioFake(OpenAIDialect):
    """LM Studio: ``/v1/models`` (no ``created``), ``/v1/chat/completions``,
    ``/api/v0/models`` and ``/api/v0/chat/completions`` (with ``stats``), ``/api/v1/models``.

    ``models`` (ids or ``LocalModel``) defaults to the three LM Studio models of the
    default config, all loaded. A request for an unknown id gets 400 ``model_not_found``;
    for a known unloaded model the fake JIT-loads it; with no model loaded and
    ``jit=False`` it answers 400 "No models loaded". A prompt longer than the loaded
    context gets LM Studio's 400 overflow text. Unknown routes get HTTP 200 with
    ``{"error": "Unexpected endpoint or method. (POST /x)"}``. ``stream_usage=False``
    emulates LM Studio before 0.3.18 (no usage in streams); ``token`` requires
    ``Authorization: Bearer <token>``.
    """

    dialect = "lmstudio"

    def __init__(
        self,
        models: Iterable[str | LocalModel] | None = None,
        *,
        jit: bool = True,
        stream_usage: bool = True,
        token: str | None = None,
        v1_api: bool = True,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.models = _models_arg(models, DEFAULT_LMSTUDIO_MODELS)
        self.jit = jit
        self.stream_usage_supported = stream_usage
        self.token = token
        self.v1_api = v1_api

    def handle(self, ex: Exchange) -> None:
        req = ex.request
        if self.token and req.headers.get("authorization") != f"Bearer {self.token}":
            ex.send_json(
                401,
                {"error": "Invalid or missing API token. Provide it in the Authorization header."},
            )
            return
        route = (req.method, req.path)
        if route == ("GET", "/v1/models"):
            data = [
                {"id": m.id, "object": "model", "owned_by": "organization_owner"}
                for m in self.models.values()
            ]
            ex.send_json(200, {"data": data, "object": "list"})
        elif route == ("GET", "/api/v0/models"):
            ex.send_json(
                200, {"object": "list", "data": [self._v0_model(m) for m in self.models.values()]}
            )
        elif route == ("GET", "/api/v1/models") and self.v1_api:
            ex.send_json(200, {"models": [self._v1_model(m) for m in self.models.values()]})
        elif req.method == "POST" and req.path in (
            "/v1/chat/completions",
            "/api/v0/chat/completions",
        ):
            self._chat_checked(ex)
        else:
            ex.send_json(
                200, {"error": f"Unexpected endpoint or method. ({req.method} {req.path})"}
            )

    def _chat_checked(self, ex: Exchange) -> None:
        """LM Studio's checks, skipped when a reply is scripted for the model id."""
        model_id = ex.request.model or ""
        if not self.pending(model_id):
            error = self._refusal(model_id, ex.request)
            if error is not None:
                ex.send_json(400, error)
                return
        self.chat(ex, model_id)

    def _refusal(self, model_id: str, req: RecordedRequest) -> dict[str, Any] | None:
        model = self.models.get(model_id)
        if model is None and (self.jit or any(m.loaded for m in self.models.values())):
            return {
                "error": {
                    "message": f'Invalid model identifier "{model_id}". '
                    "Please specify a valid downloaded model.",
                    "type": "invalid_request_error",
                    "param": "model",
                    "code": "model_not_found",
                }
            }
        if model is None or (not model.loaded and not self.jit):
            return {"error": NO_MODELS_LOADED}
        model.loaded = True
        n = count_words(req.prompt_text())
        if n > model.loaded_context:
            return {
                "error": f"Trying to keep the first {n} tokens when context the overflows. "
                f"However, the model is loaded with context length of only "
                f"{model.loaded_context} tokens, which is not enough. Try to load the model "
                "with a larger context length, or provide a shorter input"
            }
        return None

    def extra_fields(
        self, req: RecordedRequest, reply: Reply, usage: Mapping[str, int]
    ) -> dict[str, Any]:
        if not req.path.startswith("/api/v0/"):
            return {}
        model = self.models.get(req.model or "")
        gen_s = max(0.001, usage["completion_tokens"] / 250.0)
        return {
            "stats": {
                "tokens_per_second": usage["completion_tokens"] / gen_s,
                "time_to_first_token": 0.05,
                "generation_time": gen_s,
                "stop_reason": _LMSTUDIO_STOP.get(reply.finish_reason, reply.finish_reason),
            },
            "model_info": {
                "arch": "qwen2",
                "quant": "Q4_K_M",
                "format": "gguf",
                "context_length": model.loaded_context if model else 4096,
            },
            "runtime": {"name": "llama.cpp-mac-arm64-metal", "version": "1.50.0"},
        }

    @staticmethod
    def _v0_model(m: LocalModel) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": m.id,
            "object": "model",
            "type": "llm",
            "publisher": m.id.split("/")[0],
            "arch": "qwen2",
            "compatibility_type": "gguf",
            "quantization": "Q4_K_M",
            "state": "loaded" if m.loaded else "not-loaded",
            "max_context_length": m.max_context_length,
            "capabilities": ["tool_use"],
        }
        if m.loaded:
            out["loaded_context_length"] = m.loaded_context
        return out

    @staticmethod
    def _v1_model(m: LocalModel) -> dict[str, Any]:
        instances = (
            [{"id": m.id, "config": {"context_length": m.loaded_context}}] if m.loaded else []
        )
        return {
            "type": "llm",
            "publisher": m.id.split("/")[0],
            "key": m.id,
            "display_name": m.id,
            "architecture": "qwen2",
            "quantization": {"name": "Q4_K_M", "bits_per_weight": 4},
            "size_bytes": 8_000_000_000,
            "params_string": "14B",
            "loaded_instances": instances,
            "max_context_length": m.max_context_length,
            "format": "gguf",
            "capabilities": {"vision": False, "trained_for_tool_use": True},
        }


BUSY = "server busy, please try again.  maximum pending requests exceeded"


class OllamaFake(OpenAIDialect):
    """Ollama: ``/v1/models``, ``/v1/chat/completions``, ``/api/tags``, ``/api/ps``,
    ``/api/version``. Unknown model: 404 ``model "x" not found, try pulling it first``.
    ``busy=True`` answers every chat with 503 "server busy".
    """

    dialect = "ollama"

    def __init__(
        self, models: Iterable[str | LocalModel] | None = None, *, busy: bool = False, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.models = _models_arg(models, ("qwen2.5:14b",))
        self.busy = busy

    def handle(self, ex: Exchange) -> None:
        req = ex.request
        route = (req.method, req.path)
        if route == ("GET", "/v1/models"):
            data = [
                {"id": m, "object": "model", "created": 1732500000, "owned_by": "library"}
                for m in self.models
            ]
            ex.send_json(200, {"object": "list", "data": data})
        elif route == ("GET", "/api/tags"):
            ex.send_json(200, {"models": [self._tag(m) for m in self.models.values()]})
        elif route == ("GET", "/api/ps"):
            loaded = [m for m in self.models.values() if m.loaded]
            ex.send_json(
                200,
                {
                    "models": [
                        {
                            **self._tag(m),
                            "expires_at": "2026-11-25T06:00:00Z",
                            "size_vram": 9_000_000_000,
                            "context_length": m.loaded_context,
                        }
                        for m in loaded
                    ]
                },
            )
        elif route == ("GET", "/api/version"):
            ex.send_json(200, {"version": "0.12.0"})
        elif route == ("POST", "/v1/chat/completions"):
            self._chat_checked(ex)
        else:
            ex.send_raw(404, b"404 page not found", {"Content-Type": "text/plain"})

    def _chat_checked(self, ex: Exchange) -> None:
        model_id = ex.request.model or ""
        if self.busy:
            ex.send_json(
                503,
                {
                    "error": {
                        "message": BUSY,
                        "type": "api_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
            return
        if model_id not in self.models and not self.pending(model_id):
            ex.send_json(
                404,
                {
                    "error": {
                        "message": f'model "{model_id}" not found, try pulling it first',
                        "type": "api_error",
                        "param": None,
                        "code": None,
                    }
                },
            )
            return
        if model_id in self.models:
            self.models[model_id].loaded = True
        self.chat(ex, model_id)

    @staticmethod
    def _tag(m: LocalModel) -> dict[str, Any]:
        return {
            "name": m.id,
            "model": m.id,
            "modified_at": "2026-11-01T00:00:00Z",
            "size": 9_000_000_000,
            "digest": "0" * 64,
            "details": {
                "format": "gguf",
                "family": "qwen2",
                "parameter_size": "14.8B",
                "quantization_level": "Q4_K_M",
            },
        }
