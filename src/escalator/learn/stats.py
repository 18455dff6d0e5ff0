"""Counts from traces, and Beta posteriors over them.

``Evidence`` aggregates ``Trace``s per task type and model: turns and successes per
``Context`` and after each other model's failure, corroborated and contradicted answers
(for trust), and the cost, tokens and latency of a turn. ``Beta`` is the posterior of
a rate: the prior (from the configured matrix) counts as a few pseudo-observations, so a
handful of tasks moves it only a little.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from escalator.learn.evidence import Context, Trace, Visit, visits

__all__ = ["Beta", "Evidence", "ModelEvidence"]


@dataclass(frozen=True)
class Beta:
    """A Beta(alpha, beta) posterior of a probability."""

    alpha: float
    beta: float

    @classmethod
    def from_prior(cls, mean: float, strength: float, successes: float, failures: float) -> Beta:
        """The posterior after ``successes``/``failures``, from a prior mean worth
        ``strength`` observations."""
        m = min(max(mean, 1e-3), 1 - 1e-3)
        return cls(m * strength + successes, (1 - m) * strength + failures)

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def n(self) -> float:
        return self.alpha + self.beta

    def lower(self, z: float = 1.0) -> float:
        """Mean minus ``z`` standard deviations (a cautious estimate), at least 0."""
        n = self.n
        var = self.alpha * self.beta / (n * n * (n + 1))
        return max(0.0, self.mean - z * math.sqrt(var))

    def sample(self, rng: random.Random) -> float:
        """One Thompson draw."""
        return rng.betavariate(self.alpha, self.beta)


@dataclass
class ModelEvidence:
    """One model at one task type."""

    turns: int = 0
    successes: int = 0
    by_context: dict[Context, tuple[int, int]] = field(default_factory=dict)
    verified: int = 0
    contradicted: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0

    def add(self, visit: Visit) -> None:
        self.turns += 1
        self.successes += int(visit.success)
        s, n = self.by_context.get(visit.context, (0, 0))
        self.by_context[visit.context] = (s + int(visit.success), n + 1)
        self.verified += visit.verified
        self.contradicted += visit.contradicted
        self.cost_usd += visit.cost_usd
        self.latency_s += visit.latency_s
        self.tokens_in += visit.tokens_in
        self.tokens_out += visit.tokens_out

    def in_context(self, context: Context) -> tuple[int, int]:
        """(successes, turns) of turns that began in ``context``."""
        return self.by_context.get(context, (0, 0))

    @property
    def mean_cost_usd(self) -> float | None:
        return self.cost_usd / self.turns if self.turns else None

    @property
    def mean_latency_s(self) -> float | None:
        return self.latency_s / self.turns if self.turns else None

    @property
    def rate(self) -> float:
        return self.successes / self.turns if self.turns else 0.0


class Evidence:
    """Everything the traces say, per (task type, model)."""

    def __init__(self, is_local: Callable[[str], bool], traces: Iterable[Trace] = ()) -> None:
        self._is_local = is_local
        self._by: dict[tuple[str, str], ModelEvidence] = {}
        self._after: dict[tuple[str, str, str], tuple[int, int]] = {}
        self.tasks: Counter[str] = Counter()
        for trace in traces:
            self.add(trace)

    def add(self, trace: Trace) -> None:
        """Count one finished task (provider-error-only turns say nothing and are left out)."""
        turns = [v for v in visits(trace, self._is_local) if v.decided]
        if not turns:
            return
        self.tasks[trace.task_type] += 1
        for i, visit in enumerate(turns):
            self._by.setdefault((trace.task_type, visit.model), ModelEvidence()).add(visit)
            failed = {v.model for v in turns[:i] if not v.success} - {visit.model}
            for earlier in failed:
                key = (trace.task_type, earlier, visit.model)
                s, n = self._after.get(key, (0, 0))
                self._after[key] = (s + int(visit.success), n + 1)

    def after_failure(self, task_type: str, failed: str, model: str) -> tuple[int, int]:
        """(successes, turns) of ``model`` in tasks where ``failed`` had failed before it."""
        return self._after.get((task_type, failed, model), (0, 0))

    def of(self, task_type: str, model: str) -> ModelEvidence:
        return self._by.get((task_type, model), ModelEvidence())

    def models(self, task_type: str) -> list[str]:
        return sorted(m for t, m in self._by if t == task_type)

    def mean_tokens(self, task_type: str) -> tuple[float, float] | None:
        """Mean (tokens in, tokens out) of a turn at ``task_type``, over every model."""
        rows = [e for (t, _), e in self._by.items() if t == task_type and e.turns]
        turns = sum(e.turns for e in rows)
        tokens_in, tokens_out = sum(e.tokens_in for e in rows), sum(e.tokens_out for e in rows)
        if not turns or not tokens_in + tokens_out:
            return None
        return tokens_in / turns, tokens_out / turns

    def mean_latency_s(self, task_type: str, local: bool) -> float | None:
        """Mean latency of a turn at ``task_type`` over local (or paid) models."""
        rows = [
            e
            for (t, m), e in self._by.items()
            if t == task_type and e.turns and self._is_local(m) == local
        ]
        turns = sum(e.turns for e in rows)
        return sum(e.latency_s for e in rows) / turns if turns else None
