"""What every API-family adapter provides, and the parsed answer it returns.

An adapter is pure request shaping and response parsing for one API family; it owns no
connection. The provider (``endpoint.Endpoint``) sends what the adapter shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from escalator.errors import ProviderError
from escalator.providers.base import ChatRequest, Usage
from escalator.providers.error_map import ErrorContext
from escalator.providers.sse import SSEEvent
from escalator.registry import ModelSpec

__all__ = ["Adapter", "Answer", "Route", "StreamParser", "normalize_finish"]

_FINISH = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "refusal": "refusal",
    "content_filter": "refusal",
    "safety": "refusal",
    "model_context_window_exceeded": "context_overflow",
    # LM Studio's own stop reasons (``stats.stop_reason`` of /api/v0)
    "eosfound": "stop",
    "stopstringfound": "stop",
    "maxpredictedtokensreached": "length",
    "contextlengthreached": "context_overflow",
}


def normalize_finish(reason: str | None) -> str:
    """One vocabulary for finish reasons: stop, length, tool_calls, refusal, ... (raw else)."""
    if not reason:
        return "unknown"
    return _FINISH.get(reason.lower(), reason.lower())


@dataclass(frozen=True)
class Route:
    """Where a request goes: path under the provider's base URL and query parameters."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A parsed answer; ``usage`` is None when the server reported none."""

    text: str
    finish_reason: str
    usage: Usage | None = None
    tokens_per_s: float | None = None
    ttft_ms: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)


class StreamParser(Protocol):
    """Consumes one stream's events; ``feed`` returns the text delta it carried."""

    def feed(self, event: SSEEvent) -> str: ...

    def finish(self) -> Answer: ...


class Adapter(Protocol):
    """Request shaping, response parsing and error mapping for one API family."""

    family: str

    def route(self, spec: ModelSpec, stream: bool) -> Route: ...

    def body(self, spec: ModelSpec, request: ChatRequest, stream: bool) -> dict[str, Any]: ...

    def parse(self, data: Any, raw: str, ctx: ErrorContext) -> Answer: ...

    def stream_parser(self, ctx: ErrorContext) -> StreamParser: ...

    def map_error(
        self, status: int | None, body: str, headers: Mapping[str, str], ctx: ErrorContext
    ) -> ProviderError: ...
