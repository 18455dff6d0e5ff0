"""Backoff bounds, retry-after, the circuit breaker and the no-replay rule for streams."""

from __future__ import annotations

import pytest

from escalator.config import ProviderConfig
from escalator.errors import (
    BadRequest,
    CircuitOpen,
    EndpointUnreachable,
    Overloaded,
    ProviderError,
    RateLimited,
)
from escalator.providers import ChatRequest, open_fleet
from escalator.providers.resilience import (
    MAX_RETRY_AFTER_S,
    CircuitBreaker,
    Resilience,
    backoff_s,
)
from tests.fakes import LMStudioFake, Reply, config_for
from tests.providers.conftest import SleepLog

pytestmark = pytest.mark.anyio


def _provider(**kw: object) -> ProviderConfig:
    return ProviderConfig(name="p", kind="lmstudio", base_url="http://127.0.0.1:1", **kw)  # type: ignore[arg-type]


def test_backoff_is_full_jitter_capped() -> None:
    assert backoff_s(0, 0.5, 30, lambda: 1.0) == 0.5
    assert backoff_s(3, 0.5, 30, lambda: 1.0) == 4.0
    assert backoff_s(10, 0.5, 30, lambda: 1.0) == 30.0
    assert backoff_s(10, 0.5, 30, lambda: 0.25) == 7.5
    assert backoff_s(5, 0.5, 30, lambda: 0.0) == 0.0


async def test_retries_transient_until_max_then_raises(sleeps: SleepLog) -> None:
    res = Resilience(_provider(max_retries=3, backoff_base_s=1.0), sleeps.settings())
    calls = 0

    async def op() -> str:
        nonlocal calls
        calls += 1
        raise Overloaded("busy")

    with pytest.raises(Overloaded):
        await res.call(op)
    assert calls == 4
    assert sleeps.delays == [1.0, 2.0, 4.0]


async def test_non_transient_and_long_retry_after_are_not_retried(sleeps: SleepLog) -> None:
    res = Resilience(_provider(), sleeps.settings())

    async def bad() -> None:
        raise BadRequest("no")

    async def very_limited() -> None:
        raise RateLimited("later", retry_after_s=MAX_RETRY_AFTER_S + 1)

    for op in (bad, very_limited):
        with pytest.raises(ProviderError):
            await res.call(op)
    assert sleeps.delays == []


async def test_success_after_retry_resets_breaker(sleeps: SleepLog) -> None:
    res = Resilience(_provider(circuit_failures=2), sleeps.settings())
    outcomes: list[Exception | str] = [EndpointUnreachable("down"), "up"]

    async def op() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    assert await res.call(op) == "up"
    assert res.breaker.consecutive == 0 and res.breaker.open_until is None


def test_breaker_opens_reports_and_cools_off() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooloff_s=10, clock=lambda: now[0])
    breaker.record_failure(EndpointUnreachable("refused"))
    breaker.check("lmstudio", "http://x")
    breaker.record_failure(EndpointUnreachable("refused again"))
    with pytest.raises(CircuitOpen) as info:
        breaker.check("lmstudio", "http://x")
    assert "refused again" in str(info.value) and "10.0s" in str(info.value)
    now[0] = 10.5
    breaker.check("lmstudio", "http://x")  # half-open: one try allowed
    breaker.record_failure(EndpointUnreachable("still down"))
    with pytest.raises(CircuitOpen):
        breaker.check("lmstudio", "http://x")


async def test_stream_not_replayed_after_tokens(sleeps: SleepLog) -> None:
    # The connection drops after part of the answer: no retry (tokens were delivered).
    broken = 'data: {"choices":[{"index":0,"delta":{"content":"par"}}]}\n\n'
    with LMStudioFake() as lms:
        lms.script(
            "qwen2.5-14b-instruct",
            Reply.error(200, broken + "data: {not json", {"Content-Type": "text/event-stream"}),
            "never used",
        )
        async with open_fleet(config_for(lmstudio_url=lms.url), sleeps.settings()) as fleet:
            pieces: list[str] = []
            with pytest.raises(ProviderError):
                await fleet.model("local-14b").chat(ChatRequest.of("x"), on_token=pieces.append)
    assert pieces == ["par"]
    assert len(lms.requests) == 1 and lms.pending("qwen2.5-14b-instruct") == 1


async def test_dropped_connection_before_answer_is_retried(sleeps: SleepLog) -> None:
    with LMStudioFake() as lms:
        lms.script("qwen2.5-14b-instruct", Reply.disconnect(), "second try")
        async with open_fleet(config_for(lmstudio_url=lms.url), sleeps.settings()) as fleet:
            resp = await fleet.model("local-14b").chat(ChatRequest.of("x"))
    assert resp.text == "second try" and len(sleeps.delays) == 1
