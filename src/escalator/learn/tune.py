"""``escalator tune``: a proposed matrix from the task log, per task type, with evidence.

Per type: the chain order (free models first, by cost per chance of success; paid
models by the same measure after the local models failed, the state in which they
usually get a task), the models to skip (never or too rarely worth their cost, or
beaten on both rate and price by a model placed before them), the trusted models
(learned corroborated precision), and the best worker/checker pairs: which second
model's answer most often corroborates a worker's, and at what cost. Types with fewer
than ``min_tasks`` logged tasks keep their configured row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from escalator.config import Config, PolicyConfig
from escalator.learn.build import model_infos
from escalator.learn.choice import State
from escalator.learn.evidence import Context, Trace, visits
from escalator.learn.policy import LearnedPolicy
from escalator.task import TaskType

__all__ = ["ModelRow", "Pair", "Proposal", "TypeProposal", "propose"]

MIN_PAIR_TASKS = 3
MAX_PAIRS = 5


@dataclass(frozen=True)
class ModelRow:
    """The evidence behind one model's place: turns, verified rate, cost, trust."""

    model: str
    n: int
    rate: float
    rate_after_local: float | None
    cost_usd: float
    precision: float | None
    trusted: bool


@dataclass(frozen=True)
class Pair:
    """A worker and a checker whose answer corroborates the worker's ``rate`` of the time."""

    worker: str
    checker: str
    n: int
    rate: float
    cost_usd: float  # the checker's mean turn cost


@dataclass(frozen=True)
class TypeProposal:
    """One task type's proposed row, and what the log says about it."""

    task_type: str
    tasks: int
    enough_evidence: bool
    chain: tuple[str, ...]
    configured_chain: tuple[str, ...]
    skip: dict[str, str]
    trusted: tuple[str, ...]
    pairs: list[Pair]
    models: list[ModelRow]

    @property
    def changed(self) -> bool:
        return self.enough_evidence and self.chain != self.configured_chain

    def to_json(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "tasks": self.tasks,
            "enough_evidence": self.enough_evidence,
            "changed": self.changed,
            "chain": list(self.chain),
            "configured_chain": list(self.configured_chain),
            "skip": dict(self.skip),
            "trusted": list(self.trusted),
            "pairs": [vars(p) | {"rate": round(p.rate, 4)} for p in self.pairs],
            "models": [_row_json(r) for r in self.models],
        }


@dataclass(frozen=True)
class Proposal:
    """The whole proposal: one row per task type."""

    types: dict[str, TypeProposal] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"types": {t: p.to_json() for t, p in self.types.items()}}


def _row_json(r: ModelRow) -> dict[str, Any]:
    out = dict(vars(r))
    for key in ("rate", "rate_after_local", "precision"):
        if out[key] is not None:
            out[key] = round(out[key], 4)
    out["cost_usd"] = round(r.cost_usd, 6)
    return out


def propose(config: Config, traces: Iterable[Trace], settings: PolicyConfig) -> Proposal:
    """The proposal for every task type of the matrix, from ``traces``."""
    listed = list(traces)
    policy = LearnedPolicy(model_infos(config, listed), settings, listed)
    return Proposal({t.value: _type_proposal(config, policy, listed, t.value) for t in TaskType})


def _type_proposal(
    config: Config, policy: LearnedPolicy, traces: list[Trace], task_type: str
) -> TypeProposal:
    row = config.chain_for(TaskType.parse(task_type))
    seen = policy.evidence.models(task_type)
    candidates = tuple(dict.fromkeys([*row.chain, *seen]))
    enough = not policy.cold(task_type)
    rows = [_model_row(policy, task_type, m, row.trusted) for m in candidates]
    skip: dict[str, str] = {}
    if not enough:
        chain, trusted = row.chain, row.trusted
    else:
        chain, skip = _order(policy, task_type, candidates)
        trusted = tuple(r.model for r in rows if r.trusted and r.model in chain)
    return TypeProposal(
        task_type=task_type,
        tasks=policy.evidence.tasks[task_type],
        enough_evidence=enough,
        chain=chain,
        configured_chain=row.chain,
        skip=skip,
        trusted=trusted,
        pairs=best_pairs([t for t in traces if t.task_type == task_type], policy),
        models=[r for r in rows if r.n],
    )


def _model_row(
    policy: LearnedPolicy,
    task_type: str,
    model: str,
    configured: Sequence[str],
) -> ModelRow:
    e = policy.evidence.of(task_type, model)
    succ, turns = e.in_context(Context.AFTER_LOCAL)
    trust = policy.trust(task_type, model, configured)
    return ModelRow(
        model=model,
        n=e.turns,
        rate=e.rate,
        rate_after_local=succ / turns if turns else None,
        cost_usd=policy.turn_cost(task_type, model),
        precision=trust.precision,
        trusted=trust.trusted,
    )


def _order(
    policy: LearnedPolicy, task_type: str, candidates: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Free models as the policy would order them fresh; then the paid ones as it would
    after the free ones failed."""
    local = tuple(m for m in candidates if policy.models.get(m) and policy.models[m].is_local)
    first = policy.plan(State(task_type, candidates))
    head = tuple(m for m in first[0] if m in local)
    rest = policy.plan(State(task_type, candidates, tried=local))
    skip = {m: r for m, r in {**first[1], **rest[1]}.items() if m not in head + rest[0]}
    return head + rest[0], skip


def best_pairs(traces: Sequence[Trace], policy: LearnedPolicy) -> list[Pair]:
    """Worker/checker pairs: of the tasks where both had a turn after the worker's answer,
    how often the checker's answer was accepted together with the worker's."""
    both: Counter[tuple[str, str]] = Counter()
    agree: Counter[tuple[str, str]] = Counter()
    for trace in traces:
        turns = [v for v in visits(trace, policy.is_local) if v.decided]
        for i, worker in enumerate(turns):
            for checker in turns[i + 1 :]:
                if checker.model == worker.model:
                    continue
                key = (worker.model, checker.model)
                both[key] += 1
                agree[key] += int(worker.success and checker.success)
    pairs = [
        Pair(w, c, n, agree[(w, c)] / n, policy.turn_cost(traces[0].task_type, c))
        for (w, c), n in both.items()
        if n >= MIN_PAIR_TASKS and agree[(w, c)]
    ]
    pairs.sort(key=lambda p: (-p.rate, p.cost_usd, p.worker, p.checker))
    return pairs[:MAX_PAIRS]
