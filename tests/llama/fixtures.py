"""Pytest fixtures for the real llama.cpp server (import them into a conftest).

``tiny_gguf``: the tiny model file (session). ``llama_server``: one server for the
session (n_ctx 512). ``llama_server_factory``: start more, stopped after the test.
``llama_config``: a Config whose model ``tiny`` (provider ``llamacpp``) is that server.
Every fixture skips with the reason when llama-cpp-python[server] is not installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from escalator.config import Config
from tests.fakes import config_for
from tests.llama.server import LlamaServer, llama_cpp_missing, start_llama_server
from tests.llama.tiny_model import write_tiny_llama

SESSION_N_CTX = 512


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("gguf") / "tiny-llama.gguf")


@pytest.fixture(scope="session")
def llama_server(
    tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    missing = llama_cpp_missing()
    if missing:
        pytest.skip(missing)
    server = start_llama_server(
        tiny_gguf, tmp_path_factory.mktemp("llama-logs"), n_ctx=SESSION_N_CTX
    )
    yield server
    server.stop()


@pytest.fixture
def llama_server_factory(tiny_gguf: Path, tmp_path: Path) -> Iterator[Callable[..., LlamaServer]]:
    missing = llama_cpp_missing()
    if missing:
        pytest.skip(missing)
    started: list[LlamaServer] = []

    def start(n_ctx: int = SESSION_N_CTX) -> LlamaServer:
        server = start_llama_server(tiny_gguf, tmp_path, n_ctx=n_ctx)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def tiny_config(url: str, **provider: object) -> Config:
    """Model ``tiny`` on the llama.cpp server at ``url``; ``provider`` overrides settings."""
    extra = {"providers": {"llamacpp": dict(provider)}} if provider else None
    return config_for(llamacpp_url=url, extra=extra)


@pytest.fixture
def llama_config(llama_server: LlamaServer) -> Config:
    return tiny_config(llama_server.url)
