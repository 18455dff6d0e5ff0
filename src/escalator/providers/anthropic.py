"""The Anthropic Messages dialect: ``POST /v1/messages`` with content blocks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from escalator.errors import MalformedResponse, ProviderError
from escalator.providers.adapter import Answer, Route, normalize_finish
from escalator.providers.base import ChatRequest, Usage
from escalator.providers.error_map import ErrorContext, map_anthropic
from escalator.providers.sse import SSEEvent
from escalator.registry import ModelSpec

__all__ = ["ANTHROPIC_VERSION", "AnthropicAdapter", "AnthropicStreamParser"]

ANTHROPIC_VERSION = "2023-06-01"


def _json_instruction(schema: Mapping[str, Any]) -> str:
    return (
        "Answer with a single JSON object, no prose, that matches this JSON schema:\n"
        + json.dumps(schema)
    )


class AnthropicAdapter:
    """Shapes Messages requests (system prompt apart) and parses blocks and events."""

    family = "anthropic"

    def route(self, spec: ModelSpec, stream: bool) -> Route:
        return Route("/v1/messages")

    def body(self, spec: ModelSpec, request: ChatRequest, stream: bool) -> dict[str, Any]:
        system = [m.content for m in request.messages if m.role == "system"]
        if request.json_schema is not None:
            system.append(_json_instruction(request.json_schema))
        body: dict[str, Any] = {
            "model": spec.model_id,
            "max_tokens": request.max_tokens or spec.max_output_tokens,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if system:
            body["system"] = "\n\n".join(system)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if stream:
            body["stream"] = True
        return body

    def parse(self, data: Any, raw: str, ctx: ErrorContext) -> Answer:
        if not isinstance(data, dict) or data.get("type") == "error":
            raise self.map_error(None, raw, {}, ctx)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise MalformedResponse(
                f"{ctx.provider} answered HTTP 200 without content: {raw[:200]!r}",
                provider=ctx.provider,
                url=ctx.url,
                status=200,
                body=raw,
            )
        text = "".join(
            str(b.get("text", ""))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "text"
        )
        return Answer(
            text=text,
            finish_reason=normalize_finish(data.get("stop_reason")),
            usage=_usage(data.get("usage")),
        )

    def stream_parser(self, ctx: ErrorContext) -> AnthropicStreamParser:
        return AnthropicStreamParser(ctx)

    def map_error(
        self, status: int | None, body: str, headers: Mapping[str, str], ctx: ErrorContext
    ) -> ProviderError:
        return map_anthropic(status, body, headers, ctx)


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("input_tokens"), int):
        return None
    cached = sum(
        int(raw.get(k) or 0) for k in ("cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return Usage(
        tokens_in=int(raw["input_tokens"]) + cached, tokens_out=int(raw.get("output_tokens") or 0)
    )


class AnthropicStreamParser:
    """Reads message_start / content_block_delta / message_delta / error events."""

    def __init__(self, ctx: ErrorContext) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.events = 0
        self.reason: str | None = None
        self.tokens_in: int | None = None
        self.tokens_out: int | None = None

    def feed(self, event: SSEEvent) -> str:
        self.events += 1
        data = event.json()
        if not isinstance(data, dict):
            return ""
        kind = data.get("type")
        if kind == "error":
            raise map_anthropic(None, event.data, {}, self.ctx)
        if kind == "message_start":
            usage = _usage((data.get("message") or {}).get("usage"))
            if usage is not None:
                self.tokens_in = usage.tokens_in
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta":
                text = str(delta.get("text", ""))
                self.parts.append(text)
                return text
        elif kind == "message_delta":
            self.reason = (data.get("delta") or {}).get("stop_reason") or self.reason
            out = (data.get("usage") or {}).get("output_tokens")
            if isinstance(out, int):
                self.tokens_out = out
        return ""

    def finish(self) -> Answer:
        if self.reason is None:
            raise MalformedResponse(
                f"{self.ctx.provider} ended the stream without finishing the answer",
                provider=self.ctx.provider,
                url=self.ctx.url,
                status=200,
            )
        usage = None
        if self.tokens_in is not None and self.tokens_out is not None:
            usage = Usage(self.tokens_in, self.tokens_out)
        return Answer("".join(self.parts), normalize_finish(self.reason), usage)
