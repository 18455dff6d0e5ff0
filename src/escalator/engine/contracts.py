"""What callers of the engine pass in and get back: options, progress, approval, result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from escalator.task import Outcome, TaskType

__all__ = ["ApprovalRequest", "ProgressEvent", "RunOptions", "TaskResult"]


@dataclass(frozen=True)
class ApprovalRequest:
    """Asked before the first call to a paid model."""

    task_id: str
    model: str
    worst_case_usd: float
    spent_usd: float
    reason: str


@dataclass(frozen=True)
class ProgressEvent:
    """Something the user may want to see while a task runs."""

    kind: str  # classified, attempt_start, attempt_done, verdict, escalate, approval, outcome
    task_id: str
    message: str
    model: str | None = None
    attempt: int | None = None
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """How one run behaves beyond the task itself.

    ``approve_paid``: True (``--yes``) approves paid models, False (``--no-paid``)
    refuses them, None asks ``approver`` or, when nobody can answer, follows the
    configured cost-guard policy.
    """

    approve_paid: bool | None = None
    approver: Callable[[ApprovalRequest], bool] | None = None
    on_progress: Callable[[ProgressEvent], None] | None = None
    chain: tuple[str, ...] | None = None
    attempts_per_model: int | None = None
    apply: bool = True
    agreement: int | None = None


@dataclass
class TaskResult:
    """The outcome record (``escalator run --json``)."""

    task_id: str
    outcome: Outcome
    task_type: TaskType
    complexity: int
    attempts: int = 0
    escalations: int = 0
    final_model: str | None = None
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    models_tried: list[str] = field(default_factory=list)
    patch: str | None = None
    reason: str = ""
    stopped_by: str | None = None
    applied: bool = False
    conflicts: list[str] = field(default_factory=list)
    files: dict[str, str | None] = field(default_factory=dict)
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "outcome": self.outcome.value,
            "task_type": self.task_type.value,
            "complexity": self.complexity,
            "attempts": self.attempts,
            "escalations": self.escalations,
            "final_model": self.final_model,
            "cost_usd": round(self.cost_usd, 6),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency_ms": round(self.latency_ms, 1),
            "models_tried": list(self.models_tried),
            "patch": self.patch,
            "reason": self.reason,
            "stopped_by": self.stopped_by,
            "applied": self.applied,
            "conflicts": list(self.conflicts),
            "confidence": round(self.confidence, 4),
        }
