"""Every documented failure of every provider arrives as the right escalator error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from escalator.errors import (
    AuthenticationFailed,
    CircuitOpen,
    ContextOverflow,
    EndpointUnreachable,
    MalformedResponse,
    ModelNotFound,
    ModelNotLoaded,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    SpendLimitReached,
)
from escalator.providers import ChatRequest, open_fleet
from tests.fakes import (
    UNREACHABLE_URL,
    AnthropicFake,
    GeminiFake,
    LMStudioFake,
    LocalModel,
    OllamaFake,
    Reply,
    config_for,
)
from tests.providers.conftest import SleepLog

pytestmark = pytest.mark.anyio

QWEN = "qwen/qwen3-30b-a3b"
OVERFLOW_N_KEEP = (
    "The number of tokens to keep from the initial prompt is greater than the context "
    "length (n_keep: 13055>= n_ctx: 4096)"
)


@pytest.fixture
def lms() -> Iterator[LMStudioFake]:
    with LMStudioFake() as fake:
        yield fake


async def _ask(cfg: Any, key: str, sleeps: SleepLog, prompt: str = "hello", **kw: Any) -> Any:
    async with open_fleet(cfg, sleeps.settings()) as fleet:
        return await fleet.model(key).chat(ChatRequest.of(prompt, **kw))


async def _lms_error(lms: LMStudioFake, sleeps: SleepLog, reply: Reply, **kw: Any) -> Any:
    lms.script(QWEN, reply)
    with pytest.raises(ProviderError) as info:
        await _ask(config_for(lmstudio_url=lms.url), "qwen3-30b", sleeps, **kw)
    return info.value


async def test_lmstudio_no_models_loaded(lms: LMStudioFake, sleeps: SleepLog) -> None:
    body = {"error": "No models loaded. Please load a model in the developer page"}
    exc = await _lms_error(lms, sleeps, Reply.error(400, body))
    assert isinstance(exc, ModelNotLoaded)
    assert "lms load qwen/qwen3-30b-a3b" in str(exc)


async def test_lmstudio_unknown_model_by_code(sleeps: SleepLog) -> None:
    with LMStudioFake(["something-else"]) as fake, pytest.raises(ModelNotFound) as info:
        await _ask(config_for(lmstudio_url=fake.url), "qwen3-30b", sleeps)
    assert info.value.status == 400 and "qwen/qwen3-30b-a3b" in str(info.value)


@pytest.mark.parametrize(
    ("status", "body", "ctx"),
    [
        (400, {"error": OVERFLOW_N_KEEP}, 4096),
        (200, {"error": OVERFLOW_N_KEEP}, 4096),  # some 0.4.x builds answer 200
        (400, {"error": "Context size has been exceeded."}, None),  # MLX
        (
            400,
            {
                "error": {
                    "code": 400,
                    "message": "request (900 tokens) exceeds the available context size "
                    "(512 tokens), try increasing it",
                    "type": "exceed_context_size_error",
                    "n_prompt_tokens": 900,
                    "n_ctx": 512,
                }
            },
            512,
        ),
        (
            400,
            {
                "error": {
                    "message": "This model's maximum context length is 256 tokens. However, "
                    "you requested 385 tokens",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            },
            256,
        ),
    ],
)
async def test_context_overflow_variants(
    lms: LMStudioFake, sleeps: SleepLog, status: int, body: Any, ctx: int | None
) -> None:
    exc = await _lms_error(lms, sleeps, Reply.error(status, body))
    assert isinstance(exc, ContextOverflow)
    assert exc.context_length == ctx
    assert sleeps.delays == []  # never retried


async def test_real_overflow_from_loaded_context(sleeps: SleepLog) -> None:
    with (
        LMStudioFake([LocalModel(QWEN, context_length=3)]) as fake,
        pytest.raises(ContextOverflow) as info,
    ):
        await _ask(config_for(lmstudio_url=fake.url), "qwen3-30b", sleeps, "one two three four")
    assert info.value.context_length == 3


async def test_empty_stream_from_lmstudio_is_overflow(lms: LMStudioFake, sleeps: SleepLog) -> None:
    exc = await _lms_error(lms, sleeps, Reply.empty_stream(), stream=True)
    assert isinstance(exc, ContextOverflow)


async def test_empty_200_body_from_lmstudio_is_overflow(
    lms: LMStudioFake, sleeps: SleepLog
) -> None:
    exc = await _lms_error(lms, sleeps, Reply.empty_stream())
    assert isinstance(exc, ContextOverflow)


async def test_empty_stream_from_ollama_is_malformed(sleeps: SleepLog) -> None:
    with OllamaFake() as fake:
        fake.script("qwen2.5:14b", Reply.empty_stream())
        with pytest.raises(MalformedResponse):
            await _ask(config_for(ollama_url=fake.url), "ollama-14b", sleeps, stream=True)


async def test_200_without_choices_is_malformed(lms: LMStudioFake, sleeps: SleepLog) -> None:
    exc = await _lms_error(lms, sleeps, Reply.error(200, {"id": "x", "object": "chat"}))
    assert isinstance(exc, MalformedResponse) and "without choices" in str(exc)


async def test_unknown_route_on_v1_is_malformed(lms: LMStudioFake, sleeps: SleepLog) -> None:
    body = {"error": "Unexpected endpoint or method. (POST /v1/chat/completions)"}
    exc = await _lms_error(lms, sleeps, Reply.error(200, body), stream=True)
    assert isinstance(exc, MalformedResponse) and "base_url" in str(exc)


async def test_native_route_unknown_falls_back_to_v1(lms: LMStudioFake, sleeps: SleepLog) -> None:
    body = {"error": "Unexpected endpoint or method. (POST /api/v0/chat/completions)"}
    lms.script(QWEN, Reply.error(200, body), "from v1", "again")
    async with open_fleet(config_for(lmstudio_url=lms.url), sleeps.settings()) as fleet:
        first = await fleet.model("qwen3-30b").chat(ChatRequest.of("hi"))
        second = await fleet.model("qwen3-30b").chat(ChatRequest.of("hi"))
    assert (first.text, second.text) == ("from v1", "again")
    assert [r.path for r in lms.requests] == [
        "/api/v0/chat/completions",
        "/v1/chat/completions",
        "/v1/chat/completions",
    ]


async def test_mid_stream_error_is_mapped(sleeps: SleepLog) -> None:
    stream = 'data: {"error": "model \\"qwen2.5:14b\\" not found, try pulling it first"}\n\n'
    with OllamaFake() as fake:
        fake.script("qwen2.5:14b", Reply.error(200, stream, {"Content-Type": "text/event-stream"}))
        with pytest.raises(ModelNotFound):
            await _ask(config_for(ollama_url=fake.url), "ollama-14b", sleeps, stream=True)


async def test_ollama_not_pulled_and_busy(sleeps: SleepLog) -> None:
    with OllamaFake(["other:7b"]) as fake:
        cfg = config_for(ollama_url=fake.url)
        with pytest.raises(ModelNotFound) as info:
            await _ask(cfg, "ollama-14b", sleeps)
        assert "try pulling" in str(info.value)
        fake.busy = True
        with pytest.raises(Overloaded):
            await _ask(cfg, "ollama-14b", sleeps)
    # 1 not-found call + busy: first try and max_retries (2) retries
    assert len(fake.requests) == 1 + 3
    assert len(sleeps.delays) == 2


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicFake]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-SECRET-123")
    with AnthropicFake() as fake:
        yield fake


def _anthropic(kind: str, message: str = "x") -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


async def test_anthropic_529_overloaded_then_success(
    claude: AnthropicFake, sleeps: SleepLog
) -> None:
    claude.script("claude-haiku-5-5", Reply.error(529, _anthropic("overloaded_error")), "fine")
    resp = await _ask(config_for(anthropic_url=claude.url), "haiku", sleeps)
    assert resp.text == "fine"
    assert len(sleeps.delays) == 1


async def test_anthropic_429_honours_retry_after(claude: AnthropicFake, sleeps: SleepLog) -> None:
    limited = Reply.error(429, _anthropic("rate_limit_error"), {"retry-after": "7"})
    claude.script("claude-haiku-5-5", limited, limited, limited)
    with pytest.raises(RateLimited) as info:
        await _ask(config_for(anthropic_url=claude.url), "haiku", sleeps)
    assert info.value.retry_after_s == 7.0
    assert sleeps.delays == [7.0, 7.0]


async def test_anthropic_spend_limit_never_retried(claude: AnthropicFake, sleeps: SleepLog) -> None:
    body = _anthropic("rate_limit_error", "spend limit")
    body["error"]["details"] = {"error_code": "enforced_spend_limit_reached"}
    claude.script("claude-haiku-5-5", Reply.error(429, body, {"retry-after": "1"}))
    with pytest.raises(SpendLimitReached):
        await _ask(config_for(anthropic_url=claude.url), "haiku", sleeps)
    assert len(claude.requests) == 1 and sleeps.delays == []


async def test_anthropic_prompt_too_long_and_bad_key(
    claude: AnthropicFake, sleeps: SleepLog
) -> None:
    too_long = _anthropic("invalid_request_error", "prompt is too long: 210000 tokens > 200000")
    bad_key = _anthropic("authentication_error", "invalid x-api-key")
    claude.script("claude-haiku-5-5", Reply.error(400, too_long), Reply.error(401, bad_key))
    cfg = config_for(anthropic_url=claude.url)
    with pytest.raises(ContextOverflow):
        await _ask(cfg, "haiku", sleeps)
    with pytest.raises(AuthenticationFailed) as info:
        await _ask(cfg, "haiku", sleeps)
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert "SECRET" not in str(info.value) + repr(info.value) + info.value.body


async def test_missing_key_names_the_variable_and_sends_nothing(sleeps: SleepLog) -> None:
    with AnthropicFake() as fake, GeminiFake() as gem:
        cfg = config_for(anthropic_url=fake.url, gemini_url=gem.url)
        with pytest.raises(AuthenticationFailed) as info:
            await _ask(cfg, "sonnet", sleeps)
        assert "set ANTHROPIC_API_KEY" in str(info.value)
        with pytest.raises(AuthenticationFailed) as ginfo:
            await _ask(cfg, "gemini-flash", sleeps)
        assert "GEMINI_API_KEY or GOOGLE_API_KEY" in str(ginfo.value)
    assert fake.requests == [] and gem.requests == []


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[GeminiFake]:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-SECRET")
    with GeminiFake() as fake:
        yield fake


async def test_gemini_errors(gemini: GeminiFake, sleeps: SleepLog) -> None:
    exhausted = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}],
        }
    }
    invalid_key = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [{"reason": "API_KEY_INVALID"}],
        }
    }
    gemini.script("gemini-3.8-flash", Reply.error(429, exhausted), "ok now")
    gemini.script("gemini-3.1-pro-preview", Reply.error(400, invalid_key))
    cfg = config_for(gemini_url=gemini.url)
    assert (await _ask(cfg, "gemini-flash", sleeps)).text == "ok now"
    assert sleeps.delays == [3.0]
    with pytest.raises(AuthenticationFailed):
        await _ask(cfg, "gemini-pro", sleeps)
    assert gemini.requests[0].headers["x-goog-api-key"] == "AIza-SECRET"


async def test_gemini_unknown_model(sleeps: SleepLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    with GeminiFake(["gemini-other"]) as fake, pytest.raises(ModelNotFound):
        await _ask(config_for(gemini_url=fake.url), "gemini-flash", sleeps)


async def test_connection_refused_names_url_and_tunnel_then_circuit_opens(
    sleeps: SleepLog,
) -> None:
    cfg = config_for(extra={"providers": {"lmstudio": {"max_retries": 0}}})
    async with open_fleet(cfg, sleeps.settings()) as fleet:
        model = fleet.model("qwen3-30b")
        for _ in range(3):
            with pytest.raises(EndpointUnreachable) as info:
                await model.chat(ChatRequest.of("hi"))
            assert not isinstance(info.value, CircuitOpen)
            assert UNREACHABLE_URL in str(info.value) and "ssh -L" in str(info.value)
        with pytest.raises(CircuitOpen) as opened:
            await model.chat(ChatRequest.of("hi"))
        assert "3 consecutive" in str(opened.value) and "until" in str(opened.value)
        sleeps.now += cfg.providers["lmstudio"].circuit_cooloff_s + 1
        with pytest.raises(EndpointUnreachable) as again:
            await model.chat(ChatRequest.of("hi"))
        assert not isinstance(again.value, CircuitOpen)  # cool-off over: tried again


async def test_client_timeout(lms: LMStudioFake, sleeps: SleepLog) -> None:
    lms.script(QWEN, Reply("late", delay_s=1.0))
    cfg = config_for(
        lmstudio_url=lms.url,
        extra={"providers": {"lmstudio": {"timeout_s": 0.2, "max_retries": 0}}},
    )
    with pytest.raises(ProviderTimeout) as info:
        await _ask(cfg, "qwen3-30b", sleeps)
    assert "timeout_s" in str(info.value)


async def test_error_kinds_are_snake_case(lms: LMStudioFake, sleeps: SleepLog) -> None:
    exc = await _lms_error(lms, sleeps, Reply.error(400, {"error": "No models loaded."}))
    assert exc.kind == "model_not_loaded"
    assert json.loads(exc.body)["error"] == "No models loaded."


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from escalator.providers.error_map import retry_after_s

    assert retry_after_s({"Retry-After": "12"}) == 12.0
    assert retry_after_s({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_s({"retry-after": later}) or 0) <= 31
    assert retry_after_s({}) is None
    assert retry_after_s({}, {"error": {"details": [{"retryDelay": "4s"}]}}) == 4.0


async def test_a_loading_model_is_waited_for_within_load_wait_s(
    lms: LMStudioFake, sleeps: SleepLog
) -> None:
    """LM Studio swapping a model in: poll every LOAD_POLL_S until load_wait_s, then answer."""
    not_loaded = Reply.error(400, {"error": "No models loaded. Please load a model"})
    lms.script(QWEN, not_loaded, not_loaded, "loaded now")
    cfg = config_for(lmstudio_url=lms.url, extra={"providers": {"lmstudio": {"load_wait_s": 10.0}}})
    answer = await _ask(cfg, "qwen3-30b", sleeps)
    assert answer.text == "loaded now"
    assert sleeps.delays == [2.0, 2.0]


async def test_a_model_still_loading_after_load_wait_s_escalates(
    lms: LMStudioFake, sleeps: SleepLog
) -> None:
    not_loaded = Reply.error(400, {"error": "No models loaded. Please load a model"})
    lms.script(QWEN, *[not_loaded] * 10)
    cfg = config_for(lmstudio_url=lms.url, extra={"providers": {"lmstudio": {"load_wait_s": 5.0}}})
    with pytest.raises(ModelNotLoaded):
        await _ask(cfg, "qwen3-30b", sleeps)
    assert sum(sleeps.delays) == pytest.approx(5.0)
    assert len(lms.requests_to("chat")) == 4  # at 0, 2, 4 and 5 s
