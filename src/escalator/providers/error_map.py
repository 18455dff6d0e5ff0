"""Every provider failure mapped once into ``escalator.errors``.

Classification goes by HTTP status, error ``type`` and ``code`` first; message text is
read only where the server says nothing else (LM Studio's ``{"error": "<string>"}``,
Ollama's "not found, try pulling it first", context-overflow texts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from escalator.errors import (
    AuthenticationFailed,
    BadRequest,
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
from escalator.providers.profiles import profile_of

__all__ = [
    "ErrorContext",
    "ErrorInfo",
    "empty_answer_error",
    "error_info",
    "map_anthropic",
    "map_gemini",
    "map_openai_compat",
    "map_transport",
    "overflow_from_text",
    "retry_after_s",
]

_OVERFLOW_TEXTS = (
    "context length of only",
    "n_keep",
    "context size has been exceeded",
    "exceeds the available context size",
    "maximum context length",
    "prompt is too long",
    "exceeds the maximum number of tokens",
    "context window",
)
_OVERFLOW_CODES = (
    "exceed_context_size_error",
    "context_length_exceeded",
    "model_context_window_exceeded",
)


@dataclass(frozen=True)
class ErrorContext:
    """Who failed: provider name and kind, the URL, the model id, the key's env names."""

    provider: str
    kind: str
    url: str
    model_id: str = ""
    key_env: tuple[str, ...] = ()

    def kw(self, status: int | None, body: str, headers: Mapping[str, str]) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "url": self.url,
            "status": status,
            "body": body,
            "headers": headers,
        }

    @property
    def env_hint(self) -> str:
        return " or ".join(self.key_env) or "the provider's api_key_env variable"


@dataclass(frozen=True)
class ErrorInfo:
    """The parts of an error body that classification reads."""

    message: str
    type: str = ""
    code: str = ""
    status_text: str = ""
    raw: Any = None


