"""The one request/response shape every provider speaks, and the model interface.

A *provider* owns an endpoint (base URL, auth, HTTP client, concurrency limit, circuit
breaker); an *adapter* shapes requests and parses responses for one API family
(OpenAI-compatible, Anthropic Messages, Gemini); a ``ChatModel`` binds a configured
model (``ModelSpec``) to both and prices each answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from escalator.registry import ModelSpec

__all__ = ["ChatModel", "ChatRequest", "ChatResponse", "Message", "TokenCallback", "Usage"]

Role = Literal["system", "user", "assistant"]
TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """One chat request. ``json_schema`` asks for structured output where supported."""

    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float | None = 0.2
    json_schema: dict[str, Any] | None = None
    stream: bool = False

    @classmethod
    def of(cls, prompt: str, *, system: str | None = None, **kw: Any) -> ChatRequest:
        msgs = ((Message("system", system),) if system else ()) + (Message("user", prompt),)
        return cls(messages=msgs, **kw)

    def prompt_text(self) -> str:
        return "\n".join(m.content for m in self.messages)


@dataclass(frozen=True)
class Usage:
    tokens_in: int
    tokens_out: int
    estimated: bool = False


@dataclass(frozen=True)
class ChatResponse:
    """A model's answer with what it cost and how fast it came."""

    model: str
    model_id: str
    text: str
    finish_reason: str
    usage: Usage
    latency_ms: float
    cost_usd: float
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        """The answer was cut off: at the output cap (``length``) or at the context window
        (``context_overflow``), not ended by the model."""
        return self.finish_reason in ("length", "context_overflow")

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "model_id": self.model_id,
            "text": self.text,
            "finish_reason": self.finish_reason,
            "truncated": self.truncated,
            "tokens_in": self.usage.tokens_in,
            "tokens_out": self.usage.tokens_out,
            "tokens_estimated": self.usage.estimated,
            "latency_ms": round(self.latency_ms, 3),
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 3),
            "tokens_per_s": None if self.tokens_per_s is None else round(self.tokens_per_s, 2),
            "cost_usd": self.cost_usd,
        }


class ChatModel(Protocol):
    """A configured model ready to answer. Raises ``ProviderError`` subclasses."""

    spec: ModelSpec

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse: ...
