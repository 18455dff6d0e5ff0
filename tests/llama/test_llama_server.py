"""The local path end to end against a real llama.cpp server (llama-cpp-python)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.config import Config
from escalator.errors import CircuitOpen, ContextOverflow, EndpointUnreachable
from escalator.providers import ChatRequest, count_tokens, open_fleet
from tests.fakes import write_config
from tests.llama.fixtures import tiny_config
from tests.llama.proxy import CountingProxy
from tests.llama.server import LlamaServer

pytestmark = [pytest.mark.llama, pytest.mark.anyio]

LONG_PROMPT = "hello world " * 400  # ~800 tokens: more than n_ctx 512


async def test_plain_answer_has_real_usage_and_timing(llama_config: Config) -> None:
    async with open_fleet(llama_config) as fleet:
        resp = await fleet.model("tiny").chat(ChatRequest.of("print hello", max_tokens=12))
    assert resp.usage.estimated is False
    assert resp.usage.tokens_out == 12  # the tiny model never stops early
    assert resp.usage.tokens_in > 3
    assert resp.finish_reason == "length" and resp.text
    assert resp.tokens_per_s is not None and resp.tokens_per_s > 0
    assert resp.cost_usd == 0.0


async def test_stream_has_no_usage_so_it_is_estimated(llama_config: Config) -> None:
    pieces: list[str] = []
    async with open_fleet(llama_config) as fleet:
        resp = await fleet.model("tiny").chat(
            ChatRequest.of("print hello", max_tokens=16, stream=True), on_token=pieces.append
        )
    assert "".join(pieces) == resp.text and len(pieces) >= 2
    assert resp.usage.estimated is True
    assert resp.usage.tokens_out == count_tokens(resp.text)
    assert resp.ttft_ms is not None and 0 < resp.ttft_ms <= resp.latency_ms
    assert resp.tokens_per_s is not None and resp.tokens_per_s > 0


async def test_real_context_overflow_plain_and_streamed(
    llama_config: Config, llama_server: LlamaServer
) -> None:
    async with open_fleet(llama_config) as fleet:
        model = fleet.model("tiny")
        with pytest.raises(ContextOverflow) as plain:
            await model.chat(ChatRequest.of(LONG_PROMPT, max_tokens=8))
        assert plain.value.context_length == llama_server.n_ctx
        with pytest.raises(ContextOverflow) as streamed:
            await model.chat(ChatRequest.of(LONG_PROMPT, max_tokens=8, stream=True))
        assert "empty" in str(streamed.value)
        ok = await model.chat(ChatRequest.of("still fine", max_tokens=4))
    assert ok.usage.tokens_out == 4


async def test_check_reports_reachable_and_loaded(llama_config: Config) -> None:
    async with open_fleet(llama_config) as fleet:
        status = await fleet.check("tiny")
    assert (status.reachable, status.loaded, status.error) == (True, True, None)
    assert status.api_key_present is None


async def test_killed_server_is_unreachable_then_circuit_opens(
    llama_server_factory: Callable[..., LlamaServer],
) -> None:
    server = llama_server_factory()
    cfg = tiny_config(server.url, max_retries=0, circuit_failures=2, circuit_cooloff_s=60.0)
    async with open_fleet(cfg) as fleet:
        model = fleet.model("tiny")
        assert (await model.chat(ChatRequest.of("hi", max_tokens=2))).usage.tokens_out == 2
        server.kill()
        for _ in range(2):
            with pytest.raises(EndpointUnreachable) as down:
                await model.chat(ChatRequest.of("hi", max_tokens=2))
            assert not isinstance(down.value, CircuitOpen)
            assert server.url in str(down.value) and "ssh -L" in str(down.value)
        with pytest.raises(CircuitOpen) as opened:
            await model.chat(ChatRequest.of("hi", max_tokens=2))
        assert "2 consecutive connection failures" in str(opened.value)
        status = await fleet.check("tiny")
    assert status.reachable is False


@pytest.mark.parametrize("limit", [1, 2])
async def test_concurrency_limited_as_configured(llama_server: LlamaServer, limit: int) -> None:
    with CountingProxy(llama_server.url) as proxy:
        cfg = tiny_config(proxy.url, max_concurrent=limit)
        async with open_fleet(cfg) as fleet:
            model = fleet.model("tiny")
            answers = await asyncio.gather(
                *(model.chat(ChatRequest.of(f"task {i}", max_tokens=24)) for i in range(5))
            )
    assert all(a.usage.tokens_out == 24 for a in answers)
    assert len(proxy.requests) == 5
    assert proxy.max_in_flight == limit


def test_cli_ask_json(llama_config: Config) -> None:
    result = CliRunner().invoke(
        cli,
        ["ask", "tiny", "say hello", "--json", "--max-tokens", "6"],
        obj={"config": llama_config},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "model",
        "text",
        "tokens_in",
        "tokens_out",
        "tokens_estimated",
        "latency_ms",
        "cost_usd",
        "ttft_ms",
        "tokens_per_s",
        "finish_reason",
    }
    assert (data["model"], data["tokens_out"], data["tokens_estimated"]) == ("tiny", 6, False)


def test_cli_ask_subprocess_streams_and_overflow_exits_2(
    llama_server: LlamaServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "escalator.toml", llamacpp_url=llama_server.url)
    base = [sys.executable, "-m", "escalator.cli.main", "--config", str(config), "ask", "tiny"]
    ok = subprocess.run(
        [*base, "hello", "--stream", "--max-tokens", "8"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() and "(estimated)" in ok.stderr and "tok/s" in ok.stderr
    bad = subprocess.run([*base, LONG_PROMPT, "--json"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2  # a prompt too long for the loaded context is the user's to fix
    assert json.loads(bad.stdout)["error_kind"] == "context_overflow"
