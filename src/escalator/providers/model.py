"""``HttpChatModel``: a configured model bound to its endpoint and adapter.

It sends one chat request (streamed when asked or when a token callback is given),
measures latency, time to first token and tokens/s, fills in usage with the cl100k
count when the server reported none (``Usage.estimated``), and prices the answer from
the configured prices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from escalator.errors import EndpointHung, ProviderError, ProviderTimeout
from escalator.providers.adapter import Answer, Route
from escalator.providers.base import ChatRequest, ChatResponse, TokenCallback, Usage
from escalator.providers.endpoint import Endpoint
from escalator.providers.openai_compat import OpenAICompatAdapter
from escalator.providers.pool import EndpointPool
from escalator.providers.sse import iter_sse
from escalator.providers.timeouts import CallWatch, watch_call
from escalator.providers.tokens import count_tokens
from escalator.registry import ModelSpec

__all__ = ["HttpChatModel"]


@dataclass
class _Timing:
    """Clock readings of the current attempt (perf_counter seconds)."""

    start: float = 0.0
    first_token: float | None = None
    end: float = 0.0
    emitted: bool = False
    watch: CallWatch | None = None


class HttpChatModel:
    """A ``ChatModel`` over HTTP; raises ``ProviderError`` subclasses.

    Each call goes to one endpoint of the provider's pool (the least-loaded healthy
    host); ``ChatResponse.stats["endpoint"]`` says which one answered.
    """

    def __init__(self, spec: ModelSpec, pool: EndpointPool) -> None:
        self.spec = spec
        self.pool = pool

    def __repr__(self) -> str:
        return f"HttpChatModel({self.spec.key!r} -> {self.pool!r})"

    @property
    def endpoint(self) -> Endpoint:
        """The first configured host (request shaping is the same on every host)."""
        return self.pool.primary

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse:
        stream = request.stream or on_token is not None
        timing = _Timing()
        began = time.perf_counter()
        answer, url = await self.pool.call(
            lambda ep: self._watched(ep, request, stream, on_token, timing),
            may_retry=lambda exc: not timing.emitted,
        )
        latency_s = time.perf_counter() - began
        response = self._response(request, answer, timing, latency_s, stream)
        if len(self.pool.endpoints) > 1:
            response.stats["endpoint"] = url
        return response

    async def _watched(
        self,
        ep: Endpoint,
        request: ChatRequest,
        stream: bool,
        on_token: TokenCallback | None,
        timing: _Timing,
    ) -> tuple[Answer, str]:
        """One try on ``ep`` under its phase timeouts (providers/timeouts.py)."""
        limits = ep.timeouts
        timing.watch = CallWatch(limits, streamed=stream)
        return await watch_call(
            self._attempt(ep, request, stream, on_token, timing),
            timing.watch,
            probe=ep.alive if limits.liveness_probe_s > 0 else None,
            timed_out=lambda phase, limit_s: _timed_out(ep, phase, limit_s),
        )

    async def _attempt(
        self,
        ep: Endpoint,
        request: ChatRequest,
        stream: bool,
        on_token: TokenCallback | None,
        timing: _Timing,
    ) -> tuple[Answer, str]:
        timing.start = time.perf_counter()
        timing.first_token = None
        if stream:
            answer = await self._stream(ep, request, on_token, timing)
        else:
            answer = await self._complete(ep, request)
        timing.end = time.perf_counter()
        return answer, ep.url

    async def _complete(self, ep: Endpoint, request: ChatRequest) -> Answer:
        adapter = ep.adapter
        body = adapter.body(self.spec, request, False)
        try:
            return await self._post(ep, adapter.route(self.spec, False), body)
        except ProviderError as exc:
            if isinstance(adapter, OpenAICompatAdapter) and adapter.fall_back(exc):
                return await self._post(ep, adapter.route(self.spec, False), body)
            raise

    async def _post(self, ep: Endpoint, route: Route, body: dict[str, Any]) -> Answer:
        data, raw = await ep.post_json(route, body, self.spec.model_id)
        ctx = ep.context(self.spec.model_id, ep.root + route.path)
        return ep.adapter.parse(data, raw, ctx)

    async def _stream(
        self, ep: Endpoint, request: ChatRequest, on_token: TokenCallback | None, timing: _Timing
    ) -> Answer:
        adapter = ep.adapter
        route = adapter.route(self.spec, True)
        url = ep.root + route.path
        parser = adapter.stream_parser(ep.context(self.spec.model_id, url))
        body = adapter.body(self.spec, request, True)
        async with ep.stream(route, body, self.spec.model_id) as response:
            async for event in iter_sse(response):
                if timing.watch is not None:
                    timing.watch.chunk()
                piece = parser.feed(event)
                if piece:
                    if timing.first_token is None:
                        timing.first_token = time.perf_counter()
                    timing.emitted = True
                    if on_token is not None:
                        on_token(piece)
        return parser.finish()

    def _response(
        self,
        request: ChatRequest,
        answer: Answer,
        timing: _Timing,
        latency_s: float,
        streamed: bool,
    ) -> ChatResponse:
        usage = answer.usage or Usage(
            tokens_in=count_tokens(request.prompt_text()),
            tokens_out=count_tokens(answer.text),
            estimated=True,
        )
        finish = _window_or_cap(answer.finish_reason, usage, request, self.spec)
        ttft_ms = answer.ttft_ms
        if ttft_ms is None and timing.first_token is not None:
            ttft_ms = (timing.first_token - timing.start) * 1000
        stats: dict[str, Any] = dict(answer.stats)
        stats["streamed"] = streamed
        return ChatResponse(
            model=self.spec.key,
            model_id=self.spec.model_id,
            text=answer.text,
            finish_reason=finish,
            usage=usage,
            latency_ms=latency_s * 1000,
            cost_usd=self.spec.cost_usd(usage.tokens_in, usage.tokens_out),
            ttft_ms=ttft_ms,
            tokens_per_s=answer.tokens_per_s or _measured_tps(usage.tokens_out, timing),
            stats=stats,
        )


def _measured_tps(tokens_out: int, timing: _Timing) -> float | None:
    """Output tokens per second of generation (after the first token when streamed)."""
    if tokens_out <= 0:
        return None
    if timing.first_token is not None and tokens_out > 1:
        span = timing.end - timing.first_token
        if span > 0:
            return (tokens_out - 1) / span
    span = timing.end - timing.start
    return tokens_out / span if span > 0 else None


def _window_or_cap(finish: str, usage: Usage, request: ChatRequest, spec: ModelSpec) -> str:
    """``length`` means the output cap only when the answer reached it; a shorter answer
    cut at ``length`` hit the context window (servers of the OpenAI dialect say ``length``
    for both)."""
    cap = request.max_tokens or spec.max_output_tokens
    if finish == "length" and not usage.estimated and usage.tokens_out < cap:
        return "context_overflow"
    return finish


def _timed_out(ep: Endpoint, phase: str, limit_s: float) -> ProviderError:
    """The error for a phase of a call to ``ep`` that ran past its limit."""
    where = f"{ep.name} at {ep.url}"
    kw: dict[str, Any] = {"provider": ep.name, "url": ep.url}
    if phase == "hung":
        return EndpointHung(
            f"{where} took the request, then sent nothing for "
            f"{ep.timeouts.liveness_probe_s:g} s and did not answer a liveness probe "
            f"(GET /v1/models) within {limit_s:g} s: the server or its SSH tunnel is hung; "
            "restart the server or reopen the tunnel",
            **kw,
        )
    what = {
        "first_token": ("sent no token", "first_token_timeout_s"),
        "idle": ("stopped sending in the middle of its answer for", "idle_timeout_s"),
    }.get(phase, ("did not finish its answer", "timeout_s"))
    return ProviderTimeout(
        f"{where} {what[0]} within {limit_s:g} s; raise {what[1]} for this provider "
        "if the model is just slow",
        **kw,
    )
