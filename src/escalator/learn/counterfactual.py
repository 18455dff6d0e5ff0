"""``escalator replay``: what another matrix or policy would have cost and achieved on the
tasks already logged, from the recorded attempts.

Each logged task is walked again under the other matrix (or policy): a model that had a
turn in the log gives its recorded result and cost; the walk stops at the first
recorded success. A task whose walk reaches a model that never had a turn on it cannot
be told, and is counted apart. Caveats: a recorded success may have needed another
model's corroborating answer that the new walk would not have; retries per model are
as logged.

The walk is prequential: the tasks are replayed in log order and the policy learns each
one only after walking it (``Policy.observe``), so a learned policy is judged on tasks it
has not seen, as ``run`` would have met them, never on the same log it learned from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from escalator.learn.choice import State
from escalator.learn.evidence import Trace, Visit, visits
from escalator.learn.static import Policy

__all__ = ["Estimate", "TaskEstimate", "TypeEstimate", "estimate"]


@dataclass(frozen=True)
class TaskEstimate:
    """One task walked again: known or not, and if known, its result and cost."""

    task_id: str
    task_type: str
    known: bool
    passed: bool
    cost_usd: float
    logged_passed: bool
    logged_cost_usd: float
    models: tuple[str, ...]
    missing: str | None = None  # the model whose result the log does not have


@dataclass
class TypeEstimate:
    """Totals over the tasks of one type (or all): the new walk against the log."""

    tasks: int = 0
    known: int = 0
    passed: int = 0
    cost_usd: float = 0.0
    logged_passed: int = 0
    logged_cost_usd: float = 0.0

    def add(self, t: TaskEstimate) -> None:
        self.tasks += 1
        if not t.known:
            return
        self.known += 1
        self.passed += int(t.passed)
        self.cost_usd += t.cost_usd
        self.logged_passed += int(t.logged_passed)
        self.logged_cost_usd += t.logged_cost_usd

    def to_json(self) -> dict[str, Any]:
        known = self.known or 1
        return {
            "tasks": self.tasks,
            "known": self.known,
            "unknown": self.tasks - self.known,
            "pass_rate": round(self.passed / known, 4) if self.known else None,
            "cost_usd": round(self.cost_usd, 6),
            "logged_pass_rate": round(self.logged_passed / known, 4) if self.known else None,
            "logged_cost_usd": round(self.logged_cost_usd, 6),
        }


@dataclass
class Estimate:
    """The counterfactual over every logged task."""

    policy: str
    total: TypeEstimate = field(default_factory=TypeEstimate)
    by_type: dict[str, TypeEstimate] = field(default_factory=dict)
    tasks: list[TaskEstimate] = field(default_factory=list)

    def to_json(self, *, with_tasks: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            **self.total.to_json(),
            "by_type": {t: e.to_json() for t, e in self.by_type.items()},
        }
        if with_tasks:
            out["tasks"] = [vars(t) | {"models": list(t.models)} for t in self.tasks]
        return out


def walk(
    trace: Trace, policy: Policy, chain: tuple[str, ...], trusted: tuple[str, ...]
) -> TaskEstimate:
    """One task under ``policy`` with ``chain``, from its recorded turns."""
    recorded: dict[str, Visit] = {}
    for v in visits(trace, lambda m: False):  # contexts do not matter here
        recorded.setdefault(v.model, v)
    logged_passed = any(a.label.success for a in trace.attempts)
    logged_cost = sum(a.cost_usd for a in trace.attempts)
    tried: list[str] = []
    cost = 0.0
    while True:
        state = State(trace.task_type, chain, tuple(tried), trusted, trace.task_id)
        choice = policy.choose_next(state)
        if choice.model is None:
            return _result(trace, True, False, cost, logged_passed, logged_cost, tried)
        turn = recorded.get(choice.model)
        if turn is None or not turn.decided:
            out = _result(trace, False, False, cost, logged_passed, logged_cost, tried)
            return TaskEstimate(**{**vars(out), "missing": choice.model})
        tried.append(choice.model)
        cost += turn.cost_usd
        if turn.success:
            return _result(trace, True, True, cost, logged_passed, logged_cost, tried)


def _result(
    trace: Trace,
    known: bool,
    passed: bool,
    cost: float,
    logged_passed: bool,
    logged_cost: float,
    tried: list[str],
) -> TaskEstimate:
    return TaskEstimate(
        trace.task_id,
        trace.task_type,
        known,
        passed,
        cost,
        logged_passed,
        logged_cost,
        tuple(tried),
    )


def estimate(
    traces: Iterable[Trace],
    policy: Policy,
    chains: Mapping[str, tuple[str, ...]],
    trusted: Mapping[str, tuple[str, ...]] | None = None,
) -> Estimate:
    """Walk every trace, in order, under ``policy`` with the chain of its type from
    ``chains``; the policy observes each trace after its walk (pass a policy that has seen
    none of ``traces``)."""
    out = Estimate(policy=policy.mode.value)
    for trace in traces:
        chain = chains.get(trace.task_type)
        if chain:
            t = walk(trace, policy, chain, (trusted or {}).get(trace.task_type, ()))
            out.tasks.append(t)
            out.total.add(t)
            out.by_type.setdefault(trace.task_type, TypeEstimate()).add(t)
        policy.observe(trace)
    return out
