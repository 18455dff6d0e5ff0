"""Pytest fixtures that start each fake for one test.

Use from a conftest or test module: ``from tests.fakes.fixtures import lmstudio_fake``
(pytest picks up imported fixtures), or ``pytest_plugins = ["tests.fakes.fixtures"]`` in
the top-level conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes._cloud import AnthropicFake, GeminiFake
from tests.fakes._openai import LMStudioFake, OllamaFake


@pytest.fixture
def lmstudio_fake() -> Iterator[LMStudioFake]:
    with LMStudioFake() as fake:
        yield fake


@pytest.fixture
def ollama_fake() -> Iterator[OllamaFake]:
    with OllamaFake() as fake:
        yield fake


@pytest.fixture
def anthropic_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicFake]:
    """An Anthropic fake with ANTHROPIC_API_KEY set to a dummy value."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
    with AnthropicFake() as fake:
        yield fake


@pytest.fixture
def gemini_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[GeminiFake]:
    """A Gemini fake with GEMINI_API_KEY set to a dummy value."""
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-test-dummy")
    with GeminiFake() as fake:
        yield fake
