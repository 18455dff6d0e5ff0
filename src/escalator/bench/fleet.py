"""The replay fleet: an HTTP server speaking LM Studio's OpenAI-compatible dialect.

``GET /v1/models`` (id, object, owned_by; no ``created``), ``GET /api/v0/models``
(type llm, state loaded, max_context_length ...), ``POST /v1/chat/completions`` and
``/api/v0/chat/completions`` (usage and LM Studio's ``stats``; SSE streaming, with a
final usage chunk when ``stream_options.include_usage``). Answers come from a
``ReplayBook``; token counts are cl100k. Latency is simulated from a tokens/s figure
per model and reported in ``stats``; the server sleeps that long times ``sleep_scale``
(0 by default, so runs are fast). Unknown models get LM Studio's ``model_not_found``
body; unknown routes get its HTTP 200 ``Unexpected endpoint`` error.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from escalator.bench.replay import Answer, ReplayBook
from escalator.bench.tokens import count_tokens

__all__ = ["FleetSettings", "ReplayServer", "ServedRequest", "prompt_tokens"]

PER_MESSAGE_TOKENS = 4  # ChatML framing per message, as OpenAI counts it
PRIMING_TOKENS = 3


@dataclass(frozen=True)
class FleetSettings:
    """Simulated speed: generation tokens/s per model, prefill rate, sleep scaling."""

    tokens_per_second: Mapping[str, float] = field(default_factory=dict)
    default_tokens_per_second: float = 40.0
    prefill_tokens_per_second: float = 800.0
    base_latency_s: float = 0.05
    sleep_scale: float = 0.0
    context_length: int = 131072

    def tps(self, model: str) -> float:
        return float(self.tokens_per_second.get(model, self.default_tokens_per_second))

    def timing(self, model: str, tokens_in: int, tokens_out: int) -> tuple[float, float]:
        """(time to first token, generation time) in seconds."""
        ttft = self.base_latency_s + tokens_in / self.prefill_tokens_per_second
        return ttft, tokens_out / self.tps(model)


@dataclass(frozen=True)
class ServedRequest:
    """One chat request the fleet answered (for cost baselines and time estimates)."""

    model: str
    problem_id: str | None
    sample: int | None
    tokens_in: int
    tokens_out: int
    simulated_s: float


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """cl100k tokens of a chat prompt, with OpenAI's per-message framing."""
    total = PRIMING_TOKENS
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):  # OpenAI content parts
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        total += PER_MESSAGE_TOKENS + count_tokens(str(content or ""))
    return total


class ReplayServer:
    """Serves a ReplayBook on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        book: ReplayBook,
        settings: FleetSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.book = book
        self.settings = settings or FleetSettings()
        self.served: list[ServedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (``escalator replay-server``)."""
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def models(self) -> list[str]:
        return [m.slug for m in self.book.suite.models]

    def record(self, served: ServedRequest) -> None:
        with self._lock:
            self.served.append(served)

    def estimated_model_time_s(self) -> float:
        with self._lock:
            return sum(r.simulated_s for r in self.served)


