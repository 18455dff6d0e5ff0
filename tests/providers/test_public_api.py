"""The package's public names, and the token counter."""

from __future__ import annotations

import escalator.providers as providers
from escalator.providers import count_tokens


def test_public_names_are_exactly_these() -> None:
    assert set(providers.__all__) == {
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
    }
    assert all(hasattr(providers, name) for name in providers.__all__)


def test_count_tokens_uses_cl100k() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1  # special-token text counted as plain text
