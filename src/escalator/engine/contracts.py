"""What callers of the engine pass in and get back: options, progress, approval, result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any

from escalator.config import PolicyMode
from escalator.learn import Policy
from escalator.task import Outcome, TaskType

__all__ = [
    "RESULT_NOT_IN_JSON",
    "RESULT_ROUNDING",
    "ApprovalRequest",
    "ProgressEvent",
    "ProgressKind",
    "RunOptions",
    "TaskResult",
]


class ProgressKind(StrEnum):
    """What a progress event reports (the task log's events are ``store.EventKind``)."""

    CLASSIFIED = "classified"
    ATTEMPT_START = "attempt_start"
    ATTEMPT_DONE = "attempt_done"
    VERDICT = "verdict"
    ESCALATE = "escalate"
    APPROVAL = "approval"
    SKIP = "skip"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class ApprovalRequest:
    """Asked before the first call to each paid model (unless all are approved)."""

    task_id: str
    model: str
    worst_case_usd: float
    spent_usd: float
    reason: str
    # what this approval lets the task call (the model, and the plan's paid checker when
    # not yet approved), and the most they can cost in all (worst case per call x attempts)
    paid_models: tuple[str, ...] = ()
    total_worst_case_usd: float = 0.0


@dataclass(frozen=True)
class ProgressEvent:
    """Something the user may want to see while a task runs."""

    kind: ProgressKind
    task_id: str
    message: str
    model: str | None = None
    attempt: int | None = None
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    step: int = 0  # model calls made so far
    total: int = 0  # the most model calls the plan allows (chain x attempts per model)
    elapsed_s: float = 0.0  # since the task started (including time before a resume)
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunOptions:
    """How one run behaves beyond the task itself.

    ``approve_paid``: True (``--yes``) approves paid models, False (``--no-paid``)
    refuses them, None asks ``approver`` or, when nobody can answer, follows the
    configured cost-guard policy. ``policy`` is a policy object shared across tasks
    (e.g. the bench's, which learns online); else ``policy_mode`` (``--policy``) or the
    configured ``[policy] mode`` decides, learned from the task log.
    """

    approve_paid: bool | None = None
    approver: Callable[[ApprovalRequest], bool] | None = None
    on_progress: Callable[[ProgressEvent], None] | None = None
    chain: tuple[str, ...] | None = None
    attempts_per_model: int | None = None
    apply: bool = True
    agreement: int | None = None
    policy: Policy | None = None
    policy_mode: PolicyMode | None = None


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
        """The record as ``escalator run --json`` prints it: every field but ``files``,
        enums as their values, money, time and confidence rounded."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in RESULT_NOT_IN_JSON:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, list):
                value = list(value)
            elif f.name in RESULT_ROUNDING:
                value = round(value, RESULT_ROUNDING[f.name])
            out[f.name] = value
        return out


# ``TaskResult`` fields left out of its JSON (the changed files are in ``patch``), and the
# decimals kept of the rounded ones.
RESULT_NOT_IN_JSON = frozenset({"files"})
RESULT_ROUNDING = {"cost_usd": 6, "latency_ms": 1, "confidence": 4}
