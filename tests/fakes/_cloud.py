"""Cloud fakes: Anthropic Messages and Gemini generateContent, with their auth headers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
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

__all__ = ["AnthropicFake", "GeminiFake"]

_ANTHROPIC_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "window": "model_context_window_exceeded",
}
_GEMINI_STOP = {"stop": "STOP", "length": "MAX_TOKENS", "window": "MAX_TOKENS"}


def _counts(req: RecordedRequest, reply: Reply) -> tuple[int, int]:
    tin = reply.tokens_in if reply.tokens_in is not None else count_words(req.prompt_text())
    return tin, tokens_out_of(req, reply)


class AnthropicFake(FakeServer):
    """``POST /v1/messages`` (plain and SSE). Requires ``x-api-key`` and
    ``anthropic-version`` (401/400 otherwise, as Anthropic answers). ``models`` limits the
    known ids (others get 404 ``not_found_error``); ``None`` accepts any id.
    """

    dialect = "anthropic"

    def __init__(self, models: Iterable[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.models = None if models is None else set(models)

    def handle(self, ex: Exchange) -> None:
        req = ex.request
        if req.method == "GET" and req.path.startswith("/v1/models/"):
            self._model_info(ex, req.path.removeprefix("/v1/models/"))
        elif (req.method, req.path) != ("POST", "/v1/messages"):
            ex.send_json(404, _anthropic_error("not_found_error", "Not Found"))
        elif not req.headers.get("x-api-key"):
            ex.send_json(
                401, _anthropic_error("authentication_error", "x-api-key header is required")
            )
        elif not req.headers.get("anthropic-version"):
            ex.send_json(
                400,
                _anthropic_error("invalid_request_error", "anthropic-version header is required"),
            )
        elif (
            self.models is not None
            and req.model not in self.models
            and not self.pending(req.model or "")
        ):
            ex.send_json(404, _anthropic_error("not_found_error", f"model: {req.model}"))
        else:
            reply = self.next_reply(req)
            if isinstance(req.body, dict) and req.body.get("stream"):
                self.answer(ex, reply, lambda r: self._stream(ex, r))
            else:
                self.answer(ex, reply, lambda r: self._complete(ex, r))

    def _model_info(self, ex: Exchange, model: str) -> None:
        if not ex.request.headers.get("x-api-key"):
            ex.send_json(401, _anthropic_error("authentication_error", "invalid x-api-key"))
        elif self.models is not None and model not in self.models:
            ex.send_json(404, _anthropic_error("not_found_error", f"model: {model}"))
        else:
            info = {"type": "model", "id": model, "display_name": model}
            ex.send_json(200, {**info, "created_at": "2026-10-01T00:00:00Z"})

    def _message(
        self, req: RecordedRequest, text: str, stop: str | None, tin: int, tout: int
    ) -> dict[str, Any]:
        return {
            "id": f"msg_{uuid.uuid4().hex[:20]}",
            "type": "message",
            "role": "assistant",
            "model": req.model,
            "content": [{"type": "text", "text": text}] if text or stop else [],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {
                "input_tokens": tin,
                "output_tokens": tout,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        }

    def _complete(self, ex: Exchange, reply: Reply) -> None:
        tin, tout = _counts(ex.request, reply)
        stop = _ANTHROPIC_STOP.get(reply.finish_reason, reply.finish_reason)
        ex.send_json(
            200, self._message(ex.request, reply.text, stop, tin, tout), {"request-id": "req_fake"}
        )

    def _stream(self, ex: Exchange, reply: Reply) -> None:
        tin, tout = _counts(ex.request, reply)
        stop = _ANTHROPIC_STOP.get(reply.finish_reason, reply.finish_reason)
        ex.start_stream()
        start = self._message(ex.request, "", None, tin, 1)
        ex.sse({"type": "message_start", "message": start}, "message_start")
        ex.sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )
        ex.sse({"type": "ping"}, "ping")
        for piece in split_pieces(reply.text):
            self.pause()
            ex.sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
                "content_block_delta",
            )
        ex.sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        ex.sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": tout},
            },
            "message_delta",
        )
        ex.sse({"type": "message_stop"}, "message_stop")
        ex.end_stream()


def _anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}


_GEMINI_PATH = re.compile(
    r"^/v1beta/models/(?P<model>[^:/]+):(?P<method>generateContent|streamGenerateContent)$"
)


class GeminiFake(FakeServer):
    """``POST /v1beta/models/{id}:generateContent`` and ``:streamGenerateContent?alt=sse``.
    Requires ``x-goog-api-key`` (403 ``PERMISSION_DENIED`` otherwise). ``models`` limits the
    known ids (others get 404 ``NOT_FOUND``); ``None`` accepts any id.
    """

    dialect = "gemini"

    def __init__(self, models: Iterable[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.models = None if models is None else set(models)

    def model_of(self, method: str, path: str, body: Any) -> str | None:
        match = _GEMINI_PATH.match(path)
        return match.group("model") if match else None

    def handle(self, ex: Exchange) -> None:
        req = ex.request
        match = _GEMINI_PATH.match(req.path)
        if req.method == "GET" and req.path.startswith("/v1beta/models/"):
            self._model_info(ex, req.path.removeprefix("/v1beta/models/"))
        elif req.method != "POST" or match is None:
            ex.send_json(404, _gemini_error(404, f"Method not found: {req.path}", "NOT_FOUND"))
        elif not req.headers.get("x-goog-api-key"):
            ex.send_json(
                403,
                _gemini_error(
                    403,
                    "Method doesn't allow unregistered callers (callers without established "
                    "identity). "
                    "Please use API Key or other form of API consumer identity to call this API.",
                    "PERMISSION_DENIED",
                ),
            )
        elif (
            self.models is not None
            and req.model not in self.models
            and not self.pending(req.model or "")
        ):
            ex.send_json(
                404,
                _gemini_error(
                    404,
                    f"models/{req.model} is not found for API version v1beta, or is not supported "
                    "for generateContent.",
                    "NOT_FOUND",
                ),
            )
        else:
            reply = self.next_reply(req)
            if match.group("method") == "streamGenerateContent":
                self.answer(ex, reply, lambda r: self._stream(ex, r))
            else:
                self.answer(ex, reply, lambda r: self._complete(ex, r))

    def _model_info(self, ex: Exchange, model: str) -> None:
        if not ex.request.headers.get("x-goog-api-key"):
            ex.send_json(403, _gemini_error(403, "API key required", "PERMISSION_DENIED"))
        elif self.models is not None and model not in self.models:
            ex.send_json(404, _gemini_error(404, f"models/{model} is not found", "NOT_FOUND"))
        else:
            ex.send_json(
                200,
                {
                    "name": f"models/{model}",
                    "displayName": model,
                    "inputTokenLimit": 1048576,
                    "outputTokenLimit": 65536,
                    "supportedGenerationMethods": ["generateContent", "countTokens"],
                },
            )

    @staticmethod
    def _chunk(
        req: RecordedRequest, text: str, finish: str | None, usage: dict[str, int] | None
    ) -> dict[str, Any]:
        cand: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        out: dict[str, Any] = {
            "candidates": [cand],
            "modelVersion": req.model,
            "responseId": uuid.uuid4().hex[:16],
        }
        if usage:
            out["usageMetadata"] = usage
        return out

    @staticmethod
    def _usage(tin: int, tout: int) -> dict[str, int]:
        return {
            "promptTokenCount": tin,
            "candidatesTokenCount": tout,
            "totalTokenCount": tin + tout,
        }

    def _complete(self, ex: Exchange, reply: Reply) -> None:
        tin, tout = _counts(ex.request, reply)
        finish = _GEMINI_STOP.get(reply.finish_reason, reply.finish_reason)
        ex.send_json(200, self._chunk(ex.request, reply.text, finish, self._usage(tin, tout)))

    def _stream(self, ex: Exchange, reply: Reply) -> None:
        tin, tout = _counts(ex.request, reply)
        finish = _GEMINI_STOP.get(reply.finish_reason, reply.finish_reason)
        pieces = split_pieces(reply.text) or [""]
        ex.start_stream()
        for i, piece in enumerate(pieces):
            self.pause()
            last = i == len(pieces) - 1
            usage = self._usage(tin, tout if last else i + 1) if reply.usage else None
            ex.sse(self._chunk(ex.request, piece, finish if last else None, usage))
        ex.end_stream()


def _gemini_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}