# --------------------------------------------------------------------------- HTTP


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fleet = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    fleet: ReplayServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log line."""

    # -- routing ---------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            self._send(200, {"object": "list", "data": [_openai_model(m) for m in self._models]})
        elif path == "/api/v0/models":
            ctx = self.fleet.settings.context_length
            self._send(200, {"object": "list", "data": [_v0_model(m, ctx) for m in self._models]})
        elif path.startswith(("/v1/models/", "/api/v0/models/")):
            self._one_model(path.rsplit("/", 1)[-1])
        else:
            self._unexpected("GET")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        body = self._read_json()
        if body is None:
            return
        if path in ("/v1/chat/completions", "/api/v0/chat/completions"):
            self._chat(body, native=path.startswith("/api/v0"))
        else:
            self._unexpected("POST")

    @property
    def _models(self) -> list[str]:
        return self.fleet.models

    def _one_model(self, model: str) -> None:
        if model in self._models:
            self._send(200, _openai_model(model))
        else:
            self._send(404, _model_not_found(model))

    def _unexpected(self, method: str) -> None:
        self._send(200, {"error": f"Unexpected endpoint or method. ({method} {self.path})"})

    # -- chat ------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any], *, native: bool) -> None:
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or model not in self._models:
            self._send(400, _model_not_found(str(model)))
            return
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            self._send(400, {"error": "'messages' field is required and must be an array"})
            return
        prompt = "\n".join(
            str(m.get("content") or "") for m in messages if m.get("role") != "assistant"
        )
        answer = self.fleet.book.answer(model, prompt)
        tokens_in = prompt_tokens(messages)
        ttft, gen = self.fleet.settings.timing(model, tokens_in, answer.tokens)
        self.fleet.record(
            ServedRequest(
                model, answer.problem_id, answer.sample, tokens_in, answer.tokens, ttft + gen
            )
        )
        if self.fleet.settings.sleep_scale > 0:
            time.sleep((ttft + gen) * self.fleet.settings.sleep_scale)
        reply = _Reply(model, answer, tokens_in, ttft, gen, self.fleet.settings.tps(model))
        if body.get("stream"):
            options = body.get("stream_options") or {}
            self._stream(reply, include_usage=bool(options.get("include_usage")))
        else:
            self._send(200, reply.completion(native=native))

    def _stream(self, reply: _Reply, *, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for chunk in reply.chunks(include_usage=include_usage):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    # -- plumbing --------------------------------------------------------------------

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._send(400, {"error": "Unexpected token in JSON body"})
            return None
        if not isinstance(body, dict):
            self._send(400, {"error": "request body must be a JSON object"})
            return None
        return body

    def _send(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass(frozen=True)
class _Reply:
    model: str
    answer: Answer
    tokens_in: int
    ttft_s: float
    generation_s: float
    tps: float

    @property
    def usage(self) -> dict[str, int]:
        out = self.answer.tokens
        return {
            "prompt_tokens": self.tokens_in,
            "completion_tokens": out,
            "total_tokens": self.tokens_in + out,
        }

    @property
    def stats(self) -> dict[str, Any]:
        return {
            "tokens_per_second": round(self.tps, 3),
            "time_to_first_token": round(self.ttft_s, 4),
            "generation_time": round(self.generation_s, 4),
            "stop_reason": "eosFound",
        }

    def _head(self, kind: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:20]}",
            "object": kind,
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": self.model,
        }

    def completion(self, *, native: bool) -> dict[str, Any]:
        message = {"role": "assistant", "content": self.answer.text}
        body = self._head("chat.completion") | {
            "choices": [
                {"index": 0, "logprobs": None, "finish_reason": "stop", "message": message}
            ],
            "usage": self.usage,
            "stats": self.stats,
        }
        if native:
            body["model_info"] = {"arch": "replay", "quant": "recorded", "format": "gguf"}
            body["runtime"] = {"name": "escalator-replay", "version": "1"}
        return body

    def chunks(self, *, include_usage: bool) -> Iterator[dict[str, Any]]:
        head = self._head("chat.completion.chunk")
        text = self.answer.text
        yield head | {"choices": [_delta({"role": "assistant", "content": ""}, None)]}
        for start in range(0, len(text), 96):
            yield head | {"choices": [_delta({"content": text[start : start + 96]}, None)]}
        yield head | {"choices": [_delta({}, "stop")], "stats": self.stats}
        if include_usage:
            yield head | {"choices": [], "usage": self.usage}


def _delta(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}


def _openai_model(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "owned_by": "organization_owner"}


def _v0_model(model: str, context_length: int) -> dict[str, Any]:
    return {
        "id": model,
        "object": "model",
        "type": "llm",
        "publisher": "replay",
        "arch": "replay",
        "compatibility_type": "gguf",
        "quantization": "recorded",
        "state": "loaded",
        "max_context_length": context_length,
        "loaded_context_length": context_length,
    }


def _model_not_found(model: str) -> dict[str, Any]:
    return {
        "error": {
            "message": f'Invalid model identifier "{model}". Please specify a valid downloaded '
            "model (i.e. from `lms ls`).",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }
