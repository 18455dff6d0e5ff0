"""The threaded HTTP server under every fake, the scripted ``Reply`` and request records."""

from __future__ import annotations

import collections
import contextlib
import json
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Exchange", "FakeServer", "RecordedRequest", "Reply", "ReplyLike", "Responder"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    A text answer (``Reply("hi")`` or just ``"hi"`` where a reply is expected) is rendered
    in the server's dialect, streamed when the request asks for it. ``Reply.error`` sends a
    status, a body (dict -> JSON, str -> as is) and headers verbatim; ``Reply.empty_stream``
    sends HTTP 200 with an empty body; ``Reply.disconnect`` closes the connection without
    answering. ``tokens_in``/``tokens_out`` override the fake's own counts; ``delay_s``
    waits before answering; ``usage=False`` leaves usage out of a stream.
    """

    text: str = ""
    # dialect-neutral: "stop"; "length" (the output cap: usage reports max_tokens out);
    # "window" (the context window filled first: each dialect's own signal)
    finish_reason: str = "stop"
    tokens_in: int | None = None
    tokens_out: int | None = None
    delay_s: float = 0.0
    usage: bool = True
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    kind: str = "answer"  # answer | error | empty | disconnect

    @classmethod
    def error(
        cls,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        *,
        delay_s: float = 0.0,
    ) -> Reply:
        return cls(
            status=status, body=body, headers=dict(headers or {}), kind="error", delay_s=delay_s
        )

    @classmethod
    def empty_stream(cls) -> Reply:
        return cls(kind="empty")

    @classmethod
    def disconnect(cls) -> Reply:
        return cls(kind="disconnect")


ReplyLike = Reply | str


@dataclass(frozen=True)
class RecordedRequest:
    """What a fake received: method, path, query, lower-cased headers, parsed JSON body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw: bytes
    model: str | None = None

    def prompt_text(self) -> str:
        """All message text of an OpenAI/Anthropic/Gemini body, joined by newlines."""
        return "\n".join(_texts(self.body))


Responder = Callable[[RecordedRequest], ReplyLike | None]


def _texts(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    out: list[str] = []
    system = body.get("system")
    if isinstance(system, str):
        out.append(system)
    for msg in body.get("messages", []) or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(b.get("text", "") for b in content if isinstance(b, dict))
    for msg in body.get("contents", []) or []:
        for part in msg.get("parts", []) if isinstance(msg, dict) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    sys_inst = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(sys_inst, dict):
        out.extend(p.get("text", "") for p in sys_inst.get("parts", []) if isinstance(p, dict))
    return out


def requested_cap(body: Any) -> int | None:
    """The output cap a request asked for, in any dialect."""
    if not isinstance(body, dict):
        return None
    gen = body.get("generationConfig")
    cap = body.get("max_tokens") or (gen.get("maxOutputTokens") if isinstance(gen, dict) else None)
    return cap if isinstance(cap, int) else None


def tokens_out_of(req: RecordedRequest, reply: Reply) -> int:
    """Output tokens a fake reports: the reply's override, else the cap when the reply
    stops at ``length`` (as a real server does), else the words of the text."""
    if reply.tokens_out is not None:
        return reply.tokens_out
    cap = requested_cap(req.body)
    if reply.finish_reason == "length" and cap is not None:
        return cap
    return len(split_pieces(reply.text))


def count_words(text: str) -> int:
    """The fakes' token count: whitespace-separated words (at least 1 for non-empty text)."""
    return max(1, len(text.split())) if text else 0


def split_pieces(text: str) -> list[str]:
    """Stream pieces: each word with its trailing whitespace."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        if current and not current[-1].isspace() and ch.isspace():
            current += ch
            continue
        if current and current[-1].isspace() and not ch.isspace():
            pieces.append(current)
            current = ""
        current += ch
    if current:
        pieces.append(current)
    return pieces


class Exchange:
    """One request being answered; helpers write JSON, SSE (chunked) and raw bodies."""

    def __init__(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        self.handler = handler
        self.request = request
        self._chunked = False

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        ctype = "application/json" if not isinstance(body, str) else "text/plain; charset=utf-8"
        if isinstance(body, str) and body.lstrip().startswith(("{", "[")):
            ctype = "application/json"
        self.send_raw(status, data, {"Content-Type": ctype, **dict(headers or {})})

    def send_raw(self, status: int, data: bytes, headers: Mapping[str, str]) -> None:
        h = self.handler
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def start_stream(self, content_type: str = "text/event-stream") -> None:
        h = self.handler
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        self._chunked = True

    def write_chunk(self, data: bytes) -> None:
        if not data:
            return
        self.handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.handler.wfile.flush()

    def sse(self, payload: Any, event: str | None = None) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        prefix = f"event: {event}\n" if event else ""
        self.write_chunk(f"{prefix}data: {text}\n\n".encode())

    def end_stream(self) -> None:
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def send_empty_stream(self) -> None:
        self.start_stream()
        self.end_stream()


class FakeServer:
    """A real ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) that a dialect subclass fills.

    Use as a context manager (or ``start()``/``stop()``). Script replies per model id with
    ``script(model, *replies)``; when a model's queue is empty the ``responder`` (if set) is
    asked, then ``default`` is used. Every request is recorded in ``requests``.
    """

    dialect = "base"

    def __init__(
        self,
        *,
        default: ReplyLike = "ok",
        responder: Responder | None = None,
        chunk_delay_s: float = 0.0,
    ) -> None:
        self.default: ReplyLike = default
        self.responder = responder
        self.chunk_delay_s = chunk_delay_s
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._queues: dict[str, collections.deque[ReplyLike]] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeServer:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name=f"fake-{self.dialect}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the fake first"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ----------------------------------------------------------------- scripting

    def script(self, model: str, *replies: ReplyLike) -> None:
        """Queue replies for a model id, answered in order (then responder/default)."""
        with self._lock:
            self._queues.setdefault(model, collections.deque()).extend(replies)

    def pending(self, model: str) -> int:
        with self._lock:
            return len(self._queues.get(model, ()))

    def next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            queue = self._queues.get(request.model or "")
            item: ReplyLike | None = queue.popleft() if queue else None
        if item is None and self.responder is not None:
            item = self.responder(request)
        if item is None:
            item = self.default
        return Reply(item) if isinstance(item, str) else item

    def requests_to(self, path_part: str) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if path_part in r.path]

    def requests_for(self, model: str) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.model == model]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    # ----------------------------------------------------------------- dispatch

    def model_of(self, method: str, path: str, body: Any) -> str | None:
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            return str(body["model"])
        return None

    def handle(self, ex: Exchange) -> None:  # pragma: no cover - subclasses override
        ex.send_json(404, {"error": "not found"})

    def answer(self, ex: Exchange, reply: Reply, render: Callable[[Reply], None]) -> None:
        """Common path for chat replies: delay, errors, empty streams, then render."""
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.kind == "disconnect":
            ex.handler.close_connection = True
            raise _Disconnect
        if reply.kind == "error":
            ex.send_json(reply.status, reply.body, reply.headers)
        elif reply.kind == "empty":
            ex.send_empty_stream()
        else:
            render(reply)

    def pause(self) -> None:
        if self.chunk_delay_s:
            time.sleep(self.chunk_delay_s)

    def _record(self, handler: BaseHTTPRequestHandler) -> RecordedRequest:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in handler.headers.items()}
        req = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query),
            headers=headers,
            body=body,
            raw=raw,
            model=self.model_of(handler.command, split.path, body),
        )
        with self._lock:
            self.requests.append(req)
        return req

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        request = self._record(handler)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.handle(Exchange(handler, request))
        except (_Disconnect, BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        except Exception as exc:  # a bug in a fake: answer 500 with it, visibly
            handler.close_connection = True
            detail = "".join(traceback.format_exception(exc))
            with contextlib.suppress(OSError):
                Exchange(handler, request).send_json(500, f"fake {self.dialect} crashed:\n{detail}")
        finally:
            with self._lock:
                self.in_flight -= 1


class _Disconnect(Exception):
    pass


def _make_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without NODELAY, Nagle plus
            # delayed ACKs add ~40 ms to every exchange.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            fake._serve(self)

        def do_POST(self) -> None:
            fake._serve(self)

        def do_DELETE(self) -> None:
            fake._serve(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def iter_pieces(text: str) -> Iterable[str]:
    return split_pieces(text)
