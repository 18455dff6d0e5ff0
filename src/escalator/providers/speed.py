"""Speed of one model on a fixed prompt: time to first token, tokens/s, latency.

Used by ``escalator models --bench``. Each run streams (so TTFT is observed), and the
figures are medians over the runs. Unreachable models are skipped with the reason.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from escalator.errors import ProviderError
from escalator.providers.base import ChatRequest
from escalator.providers.fleet import Fleet

__all__ = ["BENCH_PROMPT", "SpeedResult", "measure_speed"]

BENCH_PROMPT = "Write a Python function is_prime(n) that returns True when n is prime."


@dataclass(frozen=True)
class SpeedResult:
    """Median figures over ``runs`` streamed calls, or why the model was skipped."""

    model: str
    runs: int
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    latency_ms: float | None = None
    tokens_out: int | None = None
    tokens_estimated: bool | None = None
    cost_usd: float = 0.0
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "model": self.model,
            "runs": self.runs,
            "ttft_ms": r(self.ttft_ms),
            "tokens_per_s": r(self.tokens_per_s),
            "latency_ms": r(self.latency_ms),
            "tokens_out": self.tokens_out,
            "tokens_estimated": self.tokens_estimated,
            "cost_usd": self.cost_usd,
            "skipped": self.skipped,
        }


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


async def measure_speed(
    fleet: Fleet,
    key: str,
    *,
    runs: int = 3,
    max_tokens: int = 64,
    prompt: str = BENCH_PROMPT,
) -> SpeedResult:
    """Stream ``prompt`` ``runs`` times; skip (with the reason) when the model fails."""
    status = await fleet.check(key)
    if status.reachable is not True:
        return SpeedResult(key, 0, skipped=status.error or "not reachable")
    request = ChatRequest.of(prompt, max_tokens=max_tokens, temperature=0.0, stream=True)
    answers = []
    for _ in range(max(1, runs)):
        try:
            answers.append(await fleet.model(key).chat(request))
        except ProviderError as exc:
            return SpeedResult(key, len(answers), skipped=f"{exc.kind}: {exc}")
    return SpeedResult(
        model=key,
        runs=len(answers),
        ttft_ms=_median([a.ttft_ms for a in answers]),
        tokens_per_s=_median([a.tokens_per_s for a in answers]),
        latency_ms=_median([a.latency_ms for a in answers]),
        tokens_out=int(statistics.median(a.usage.tokens_out for a in answers)),
        tokens_estimated=any(a.usage.estimated for a in answers),
        cost_usd=sum(a.cost_usd for a in answers),
    )
