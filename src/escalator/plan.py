"""Plan: from task type and complexity to the chain, worker, checker and validators.

All of it comes from the configured matrix; nothing here calls a model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from escalator.config import ChainConfig, Config
from escalator.errors import InputError
from escalator.registry import ModelSpec, Registry
from escalator.task import TaskType

__all__ = ["Plan", "assign_worker_checker", "draw_arm", "make_plan", "prompt_fits"]


@dataclass(frozen=True)
class Plan:
    """What the engine will try for one task, in order."""

    task_type: TaskType
    complexity: int
    chain: tuple[str, ...]
    checker: str | None
    attempts_per_model: int
    validators: tuple[str, ...]
    after_last: str
    min_agreement: int = 2
    trusted: tuple[str, ...] = ()
    confirm_agreement: bool = True
    # The A/B arm this task drew (``qwen3-30b=local-14b``), None outside an experiment.
    arm: str | None = None

    @property
    def worker(self) -> str:
        return self.chain[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type.value,
            "complexity": self.complexity,
            "chain": list(self.chain),
            "worker": self.worker,
            "checker": self.checker,
            "attempts_per_model": self.attempts_per_model,
            "validators": list(self.validators),
            "after_last": self.after_last,
            "min_agreement": self.min_agreement,
            "trusted": list(self.trusted),
            "confirm_agreement": self.confirm_agreement,
            "arm": self.arm,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """The inverse of ``to_json`` (plans saved before ``min_agreement`` get the default)."""
        return cls(
            task_type=TaskType.parse(data["task_type"]),
            complexity=int(data["complexity"]),
            chain=tuple(data["chain"]),
            checker=data["checker"],
            attempts_per_model=int(data["attempts_per_model"]),
            validators=tuple(data["validators"]),
            after_last=data["after_last"],
            min_agreement=int(data.get("min_agreement", 2)),
            trusted=tuple(data.get("trusted", ())),
            confirm_agreement=bool(data.get("confirm_agreement", True)),
            arm=data.get("arm"),
        )


def assign_worker_checker(
    chain: tuple[str, ...], checkers: tuple[str, ...], complexity: int, registry: Registry
) -> tuple[str, str | None]:
    """The seed's rule: complexity < 5 no checker; < 8 a checker of the worker's tier;
    otherwise one of the next tier up. Candidates come from the matrix row's checkers."""
    worker = chain[0]
    if complexity < 5 or not checkers:
        return worker, None
    worker_rank = registry.get(worker).tier.rank
    specs = [registry.get(key) for key in checkers]
    if complexity < 8:
        return worker, _pick(
            specs, lambda s: s.tier.rank == worker_rank, lambda s: s.tier.rank >= worker_rank
        )
    return worker, _pick(
        specs, lambda s: s.tier.rank > worker_rank, lambda s: s.tier.rank >= worker_rank
    )


def _pick(specs: list[ModelSpec], *preferences: Any) -> str:
    for wanted in preferences:
        for spec in specs:
            if wanted(spec):
                return spec.key
    return specs[-1].key


def make_plan(
    config: Config,
    task_type: TaskType,
    complexity: int,
    *,
    chain: tuple[str, ...] | None = None,
    attempts_per_model: int | None = None,
    validators: tuple[str, ...] | None = None,
    arm_seed: str | None = None,
) -> Plan:
    """The plan for one task from the configured matrix, with the caller's overrides.

    With ``arm_seed`` (the task id) and an ``ab`` table in the matrix row, each A/B
    member of the chain is replaced by a weighted draw; a ``chain`` override skips A/B.
    """
    row: ChainConfig = config.chain_for(task_type)
    models, arm = (chain, None) if chain else draw_arm(row, arm_seed)
    for key in models:
        config.registry.get(key)  # raises InputError naming the configured models
    if not models:
        raise InputError("the chain is empty; name at least one model with --chain")
    if not 0 <= complexity <= 10:
        raise InputError(f"complexity {complexity} is out of range; use 0-10")
    _, checker = assign_worker_checker(models, row.checkers, complexity, config.registry)
    if config.validation.checker_model:
        checker = (
            config.validation.checker_model
            if checker or "semantic" in (validators or row.validators)
            else None
        )
    return Plan(
        task_type=task_type,
        complexity=complexity,
        chain=models,
        checker=checker,
        attempts_per_model=attempts_per_model or row.attempts_per_model,
        validators=validators or row.validators,
        after_last=row.after_last,
        min_agreement=row.min_agreement,
        trusted=row.trusted,
        confirm_agreement=row.confirm_agreement,
        arm=arm,
    )


def draw_arm(row: ChainConfig, seed: str | None) -> tuple[tuple[str, ...], str | None]:
    """The row's chain with each A/B member drawn by weight, and the arm's label.

    The draw is seeded by ``seed`` (the task id), so a resumed task keeps its arm. A
    model drawn for one place that also sits later in the chain is tried once.
    """
    if not row.ab or seed is None:
        return row.chain, None
    rng = random.Random(seed)
    drawn: list[str] = []
    picks: list[str] = []
    for member in row.chain:
        arms = row.ab.get(member)
        if arms is None:
            drawn.append(member)
            continue
        pick = rng.choices(list(arms), weights=list(arms.values()))[0]
        drawn.append(pick)
        picks.append(f"{member}={pick}")
    return tuple(dict.fromkeys(drawn)), ",".join(picks)


def prompt_fits(prompt_tokens: int, max_output_tokens: int, context_length: int) -> bool:
    """Whether a prompt plus the output allowance fits the model's context window."""
    return prompt_tokens + max_output_tokens <= context_length
