"""The manual-review queue: approve (apply the best attempt), reject or skip a task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalator.apply import apply_changes
from escalator.engine.state import saved_best
from escalator.errors import InputError
from escalator.store import EventRecord, TaskLog, TaskRecord
from escalator.task import Outcome

__all__ = ["ReviewDecision", "approve", "reject", "review_item", "skip"]

OPEN = (Outcome.NEEDS_REVIEW.value, Outcome.AWAITING_APPROVAL.value, Outcome.INTERRUPTED.value)


@dataclass(frozen=True)
class ReviewDecision:
    task_id: str
    action: str
    outcome: str
    applied: bool = False
    conflicts: tuple[str, ...] = ()
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "action": self.action,
            "outcome": self.outcome,
            "applied": self.applied,
            "conflicts": list(self.conflicts),
            "message": self.message,
        }


def review_item(log: TaskLog, task_id: str) -> dict[str, Any]:
    """What a reviewer needs: the best attempt's diff, verdicts, models tried and cost."""
    task = log.get_task(task_id)
    attempts = log.attempts(task.task_id)
    best = saved_best(task.state)
    return {
        "task": task.to_json(),
        "best_model": best.model if best else None,
        "best_confidence": best.confidence if best else None,
        "patch": (best.diff if best else None) or task.patch,
        "models_tried": list(dict.fromkeys(a.model for a in attempts)),
        "attempts": [a.to_json() for a in attempts],
        "events": [e.to_json() for e in log.events(task.task_id)],
        "cost_usd": task.cost_usd,
    }


def _open_task(log: TaskLog, task_id: str) -> TaskRecord:
    task = log.get_task(task_id)
    if task.outcome not in OPEN:
        raise InputError(
            f"task {task.short_id} is {task.outcome}; only needs_review, awaiting_approval "
            "or interrupted tasks can be reviewed ('escalator review list' shows them)"
        )
    return task


def approve(log: TaskLog, task_id: str) -> ReviewDecision:
    """Apply the best attempt's files to the workspace (atomically, refusing conflicts)."""
    task = _open_task(log, task_id)
    if task.outcome == Outcome.AWAITING_APPROVAL.value:
        raise InputError(
            f"task {task.short_id} is waiting to call a paid model; run 'escalator resume "
            f"{task.short_id}' to approve and continue it"
        )
    best = saved_best(task.state)
    if best is None or not best.files:
        raise InputError(
            f"task {task.short_id} has no candidate change to apply; reject or skip it instead"
        )
    result = apply_changes(Path(task.workspace or "."), best.files, best.original_hashes)
    if not result.applied:
        log.add_event(
            EventRecord(task_id=task.task_id, kind="conflict", detail={"files": result.conflicts})
        )
        return ReviewDecision(
            task.task_id,
            "approve",
            task.outcome,
            conflicts=tuple(result.conflicts),
            message="the workspace changed since the attempt; nothing was written",
        )
    log.update_task(
        task.task_id,
        outcome=Outcome.PASSED.value,
        final_model=best.model,
        patch=best.diff or None,
    )
    log.add_event(
        EventRecord(task_id=task.task_id, kind="review_approved", detail={"files": result.written})
    )
    return ReviewDecision(
        task.task_id,
        "approve",
        Outcome.PASSED.value,
        applied=True,
        message=f"applied {len(result.written)} file(s)",
    )


def reject(log: TaskLog, task_id: str, reason: str = "") -> ReviewDecision:
    task = _open_task(log, task_id)
    log.update_task(task.task_id, outcome=Outcome.REJECTED.value)
    log.add_event(
        EventRecord(task_id=task.task_id, kind="review_rejected", detail={"reason": reason})
    )
    return ReviewDecision(
        task.task_id, "reject", Outcome.REJECTED.value, message="rejected; nothing applied"
    )


def skip(log: TaskLog, task_id: str, reason: str = "") -> ReviewDecision:
    task = _open_task(log, task_id)
    log.update_task(task.task_id, outcome=Outcome.SKIPPED.value)
    log.add_event(
        EventRecord(task_id=task.task_id, kind="review_skipped", detail={"reason": reason})
    )
    return ReviewDecision(
        task.task_id, "skip", Outcome.SKIPPED.value, message="skipped; nothing applied"
    )
