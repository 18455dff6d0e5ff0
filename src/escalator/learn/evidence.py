"""What the policy learns from: each task's model calls, in order, with labels the engine
can know (validators, agreement, review decisions, later reversals; never hidden tests).

A ``Trace`` is one task; a ``Visit`` is one model's turn in it (its attempts, retries
included). ``Context`` is the state of the escalation when a model's turn began: nothing
tried yet, only local models tried, or a paid model tried too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Attempt", "Context", "Label", "Trace", "Visit", "context_after", "visits"]


class Label(StrEnum):
    """What is known about one attempt's answer."""

    VERIFIED = "verified"  # in the accepted result, corroborated by agreement (or n/a)
    ACCEPTED_ALONE = "accepted_alone"  # accepted uncorroborated (trust, end of chain)
    CONFIRMED = "confirmed"  # agreed with the free models' answer it was asked to confirm
    CONTRADICTED = "contradicted"  # passed the tests, but another answer won
    FAILED = "failed"  # failed a validator, or no usable edit
    REVERSED = "reversed"  # accepted, then rejected in review or reverted
    ERROR = "error"  # the provider failed: says nothing about the model's ability
    UNKNOWN = "unknown"  # passed the tests; the task ended without a decision

    @property
    def success(self) -> bool:
        """The answer ended up as (part of) the accepted result."""
        return self in (Label.VERIFIED, Label.ACCEPTED_ALONE, Label.CONFIRMED)


class Context(StrEnum):
    """How far the escalation had gone when a model got the task."""

    FRESH = "fresh"
    AFTER_LOCAL = "after_local"
    AFTER_PAID = "after_paid"


@dataclass(frozen=True)
class Attempt:
    """One model call of a task and what came of it."""

    model: str
    label: Label
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    swap_s: float = 0.0


@dataclass(frozen=True)
class Trace:
    """One task: its type and its attempts in the order they were made."""

    task_type: str
    attempts: tuple[Attempt, ...]
    task_id: str = ""


@dataclass(frozen=True)
class Visit:
    """One model's turn in a task: success if any of its attempts' answers was accepted."""

    model: str
    context: Context
    success: bool
    decided: bool  # False when every attempt was a provider error
    cost_usd: float
    latency_s: float
    tokens_in: int
    tokens_out: int
    verified: int  # answers corroborated by another model (confirmations left out)
    contradicted: int  # test-passing answers another answer beat, or reversed later


def context_after(tried: Sequence[str], is_local: Callable[[str], bool]) -> Context:
    """The context for the next model once ``tried`` models had their turn."""
    if not tried:
        return Context.FRESH
    return Context.AFTER_LOCAL if all(is_local(m) for m in tried) else Context.AFTER_PAID


def visits(trace: Trace, is_local: Callable[[str], bool]) -> list[Visit]:
    """The trace's model turns in order (consecutive attempts of one model are one turn)."""
    groups: list[list[Attempt]] = []
    for attempt in trace.attempts:
        if groups and groups[-1][0].model == attempt.model:
            groups[-1].append(attempt)
        else:
            groups.append([attempt])
    out: list[Visit] = []
    for i, group in enumerate(groups):
        labels = [a.label for a in group]
        out.append(
            Visit(
                model=group[0].model,
                context=context_after([g[0].model for g in groups[:i]], is_local),
                success=any(label.success for label in labels),
                decided=any(label is not Label.ERROR for label in labels),
                cost_usd=sum(a.cost_usd for a in group),
                latency_s=sum(a.latency_s + a.swap_s for a in group),
                tokens_in=sum(a.tokens_in for a in group),
                tokens_out=sum(a.tokens_out for a in group),
                verified=sum(1 for label in labels if label is Label.VERIFIED),
                contradicted=sum(
                    1 for label in labels if label in (Label.CONTRADICTED, Label.REVERSED)
                ),
            )
        )
    return out