def error_info(body: Any) -> ErrorInfo | None:
    """Pull message/type/code out of any dialect's error body (None: no error there)."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, str):
        return ErrorInfo(message=err, raw=body)
    if isinstance(err, dict):
        return ErrorInfo(
            message=str(err.get("message") or ""),
            type=str(err.get("type") or ""),
            code=str(err.get("code") or ""),
            status_text=str(err.get("status") or ""),
            raw=body,
        )
    return None


def _parse_body(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def retry_after_s(headers: Mapping[str, str], body: Any = None) -> float | None:
    """Seconds from ``retry-after`` (seconds or HTTP date), ``retry-after-ms`` or Gemini's
    RetryInfo ``retryDelay``; None when the server gave no hint."""
    lower = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lower:
        try:
            return max(0.0, float(lower["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                pass
    return _gemini_retry_delay(body)


def _gemini_retry_delay(body: Any) -> float | None:
    details = body.get("error", {}).get("details") if isinstance(body, dict) else None
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                return None
    return None


def overflow_from_text(message: str) -> bool:
    low = message.lower()
    return any(t in low for t in _OVERFLOW_TEXTS)


def _overflow(message: str, info: ErrorInfo | None, kw: dict[str, Any]) -> ContextOverflow:
    """A ContextOverflow with the prompt and context sizes where the server gave them."""
    raw = info.raw.get("error") if info and isinstance(info.raw, dict) else None
    prompt = raw.get("n_prompt_tokens") if isinstance(raw, dict) else None
    ctx = raw.get("n_ctx") if isinstance(raw, dict) else None
    if ctx is None:
        match = re.search(
            r"n_ctx:\s*(\d+)|context length of only (\d+)|maximum context length is (\d+)", message
        )
        if match:
            ctx = int(next(g for g in match.groups() if g))
    return ContextOverflow(
        f"prompt does not fit the context window: {message}",
        prompt_tokens=prompt if isinstance(prompt, int) else None,
        context_length=ctx if isinstance(ctx, int) else None,
        **kw,
    )


def _generic(
    status: int | None,
    info: ErrorInfo | None,
    ctx: ErrorContext,
    kw: dict[str, Any],
    headers: Mapping[str, str],
) -> ProviderError:
    """Status-only classes shared by every family."""
    message = info.message if info else (kw["body"][:300] or "(empty body)")
    where = f"{ctx.provider} ({ctx.url})"
    if status in (401, 403):
        return AuthenticationFailed(
            f"{where} rejected the credentials (HTTP {status}): {message}. "
            f"Check the key in {ctx.env_hint}",
            **kw,
        )
    if status == 429:
        return RateLimited(
            f"{where} rate limit: {message}",
            retry_after_s=retry_after_s(headers, info.raw if info else None),
            **kw,
        )
    if status == 408 or status == 504:
        return ProviderTimeout(f"{where} timed out (HTTP {status}): {message}", **kw)
    if status is not None and status >= 500:
        return Overloaded(
            f"{where} server error (HTTP {status}): {message}",
            retry_after_s=retry_after_s(headers),
            **kw,
        )
    if status is not None and status >= 400:
        return BadRequest(f"{where} refused the request (HTTP {status}): {message}", **kw)
    said = "inside a 200 answer" if status is None else f"with HTTP {status}"
    return MalformedResponse(f"{where} sent an error {said}: {message}", **kw)


def map_openai_compat(
    status: int | None, body_text: str, headers: Mapping[str, str], ctx: ErrorContext
) -> ProviderError:
    """LM Studio, Ollama, llama.cpp, vLLM and OpenAI errors (``status`` None: inside a 200)."""
    body = _parse_body(body_text)
    info = error_info(body)
    kw = ctx.kw(status, body_text, headers)
    message = info.message if info else body_text[:300]
    codes = {info.code, info.type} if info else set()
    if codes & {"insufficient_quota", "enforced_spend_limit_reached", "billing_hard_limit_reached"}:
        return SpendLimitReached(f"{ctx.provider} spend limit reached: {message}", **kw)
    if "model_not_found" in codes:
        return ModelNotFound(_not_found(ctx, message), **kw)
    if codes & set(_OVERFLOW_CODES):
        return _overflow(message, info, kw)
    if status in (401, 403, 429, 408, 504) or (status or 0) >= 500:
        return _generic(status, info, ctx, kw, headers)
    # From here the server said nothing but text: LM Studio's string errors, Ollama's 404.
    low = message.lower()
    if "no models loaded" in low:
        return ModelNotLoaded(
            f"{ctx.provider} has no model loaded: {message}. Load it with 'lms load "
            f"{ctx.model_id}' or enable JIT loading",
            **kw,
        )
    if overflow_from_text(message):
        return _overflow(message, info, kw)
    if "try pulling" in low or (status == 404 and "not found" in low):
        return ModelNotFound(_not_found(ctx, message), **kw)
    if "unexpected endpoint" in low:
        return MalformedResponse(
            f"{ctx.provider} does not serve this route ({message}); check base_url {ctx.url}",
            **kw,
        )
    return _generic(status, info, ctx, kw, headers)


def _not_found(ctx: ErrorContext, message: str) -> str:
    return (
        f"{ctx.provider} does not know model {ctx.model_id!r}: {message}. Download or pull "
        "it, or fix model_id in escalator.toml"
    )


def map_anthropic(
    status: int | None, body_text: str, headers: Mapping[str, str], ctx: ErrorContext
) -> ProviderError:
    """Anthropic Messages errors: ``{"type":"error","error":{"type":..., "message":...}}``."""
    body = _parse_body(body_text)
    info = error_info(body)
    kw = ctx.kw(status, body_text, headers)
    kind = info.type if info else ""
    message = info.message if info else body_text[:300]
    if "enforced_spend_limit_reached" in body_text:
        return SpendLimitReached(f"{ctx.provider} spend limit reached: {message}", **kw)
    if kind == "overloaded_error" or status == 529:
        return Overloaded(
            f"{ctx.provider} is overloaded: {message}", retry_after_s=retry_after_s(headers), **kw
        )
    if kind == "not_found_error":
        return ModelNotFound(_not_found(ctx, message), **kw)
    if kind in ("authentication_error", "permission_error"):
        return _generic(401 if kind == "authentication_error" else 403, info, ctx, kw, headers)
    if kind == "invalid_request_error" and overflow_from_text(message):
        return _overflow(message, info, kw)
    if kind == "rate_limit_error":
        return _generic(429, info, ctx, kw, headers)
    return _generic(status, info, ctx, kw, headers)


def map_gemini(
    status: int | None, body_text: str, headers: Mapping[str, str], ctx: ErrorContext
) -> ProviderError:
    """Gemini errors: ``{"error":{"code":..., "message":..., "status": "RESOURCE_EXHAUSTED"}}``."""
    body = _parse_body(body_text)
    info = error_info(body)
    kw = ctx.kw(status, body_text, headers)
    grpc = info.status_text if info else ""
    message = info.message if info else body_text[:300]
    reasons = _gemini_reasons(body)
    if "API_KEY_INVALID" in reasons or grpc in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return _generic(401 if grpc != "PERMISSION_DENIED" else 403, info, ctx, kw, headers)
    if grpc == "NOT_FOUND" or status == 404:
        return ModelNotFound(_not_found(ctx, message), **kw)
    if grpc == "RESOURCE_EXHAUSTED" or status == 429:
        return RateLimited(
            f"{ctx.provider} quota or rate limit: {message}",
            retry_after_s=retry_after_s(headers, body),
            **kw,
        )
    if grpc == "DEADLINE_EXCEEDED":
        return _generic(504, info, ctx, kw, headers)
    if grpc in ("UNAVAILABLE", "INTERNAL"):
        return _generic(503, info, ctx, kw, headers)
    if grpc == "INVALID_ARGUMENT" and overflow_from_text(message):
        return _overflow(message, info, kw)
    return _generic(status, info, ctx, kw, headers)


def _gemini_reasons(body: Any) -> set[str]:
    details = body.get("error", {}).get("details") if isinstance(body, dict) else None
    return {
        str(d.get("reason"))
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and d.get("reason")
    }


def empty_answer_error(kind: str, ctx: ErrorContext) -> ProviderError:
    """An empty 200 body or stream: a context overflow where the server means that."""
    kw = ctx.kw(200, "", {})
    if profile_of(kind).empty_answer_means_overflow:
        return ContextOverflow(
            f"{ctx.provider} sent an empty answer, which this server does when the prompt "
            "does not fit the loaded context; shorten the prompt or load the model with a "
            "larger context length",
            **kw,
        )
    return MalformedResponse(f"{ctx.provider} sent an empty answer (HTTP 200)", **kw)


def map_transport(exc: httpx.HTTPError, ctx: ErrorContext, *, local: bool) -> ProviderError:
    """Connection and timeout failures, before any HTTP status arrived."""
    kw = ctx.kw(None, "", {})
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return EndpointUnreachable(_unreachable(exc, ctx, local), **kw)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(
            f"{ctx.provider} at {ctx.url} did not answer in time ({type(exc).__name__}); "
            "raise timeout_s for this provider if the model is just slow",
            **kw,
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return EndpointUnreachable(
            f"{ctx.provider} at {ctx.url} dropped the connection ({type(exc).__name__}: {exc})",
            **kw,
        )
    return EndpointUnreachable(f"{ctx.provider} at {ctx.url}: {type(exc).__name__}: {exc}", **kw)


def _unreachable(exc: httpx.HTTPError, ctx: ErrorContext, local: bool) -> str:
    text = f"cannot connect to {ctx.provider} at {ctx.url} ({type(exc).__name__}: {exc})"
    if not local:
        return text + "; check the network and base_url"
    port = urlsplit(ctx.url).port or 1234
    return (
        f"{text}. Is the server running? If it is reached through an SSH tunnel, the tunnel "
        f"may be down: reopen it with 'ssh -L {port}:localhost:{port} user@host'"
    )
