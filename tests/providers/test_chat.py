"""Answers, streams, usage (reported or estimated), speed figures and prices."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from escalator.providers import ChatRequest, count_tokens, open_fleet
from tests.fakes import AnthropicFake, GeminiFake, LMStudioFake, Reply, config_for
from tests.providers.conftest import SleepLog

pytestmark = pytest.mark.anyio

QWEN = "qwen/qwen3-30b-a3b"
ANSWER = "def add(a, b):\n    return a + b\n"


async def _chat(cfg: Any, key: str, request: ChatRequest, pieces: list[str] | None = None) -> Any:
    async with open_fleet(cfg) as fleet:
        return await fleet.model(key).chat(
            request, on_token=pieces.append if pieces is not None else None
        )


async def test_lmstudio_plain_answer_uses_native_route_and_stats() -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN, Reply(ANSWER, tokens_in=30, tokens_out=12))
        resp = await _chat(config_for(lmstudio_url=lms.url), "qwen3-30b", ChatRequest.of("add"))
    assert resp.text == ANSWER and resp.finish_reason == "stop"
    assert (resp.usage.tokens_in, resp.usage.tokens_out, resp.usage.estimated) == (30, 12, False)
    assert resp.tokens_per_s == pytest.approx(250.0)  # from LM Studio's stats
    assert resp.ttft_ms == pytest.approx(50.0)
    assert resp.cost_usd == 0.0
    body = lms.requests[0].body
    assert lms.requests[0].path == "/api/v0/chat/completions"
    assert body["model"] == QWEN and body["messages"] == [{"role": "user", "content": "add"}]
    assert body["max_tokens"] == 4096 and body["stream"] is False


async def test_stream_with_usage_reports_it_and_calls_back_per_token() -> None:
    pieces: list[str] = ["<start>"]
    with LMStudioFake() as lms:
        lms.script(QWEN, Reply(ANSWER, tokens_in=9, tokens_out=5))
        request = ChatRequest.of("add", stream=True, max_tokens=50)
        resp = await _chat(config_for(lmstudio_url=lms.url), "qwen3-30b", request, pieces)
    assert "".join(pieces[1:]) == ANSWER and len(pieces) > 3
    assert (resp.usage.tokens_in, resp.usage.tokens_out, resp.usage.estimated) == (9, 5, False)
    assert resp.ttft_ms is not None and resp.ttft_ms <= resp.latency_ms
    assert resp.tokens_per_s is not None and resp.tokens_per_s > 0
    sent = lms.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_tokens"] == 50


async def test_stream_without_usage_is_estimated_with_cl100k() -> None:
    with LMStudioFake(stream_usage=False) as lms:
        lms.script(QWEN, ANSWER)
        req = ChatRequest.of("please write add", system="be terse", stream=True)
        resp = await _chat(config_for(lmstudio_url=lms.url), "qwen3-30b", req)
    assert resp.usage.estimated is True
    assert resp.usage.tokens_out == count_tokens(ANSWER)
    assert resp.usage.tokens_in == count_tokens("be terse\nplease write add")


async def test_token_callback_alone_turns_on_streaming() -> None:
    pieces: list[str] = []
    with LMStudioFake() as lms:
        lms.script(QWEN, "a b c")
        await _chat(config_for(lmstudio_url=lms.url), "qwen3-30b", ChatRequest.of("x"), pieces)
    assert lms.requests[0].body["stream"] is True and pieces == ["a ", "b ", "c"]


async def test_length_finish_and_json_schema_request() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    with LMStudioFake() as lms:
        lms.script(QWEN, Reply('{"ok": true}', finish_reason="length"))
        req = ChatRequest.of("x", json_schema=schema, temperature=None)
        resp = await _chat(config_for(lmstudio_url=lms.url), "qwen3-30b", req)
    assert resp.finish_reason == "length"
    fmt = lms.requests[0].body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == schema
    assert "temperature" not in lms.requests[0].body


async def test_anthropic_answer_priced_and_shaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with AnthropicFake() as fake:
        fake.script("claude-sonnet-5-5", Reply("done", tokens_in=1000, tokens_out=200))
        req = ChatRequest.of("fix it", system="you are careful", max_tokens=300)
        resp = await _chat(config_for(anthropic_url=fake.url), "sonnet", req)
    assert resp.text == "done" and resp.finish_reason == "stop"
    assert resp.cost_usd == pytest.approx((1000 * 2.0 + 200 * 10.0) / 1e6)
    sent = fake.requests[0]
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"] == "you are careful"
    assert sent.body["messages"] == [{"role": "user", "content": "fix it"}]
    assert sent.body["max_tokens"] == 300


async def test_anthropic_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    pieces: list[str] = []
    with AnthropicFake() as fake:
        fake.script("claude-haiku-5-5", Reply("one two three", tokens_in=4, tokens_out=3))
        req = ChatRequest.of("count", stream=True)
        resp = await _chat(config_for(anthropic_url=fake.url), "haiku", req, pieces)
    assert "".join(pieces) == "one two three"
    assert (resp.usage.tokens_in, resp.usage.tokens_out, resp.usage.estimated) == (4, 3, False)
    assert resp.ttft_ms is not None


async def test_gemini_answer_and_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g")
    with GeminiFake() as fake:
        fake.script("gemini-3.8-flash", Reply("alpha beta", tokens_in=10, tokens_out=2))
        fake.script("gemini-3.8-flash", Reply("gamma delta", finish_reason="length"))
        cfg = config_for(gemini_url=fake.url)
        plain = await _chat(cfg, "gemini-flash", ChatRequest.of("q", system="sys"))
        streamed = await _chat(cfg, "gemini-flash", ChatRequest.of("q", stream=True))
    assert plain.text == "alpha beta" and plain.usage.tokens_in == 10
    assert plain.cost_usd == pytest.approx((10 * 0.75 + 2 * 3.75) / 1e6)
    assert streamed.text == "gamma delta" and streamed.finish_reason == "length"
    assert fake.requests[0].body["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert fake.requests[1].path.endswith(":streamGenerateContent")
    assert fake.requests[1].query == {"alt": ["sse"]}


async def test_concurrency_is_limited_per_provider(sleeps: SleepLog) -> None:
    with LMStudioFake(default=Reply("slow", delay_s=0.15)) as lms:
        cfg = config_for(
            lmstudio_url=lms.url, extra={"providers": {"lmstudio": {"max_concurrent": 2}}}
        )
        async with open_fleet(cfg) as fleet:
            model = fleet.model("local-14b")
            answers = await asyncio.gather(*(model.chat(ChatRequest.of("x")) for _ in range(6)))
    assert [a.text for a in answers] == ["slow"] * 6
    assert lms.max_in_flight == 2


async def test_lmstudio_token_sent_as_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LMSTUDIO_API_TOKEN", "tok-1")
    with LMStudioFake(token="tok-1") as lms:
        resp = await _chat(config_for(lmstudio_url=lms.url), "local-14b", ChatRequest.of("x"))
    assert resp.text == "ok"
    assert lms.requests[0].headers["authorization"] == "Bearer tok-1"


async def test_repr_never_shows_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-VERYSECRET")
    async with open_fleet(config_for()) as fleet:
        text = repr(fleet.model("opus")) + repr(fleet.pool_for("opus"))
        text += repr(fleet.config.providers["anthropic"])
    assert "VERYSECRET" not in text
