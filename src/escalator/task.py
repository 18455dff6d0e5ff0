"""What a task is: its type, and the request a user makes of Escalator."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

__all__ = ["Outcome", "TaskRequest", "TaskType"]


class TaskType(StrEnum):
    """The four task types of the escalation matrix, cheapest first."""

    QUICK_EDIT = "quick_edit"
    STANDARD_DEVELOPMENT = "standard_development"
    COMPLEX_ARCHITECTURE = "complex_architecture"
    CRITICAL = "critical"

    @classmethod
    def parse(cls, value: str) -> TaskType:
        """Parse a user-supplied name; raises ValueError listing what is allowed."""
        norm = value.strip().lower().replace("-", "_")
        for member in cls:
            if norm == member.value:
                return member
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown task type {value!r}; allowed: {allowed}")


class Outcome(StrEnum):
    """How a task ended."""

    PASSED = "passed"
    APPROVED_BY_REVIEWER = "approved_by_reviewer"  # a person applied a change that failed checks
    NEEDS_REVIEW = "needs_review"
    AWAITING_APPROVAL = "awaiting_approval"
    SKIPPED = "skipped"
    BUDGET_STOPPED = "budget_stopped"
    FAILED = "failed"
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # stopped mid-task (signal, crash, killed): resumable
    REJECTED = "rejected"


@dataclass(frozen=True)
class TaskRequest:
    """A development task as the user hands it over."""

    description: str
    workspace: Path
    files: tuple[str, ...] = ()
    test_command: str | None = None
    task_type: TaskType | None = None
    complexity: int | None = None
    budget_usd: float | None = None
    validators: tuple[str, ...] | None = None
    dry_run: bool = False
    extra: dict[str, str] = field(default_factory=dict)
