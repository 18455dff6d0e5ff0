"""Several hosts per provider: least-loaded choice, fail-over, per-host breakers and status."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from escalator.config import Config
from escalator.errors import EndpointUnreachable
from escalator.providers import ChatRequest, open_fleet
from tests.fakes import UNREACHABLE_URL, LMStudioFake, Reply, config_for

QWEN = "qwen/qwen3-30b-a3b"

pytestmark = pytest.mark.anyio


def two_host_config(first: str, second: str, **provider: object) -> Config:
    settings = {"extra_urls": [second], "max_retries": 0, **provider}
    return config_for(lmstudio_url=first, extra={"providers": {"lmstudio": settings}})


async def test_concurrent_calls_spread_over_both_hosts() -> None:
    with (
        LMStudioFake(default=Reply("ok", delay_s=0.3)) as a,
        LMStudioFake(default=Reply("ok", delay_s=0.3)) as b,
    ):
        cfg = two_host_config(a.url, b.url, max_concurrent=4)
        async with open_fleet(cfg) as fleet:
            model = fleet.model("qwen3-30b")
            answers = await asyncio.gather(*(model.chat(ChatRequest.of("hi")) for _ in range(4)))
        urls = {a.url, b.url}
    assert all(r.text == "ok" for r in answers)
    served = (len(a.requests_to("chat")), len(b.requests_to("chat")))
    assert served == (2, 2), f"4 concurrent calls should split 2/2 by load, got {served}"
    assert {r.stats["endpoint"] for r in answers} == urls


async def test_a_dead_host_fails_over_and_is_marked_down() -> None:
    with LMStudioFake() as live:
        cfg = two_host_config(UNREACHABLE_URL, live.url, circuit_failures=2)
        async with open_fleet(cfg) as fleet:
            model = fleet.model("qwen3-30b")
            for _ in range(4):
                answer = await model.chat(ChatRequest.of("hi"))
                assert answer.stats["endpoint"] == live.url
            dead, alive = fleet.pool_for("qwen3-30b").endpoints
            assert not dead.resilience.healthy and alive.resilience.healthy
            status = await fleet.check("qwen3-30b")
        live_url = live.url
    assert status.reachable is True
    hosts = {h.url: h for h in status.hosts}
    assert hosts[UNREACHABLE_URL].reachable is False and hosts[live_url].reachable is True
    assert len(live.requests_to("chat")) == 4


async def test_every_host_down_raises_the_last_error() -> None:
    cfg = two_host_config(UNREACHABLE_URL, "http://127.0.0.1:1")
    async with open_fleet(cfg) as fleet:
        with pytest.raises(EndpointUnreachable):
            await fleet.model("qwen3-30b").chat(ChatRequest.of("hi"))


async def test_a_dropped_connection_before_any_token_moves_to_the_other_host() -> None:
    with LMStudioFake() as a, LMStudioFake(default="from b") as b:
        a.script(QWEN, Reply.disconnect())
        cfg = two_host_config(a.url, b.url)
        async with open_fleet(cfg) as fleet:
            answer = await fleet.model("qwen3-30b").chat(
                ChatRequest.of("hi"), on_token=lambda piece: None
            )
        assert answer.text == "from b" and answer.stats["endpoint"] == b.url
        assert len(a.requests_to("chat")) == 1


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_config_rejects_a_repeated_or_bad_extra_url(anyio_backend: str) -> None:
    from escalator.errors import ConfigError

    with pytest.raises(ConfigError, match="extra_urls"):
        two_host_config("http://127.0.0.1:5", "http://127.0.0.1:5")
    with pytest.raises(ConfigError, match="extra_urls"):
        two_host_config("http://127.0.0.1:5", "ftp://x")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_models_check_lists_each_host(anyio_backend: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from escalator.cli.main import cli
    from tests.fakes import write_config

    with LMStudioFake() as live:
        extra = {"providers": {"lmstudio": {"extra_urls": [live.url], "max_retries": 0}}}
        config = write_config(
            tmp_path / "escalator.toml", lmstudio_url=UNREACHABLE_URL, extra=extra
        )
        as_json = CliRunner().invoke(cli, ["--config", str(config), "models", "--check", "--json"])
        text = CliRunner().invoke(cli, ["--config", str(config), "models", "--check"])
        live_url = live.url
    assert as_json.exit_code == 0, as_json.output
    row = next(r for r in json.loads(as_json.output)["models"] if r["key"] == "qwen3-30b")
    assert row["reachable"] is True
    assert [(h["url"], h["reachable"]) for h in row["hosts"]] == [
        (UNREACHABLE_URL, False),
        (live_url, True),
    ]
    assert f"qwen3-30b @ {UNREACHABLE_URL}: DOWN" in text.output
    assert f"qwen3-30b @ {live_url}: up" in text.output
