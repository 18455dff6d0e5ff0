"""Model providers: one async interface over LM Studio, Ollama, llama.cpp, Gemini, Claude.

``open_fleet(config)`` gives a ``Fleet`` (async context manager, one HTTP client per
provider); ``fleet.model(key)`` is a ``ChatModel`` whose ``chat`` returns a priced
``ChatResponse``; ``fleet.check(key)`` a ``ModelStatus``. Modules: ``endpoint`` (URL,
auth, client), ``resilience`` (retries, semaphore, circuit breaker), ``openai_compat``,
``anthropic``, ``gemini`` (one adapter per API family), ``error_map`` (every failure
mapped once), ``status`` (load-state probes), ``tokens`` (cl100k counts), ``speed``.
"""

from escalator.providers.base import (
    ChatModel,
    ChatRequest,
    ChatResponse,
    Message,
    TokenCallback,
    Usage,
)
from escalator.providers.fleet import Fleet, open_fleet
from escalator.providers.model import HttpChatModel
from escalator.providers.resilience import ResilienceSettings
from escalator.providers.status import ModelStatus
from escalator.providers.tokens import count_tokens

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "Fleet",
    "HttpChatModel",
    "Message",
    "ModelStatus",
    "ResilienceSettings",
    "TokenCallback",
    "Usage",
    "count_tokens",
    "open_fleet",
]
