"""The Gemini dialect: ``generateContent`` and ``streamGenerateContent?alt=sse``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalator.errors import MalformedResponse, ProviderError
from escalator.providers.adapter import Answer, Route, normalize_finish
from escalator.providers.base import ChatRequest, Usage
from escalator.providers.error_map import ErrorContext, map_gemini
from escalator.providers.sse import SSEEvent
from escalator.registry import ModelSpec

__all__ = ["GeminiAdapter", "GeminiStreamParser"]


class GeminiAdapter:
    """Shapes ``contents``/``systemInstruction``/``generationConfig``; parses candidates."""

    family = "gemini"

    def route(self, spec: ModelSpec, stream: bool) -> Route:
        if stream:
            return Route(f"/v1beta/models/{spec.model_id}:streamGenerateContent", {"alt": "sse"})
        return Route(f"/v1beta/models/{spec.model_id}:generateContent")

    def body(self, spec: ModelSpec, request: ChatRequest, stream: bool) -> dict[str, Any]:
        system = [m.content for m in request.messages if m.role == "system"]
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
        config: dict[str, Any] = {
            "maxOutputTokens": request.max_tokens or spec.max_output_tokens,
        }
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.json_schema is not None:
            config["responseMimeType"] = "application/json"
            config["responseJsonSchema"] = request.json_schema
        body: dict[str, Any] = {"contents": contents, "generationConfig": config}
        if system:
            body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
        return body

    def parse(self, data: Any, raw: str, ctx: ErrorContext) -> Answer:
        if not isinstance(data, dict) or "error" in data:
            raise map_gemini(None, raw, {}, ctx)
        chunk = _read_chunk(data, ctx, raw)
        return Answer(chunk.text, normalize_finish(chunk.reason), chunk.usage)

    def stream_parser(self, ctx: ErrorContext) -> GeminiStreamParser:
        return GeminiStreamParser(ctx)

    def map_error(
        self, status: int | None, body: str, headers: Mapping[str, str], ctx: ErrorContext
    ) -> ProviderError:
        return map_gemini(status, body, headers, ctx)


class _Chunk:
    def __init__(self, text: str, reason: str | None, usage: Usage | None) -> None:
        self.text = text
        self.reason = reason
        self.usage = usage


def _read_chunk(data: Mapping[str, Any], ctx: ErrorContext, raw: str) -> _Chunk:
    candidates = data.get("candidates")
    usage = _usage(data.get("usageMetadata"))
    if not isinstance(candidates, list) or not candidates:
        blocked = (data.get("promptFeedback") or {}).get("blockReason")
        if usage is not None and not blocked:
            return _Chunk("", None, usage)  # a usage-only stream chunk
        why = f"the prompt was blocked ({blocked})" if blocked else "no candidates"
        raise MalformedResponse(
            f"{ctx.provider} answered without a candidate: {why}",
            provider=ctx.provider,
            url=ctx.url,
            status=200,
            body=raw,
        )
    cand = candidates[0] if isinstance(candidates[0], dict) else {}
    parts = (cand.get("content") or {}).get("parts") or []
    text = "".join(
        str(p.get("text", "")) for p in parts if isinstance(p, dict) and not p.get("thought")
    )
    return _Chunk(text, cand.get("finishReason"), usage)


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("promptTokenCount"), int):
        return None
    out = int(raw.get("candidatesTokenCount") or 0) + int(raw.get("thoughtsTokenCount") or 0)
    return Usage(tokens_in=int(raw["promptTokenCount"]), tokens_out=out)


class GeminiStreamParser:
    """Each SSE event is a full ``GenerateContentResponse`` holding the next text piece."""

    def __init__(self, ctx: ErrorContext) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.events = 0
        self.reason: str | None = None
        self.usage: Usage | None = None

    def feed(self, event: SSEEvent) -> str:
        self.events += 1
        data = event.json()
        if not isinstance(data, dict):
            return ""
        if "error" in data:
            raise map_gemini(None, event.data, {}, self.ctx)
        chunk = _read_chunk(data, self.ctx, event.data)
        self.reason = chunk.reason or self.reason
        self.usage = chunk.usage or self.usage
        if chunk.text:
            self.parts.append(chunk.text)
        return chunk.text

    def finish(self) -> Answer:
        if self.reason is None:
            raise MalformedResponse(
                f"{self.ctx.provider} ended the stream without finishing the answer",
                provider=self.ctx.provider,
                url=self.ctx.url,
                status=200,
            )
        return Answer("".join(self.parts), normalize_finish(self.reason), self.usage)
