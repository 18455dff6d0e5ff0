"""A task's state between steps: what resume continues from and what review reads.

``TaskState`` is saved in the task log (``tasks.state``) when a task parks for approval
and when it ends. It is versioned: version 1 blobs (before the pool was kept) still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from escalator.engine.spend import Spent
from escalator.plan import Plan
from escalator.task import TaskRequest
from escalator.work.prompts import PriorAttempt

__all__ = ["STATE_VERSION", "Candidate", "TaskState", "saved_best", "saved_change"]

STATE_VERSION = 2
# Earlier attempts kept for resume: the prompt shows the latest ones only.
_PRIOR_KEPT = 3


@dataclass
class Candidate:
    """A model's edit that was applied in a sandbox and validated."""

    model: str
    attempt: int
    files: dict[str, str | None]
    diff: str
    original_hashes: dict[str, str]
    confidence: float
    passed: bool
    validators_passed: int

    @property
    def key(self) -> str:
        """Its name among other candidates: model and attempt number."""
        return f"{self.model}#{self.attempt}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        return cls(
            model=str(data["model"]),
            attempt=int(data.get("attempt", 0)),
            files=dict(data.get("files") or {}),
            diff=str(data.get("diff") or ""),
            original_hashes=dict(data.get("original_hashes") or {}),
            confidence=float(data.get("confidence") or 0.0),
            passed=bool(data.get("passed", False)),
            validators_passed=int(data.get("validators_passed", 0)),
        )


@dataclass
class TaskState:
    """Where a task stands: its request and plan, what it spent, and its candidates."""

    request: TaskRequest
    plan: Plan
    next_index: int = 0
    attempts: int = 0
    escalations: int = 0
    spent: Spent = field(default_factory=Spent)
    models_tried: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
    prior: list[PriorAttempt] = field(default_factory=list)
    best: Candidate | None = None
    pool: list[Candidate] = field(default_factory=list)
    accepted: Candidate | None = None
    # the free models' agreed answer awaiting the next (paid) model's confirmation
    confirming: str | None = None
    confirmed_by: str | None = None  # the paid model that confirmed it (this run only)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "request": _request_to_json(self.request),
            "plan": self.plan.to_json(),
            "next_index": self.next_index,
            "attempts": self.attempts,
            "escalations": self.escalations,
            "cost_usd": self.spent.cost_usd,
            "tokens_in": self.spent.tokens_in,
            "tokens_out": self.spent.tokens_out,
            "models_tried": list(self.models_tried),
            "latency_ms": self.latency_ms,
            "prior": [asdict(p) for p in self.prior[-_PRIOR_KEPT:]],
            "pool": [c.to_json() for c in self.pool],
            "confirming": self.confirming,
        }
        if self.best is not None:
            data["best"] = self.best.to_json()
        if self.accepted is not None:
            data["accepted"] = self.accepted.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskState:
        return cls(
            request=_request_from_json(data["request"]),
            plan=Plan.from_json(data["plan"]),
            next_index=int(data.get("next_index", 0)),
            attempts=int(data.get("attempts", 0)),
            escalations=int(data.get("escalations", 0)),
            spent=Spent(
                cost_usd=float(data.get("cost_usd", 0.0)),
                tokens_in=int(data.get("tokens_in", 0)),
                tokens_out=int(data.get("tokens_out", 0)),
            ),
            models_tried=list(data.get("models_tried", [])),
            latency_ms=float(data.get("latency_ms", 0.0)),
            prior=[PriorAttempt(**p) for p in data.get("prior", [])],
            best=saved_best(data),
            pool=[Candidate.from_json(c) for c in data.get("pool", [])],
            accepted=_candidate_at(data, "accepted"),
            confirming=data.get("confirming"),
        )


def saved_best(data: Mapping[str, Any]) -> Candidate | None:
    """The best candidate recorded in a saved state, if any."""
    return _candidate_at(data, "best")


def saved_change(data: Mapping[str, Any]) -> Candidate | None:
    """The change a saved state holds: the accepted candidate when one was (a dry run, or
    the strongest agreeing model's), else the best attempt's (what review applies)."""
    return _candidate_at(data, "accepted") or _candidate_at(data, "best")


def _candidate_at(data: Mapping[str, Any], key: str) -> Candidate | None:
    found = data.get(key)
    return Candidate.from_json(found) if found else None


def _request_to_json(request: TaskRequest) -> dict[str, Any]:
    return {
        "description": request.description,
        "workspace": str(request.workspace),
        "files": list(request.files),
        "test_command": request.test_command,
        "budget_usd": request.budget_usd,
        "validators": list(request.validators) if request.validators else None,
        "dry_run": request.dry_run,
    }


def _request_from_json(data: Mapping[str, Any]) -> TaskRequest:
    return TaskRequest(
        description=data["description"],
        workspace=Path(data["workspace"]),
        files=tuple(data["files"]),
        test_command=data["test_command"],
        budget_usd=data["budget_usd"],
        validators=tuple(data["validators"]) if data.get("validators") else None,
        dry_run=bool(data.get("dry_run")),
    )
