"""The OpenAI-compatible chat dialect: LM Studio, Ollama, llama.cpp, vLLM, OpenAI.

LM Studio gets its native ``/api/v0/chat/completions`` for non-streaming calls (same
shape plus ``stats``: tokens/s and time to first token); when a server answers that
route with "Unexpected endpoint" the adapter falls back to ``/v1`` for good.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from escalator.errors import MalformedResponse, ProviderError
from escalator.providers.adapter import Answer, Route, normalize_finish
from escalator.providers.base import ChatRequest, Usage
from escalator.providers.error_map import ErrorContext, empty_answer_error, map_openai_compat
from escalator.providers.profiles import profile_of
from escalator.providers.sse import SSEEvent
from escalator.registry import ModelSpec

__all__ = ["OpenAICompatAdapter", "OpenAIStreamParser"]

V1_CHAT = "/v1/chat/completions"
LMSTUDIO_NATIVE_CHAT = "/api/v0/chat/completions"


class OpenAICompatAdapter:
    """Shapes ``chat/completions`` requests and parses their answers and streams."""

    family = "openai_compat"

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.native = profile_of(kind).native_chat_route

    def route(self, spec: ModelSpec, stream: bool) -> Route:
        return Route(LMSTUDIO_NATIVE_CHAT if self.native and not stream else V1_CHAT)

    def fall_back(self, exc: ProviderError) -> bool:
        """Switch LM Studio to ``/v1`` when the native route is unknown; True if switched."""
        unknown = "unexpected endpoint" in exc.body.lower() or exc.status in (404, 405)
        if self.native and unknown and LMSTUDIO_NATIVE_CHAT in exc.url:
            self.native = False
            return True
        return False

    def body(self, spec: ModelSpec, request: ChatRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": spec.model_id,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens or spec.max_output_tokens,
            "stream": stream,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if stream:
            body["stream_options"] = {"include_usage": True}
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": request.json_schema},
            }
        return body

    def parse(self, data: Any, raw: str, ctx: ErrorContext) -> Answer:
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"{ctx.provider} answered HTTP 200 with a body that is not a JSON object: "
                f"{raw[:200]!r}",
                provider=ctx.provider,
                url=ctx.url,
                status=200,
                body=raw,
            )
        if "error" in data:
            raise map_openai_compat(None, raw, {}, ctx)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise MalformedResponse(
                f"{ctx.provider} answered HTTP 200 without choices: {raw[:200]!r}",
                provider=ctx.provider,
                url=ctx.url,
                status=200,
                body=raw,
            )
        choice = choices[0]
        message = choice.get("message") or {}
        tps, ttft, stats = _speed(data)
        return Answer(
            text=str(message.get("content") or ""),
            finish_reason=_finish(choice.get("finish_reason"), data),
            usage=_usage(data.get("usage")),
            tokens_per_s=tps,
            ttft_ms=ttft,
            stats=stats,
        )

    def stream_parser(self, ctx: ErrorContext) -> OpenAIStreamParser:
        return OpenAIStreamParser(self.kind, ctx)

    def map_error(
        self, status: int | None, body: str, headers: Mapping[str, str], ctx: ErrorContext
    ) -> ProviderError:
        return map_openai_compat(status, body, headers, ctx)


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    tin, tout = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(tin, int) or not isinstance(tout, int):
        return None
    return Usage(tokens_in=tin, tokens_out=tout)


def _finish(reason: Any, data: Mapping[str, Any]) -> str:
    """The choice's finish reason, unless LM Studio's ``stats.stop_reason`` says more
    (``contextLengthReached`` where the choice only says ``length``)."""
    stats = data.get("stats")
    native = stats.get("stop_reason") if isinstance(stats, dict) else None
    if isinstance(native, str) and normalize_finish(native) == "context_overflow":
        return "context_overflow"
    return normalize_finish(reason if isinstance(reason, str) else None)


def _speed(data: Mapping[str, Any]) -> tuple[float | None, float | None, dict[str, Any]]:
    """Tokens/s and TTFT (ms) from LM Studio ``stats`` or llama.cpp ``timings``."""
    stats = data.get("stats")
    if isinstance(stats, dict):
        tps = stats.get("tokens_per_second")
        ttft = stats.get("time_to_first_token")
        return (
            float(tps) if isinstance(tps, int | float) else None,
            float(ttft) * 1000 if isinstance(ttft, int | float) else None,
            {"stats": stats},
        )
    timings = data.get("timings")
    if isinstance(timings, dict):
        tps = timings.get("predicted_per_second")
        prompt_ms = timings.get("prompt_ms")
        return (
            float(tps) if isinstance(tps, int | float) else None,
            float(prompt_ms) if isinstance(prompt_ms, int | float) else None,
            {"timings": timings},
        )
    return None, None, {}


class OpenAIStreamParser:
    """Reads ``chat.completion.chunk`` events; a final ``choices: []`` chunk carries usage."""

    def __init__(self, kind: str, ctx: ErrorContext) -> None:
        self.kind = kind
        self.ctx = ctx
        self.parts: list[str] = []
        self.events = 0
        self.reason: str | None = None
        self.done = False
        self.usage: Usage | None = None
        self.extra: dict[str, Any] = {}

    def feed(self, event: SSEEvent) -> str:
        self.events += 1
        if event.data.strip() == "[DONE]":
            self.done = True
            return ""
        data = event.json()
        if not isinstance(data, dict):
            return ""
        if "error" in data:
            raise map_openai_compat(None, json.dumps(data), {}, self.ctx)
        self.usage = _usage(data.get("usage")) or self.usage
        for key in ("timings", "stats"):
            if isinstance(data.get(key), dict):
                self.extra[key] = data[key]
        delta_text = ""
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str):
                delta_text += content
            if choice.get("finish_reason"):
                self.reason = str(choice["finish_reason"])
        if delta_text:
            self.parts.append(delta_text)
        return delta_text

    def finish(self) -> Answer:
        if self.events == 0:
            raise empty_answer_error(self.kind, self.ctx)
        if self.reason is None and not self.done:
            raise MalformedResponse(
                f"{self.ctx.provider} ended the stream after {self.events} events without "
                "finishing the answer (no finish_reason, no [DONE])",
                provider=self.ctx.provider,
                url=self.ctx.url,
                status=200,
            )
        tps, ttft, stats = _speed(self.extra)
        return Answer(
            text="".join(self.parts),
            finish_reason=_finish(self.reason, self.extra),
            usage=self.usage,
            tokens_per_s=tps,
            ttft_ms=ttft,
            stats=stats,
        )
