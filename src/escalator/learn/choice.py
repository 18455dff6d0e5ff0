"""The policy's vocabulary: models as it sees them, its settings, the state of one task's
escalation, and its answers (the next model, whether to trust a lone answer)."""

from __future__ import annotations

from dataclasses import dataclass

from escalator.config import PolicyMode

__all__ = ["Choice", "ModelInfo", "State", "Trust"]


@dataclass(frozen=True)
class ModelInfo:
    """What the policy needs to know about a model before any evidence."""

    key: str
    is_local: bool
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0
    quality: float | None = None  # a prior success rate in 0..1, when configured

    def cost_usd(self, tokens_in: float, tokens_out: float) -> float:
        return (tokens_in * self.price_in_per_mtok + tokens_out * self.price_out_per_mtok) / 1e6


@dataclass(frozen=True)
class State:
    """One task's escalation so far: what the plan allows and which models had a turn."""

    task_type: str
    chain: tuple[str, ...]  # the models the plan allows, in the matrix's order
    tried: tuple[str, ...] = ()  # models that had their turn without a verified result
    trusted: tuple[str, ...] = ()  # the configured trusted list (used at cold start)
    key: str = ""  # what identifies the task across runs (seeds its exploration draws)

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(m for m in self.chain if m not in self.tried)


@dataclass(frozen=True)
class Choice:
    """The next model (None: stop), why, and the order the policy plans for the rest."""

    model: str | None
    reason: str
    policy: PolicyMode
    order: tuple[str, ...] = ()
    explored: bool = False
    expected_cost_usd: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "reason": self.reason,
            "policy": self.policy.value,
            "order": list(self.order),
            "explored": self.explored,
            "expected_cost_usd": self.expected_cost_usd,
        }


@dataclass(frozen=True)
class Trust:
    """Whether a lone, uncontradicted answer of a model is accepted at a task type."""

    trusted: bool
    precision: float | None
    answers: int
    reason: str
