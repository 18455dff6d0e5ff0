"""Typed rows of the task log: tasks, attempts, validator verdicts and audit events.

Records hold exactly what they are given; the store (``TaskLog``) passes the text fields
that may carry a sandboxed run's output through the redactor when it writes them.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "ATTEMPT_OUTCOMES",
    "AttemptRecord",
    "CallRecord",
    "EventKind",
    "EventRecord",
    "LabelRecord",
    "TaskRecord",
    "VerdictRecord",
    "new_task_id",
    "utc_iso",
    "utc_now",
]

ATTEMPT_OUTCOMES = ("passed", "failed", "error", "skipped")


class EventKind(StrEnum):
    """Audit-log event kinds the engine and CLI write (others are accepted too)."""

    ESCALATION = "escalation"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    DENIED = "denied"
    BUDGET_STOP = "budget_stop"
    REVIEW_APPROVED = "review_approved"
    REVIEW_REJECTED = "review_rejected"
    REVIEW_SKIPPED = "review_skipped"
    APPLIED = "applied"
    CONFLICT = "conflict"
    SKIPPED_MODEL = "skipped_model"
    INTERRUPTED = "interrupted"
    IDENTICAL_RETRY = "identical_retry"
    AGREEMENT_CHOICE = "agreement_choice"
    APPLY_FAILED = "apply_failed"
    RESUMED = "resumed"
    CRASHED = "crashed"
    POLICY_CHOICE = "policy_choice"


def utc_now() -> str:
    """The current time as ISO-8601 UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def utc_iso(value: str | datetime) -> str:
    """Normalise a timestamp to ISO-8601 UTC, so stored times sort and compare as text.

    Naive values are taken to be UTC already.
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def new_task_id() -> str:
    """A fresh task id: uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class TaskRecord:
    """One task: what was asked, how it was classified and how it ended.

    ``attempts``, ``tokens_*``, ``cost_usd`` and ``latency_ms`` are totals that
    ``TaskLog.add_attempt`` keeps up to date; ``escalations`` counts ``escalation``
    events. ``cloud_only_cost_usd`` is what the strongest model of the chain would
    have cost for the same tokens (the savings baseline). ``state`` is the engine's
    resume blob; ``patch`` the accepted or best diff. ``hidden_pass`` and ``baseline_*``
    are a bench's scores of the task (``bench.record``), None for tasks no bench scored.
    """

    task_type: str
    description: str
    task_id: str = ""
    timestamp: str = ""
    complexity_score: int | None = None
    classification_confidence: float | None = None
    worker: str | None = None
    checker: str | None = None
    outcome: str = "running"
    attempts: int = 0
    escalations: int = 0
    validation_method: str = ""
    latency_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    cloud_only_cost_usd: float = 0.0
    workspace: str | None = None
    files: tuple[str, ...] = ()
    test_command: str | None = None
    budget_usd: float | None = None
    final_model: str | None = None
    patch: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""
    host: str | None = None
    pid: int | None = None
    arm: str | None = None  # the A/B arm of the matrix this task drew, if any
    # Set by a bench after the engine decided (never read by learning); None elsewhere.
    hidden_pass: bool | None = None
    baseline_model: str | None = None
    baseline_cost_usd: float | None = None
    baseline_hidden_pass: bool | None = None

    @property
    def short_id(self) -> str:
        return self.task_id[:8]

    @property
    def savings_usd(self) -> float:
        return self.cloud_only_cost_usd - self.cost_usd

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = list(self.files)
        return data


@dataclass(frozen=True)
class VerdictRecord:
    """One validator's verdict on one attempt."""

    validator: str
    status: str
    confidence: float | None = None
    duration_ms: float = 0.0
    findings: list[Any] = field(default_factory=list)
    feedback: str | None = None
    attempt_id: int | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AttemptRecord:
    """One call of a worker model and what the validators made of its edit.

    ``n`` is the 1-based order within the task (0: the log assigns the next one);
    ``attempt_in_model`` the 1-based try of the same model. ``outcome`` is one of
    ``passed``, ``failed``, ``error``, ``skipped``. ``policy`` and ``policy_reason``
    say which policy chose the model and why; ``brief_tokens`` is the size of the
    escalation brief in its prompt; ``label`` is what the task's end says about its
    answer (``escalator.learn.Label``), set by ``TaskLog.set_labels``.
    """

    task_id: str
    model: str
    outcome: str
    n: int = 0
    provider: str = ""
    attempt_in_model: int = 1
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    error_kind: str | None = None
    error_message: str | None = None
    confidence: float | None = None
    feedback: str | None = None
    diff: str | None = None
    created_at: str = ""
    id: int | None = None
    verdicts: tuple[VerdictRecord, ...] = ()
    policy: str | None = None
    policy_reason: str | None = None
    brief_tokens: int | None = None
    label: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdicts"] = [v.to_json() for v in self.verdicts]
        return data


@dataclass(frozen=True)
class CallRecord:
    """One model call of a task, as the ledger of spend holds it.

    ``role``: ``worker`` (every answer asked of a worker, retries and repeated answers
    included), ``checker`` (the semantic validator's reviewer) or ``classifier``.
    ``attempt_n`` is the attempt the call served (None: no attempt row, e.g. an answer
    identical to the last one). ``state``: ``reserved`` (sent, not answered yet; counted
    at ``reserved_usd``, its worst case), ``done`` or ``failed`` (no answer: nothing billed).
    """

    task_id: str
    role: str
    model: str
    provider: str = ""
    attempt_n: int | None = None
    state: str = "reserved"
    reserved_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    finish_reason: str | None = None
    created_at: str = ""
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventRecord:
    """One audit-log entry: an escalation, an approval decision, a review, an apply."""

    task_id: str
    kind: str
    from_model: str | None = None
    to_model: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    at: str = ""
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LabelRecord:
    """A task type a person gave a task: ``origin`` is ``run --type`` (an override of the
    classifier's ``predicted`` type) or ``correct`` (``escalator classify --correct``)."""

    text: str
    task_type: str
    origin: str
    predicted: str | None = None
    task_id: str | None = None
    project: str | None = None
    created_at: str = ""
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
