"""The typed result every validator returns: a ``Verdict`` with its ``Finding`` list.

``status`` keeps "could not check" apart from "passed": ``ERROR`` means the validator
could not run (a missing toolchain, a checker that never answered), with the reason;
``SKIPPED`` means it does not apply here (no benchmark configured) and was optional.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from escalator.redact import redact, redact_data

__all__ = ["Finding", "Status", "Verdict", "redact_verdict"]


class Status(StrEnum):
    """How a validator ended."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem a validator found, located where that applies (1-based line/column)."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    severity: str = "error"

    def location(self) -> str:
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Verdict:
    """One validator's result. ``feedback`` is written for the model that must fix it."""

    validator: str
    status: Status
    confidence: float
    duration_ms: float = 0.0
    findings: tuple[Finding, ...] = ()
    feedback: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def with_duration(self, duration_ms: float) -> Verdict:
        return replace(self, duration_ms=duration_ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "validator": self.validator,
            "status": self.status.value,
            "confidence": round(self.confidence, 4),
            "duration_ms": round(self.duration_ms, 3),
            "findings": [f.to_json() for f in self.findings],
            "feedback": self.feedback,
            "reason": self.reason,
            "details": self.details,
        }

    @classmethod
    def error(cls, validator: str, reason: str, **details: Any) -> Verdict:
        """Could not check: never a pass."""
        return cls(validator, Status.ERROR, 0.0, feedback="", reason=reason, details=dict(details))

    @classmethod
    def skipped(cls, validator: str, reason: str) -> Verdict:
        """Does not apply to this workspace or task."""
        return cls(validator, Status.SKIPPED, 0.0, reason=reason)


def redact_verdict(verdict: Verdict) -> Verdict:
    """The verdict with secrets cut from every text a prompt, log or output may show."""
    return replace(
        verdict,
        findings=tuple(replace(f, message=redact(f.message)) for f in verdict.findings),
        feedback=redact(verdict.feedback),
        reason=redact(verdict.reason),
        details=redact_data(verdict.details),
    )
