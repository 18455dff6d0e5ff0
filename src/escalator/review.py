"""The manual-review queue and landing recorded changes.

``approve`` applies a queued task's best change; a change that failed its validators
needs ``force`` and ends as ``approved_by_reviewer`` (never ``passed``), with the
verdicts that failed in the audit log. ``apply_task`` lands a change that was
validated but not written (a dry run) with the same conflict checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalator.apply import apply_changes
from escalator.engine.state import saved_change
from escalator.errors import InputError
from escalator.store import AttemptRecord, EventKind, EventRecord, TaskLog, TaskRecord
from escalator.task import Outcome

__all__ = [
    "ReviewDecision",
    "apply_task",
    "approve",
    "candidate_of",
    "failed_verdicts",
    "reject",
    "review_item",
    "skip",
]

OPEN = (Outcome.NEEDS_REVIEW.value, Outcome.AWAITING_APPROVAL.value, Outcome.INTERRUPTED.value)
APPLICABLE = (Outcome.PASSED.value, Outcome.APPROVED_BY_REVIEWER.value)


@dataclass(frozen=True)
class ReviewDecision:
    task_id: str
    action: str
    outcome: str
    applied: bool = False
    conflicts: tuple[str, ...] = ()
    message: str = ""
    failed_verdicts: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "action": self.action,
            "outcome": self.outcome,
            "applied": self.applied,
            "conflicts": list(self.conflicts),
            "message": self.message,
            "failed_verdicts": list(self.failed_verdicts),
        }


def candidate_of(task: TaskRecord) -> dict[str, Any]:
    """The change a task holds: the accepted one when recorded, else the best attempt's."""
    found = saved_change(task.state)
    return found.to_json() if found is not None else {}


def _attempt_of(attempts: list[AttemptRecord], candidate: dict[str, Any]) -> AttemptRecord | None:
    """The attempt that produced ``candidate`` (same model and diff), latest first."""
    for a in reversed(attempts):
        if a.model == candidate.get("model") and a.diff == candidate.get("diff"):
            return a
    return None


def failed_verdicts(attempt: AttemptRecord | None) -> list[dict[str, Any]]:
    """The verdicts of ``attempt`` that did not pass (failed, error), briefly."""
    if attempt is None:
        return [{"validator": "(unknown)", "status": "not recorded"}]
    out = [
        {"validator": v.validator, "status": v.status, "feedback": (v.feedback or "")[:300]}
        for v in attempt.verdicts
        if v.status in ("failed", "error")
    ]
    if attempt.outcome != "passed" and not out:
        out.append({"validator": "(attempt)", "status": attempt.outcome})
    return out


def review_item(log: TaskLog, task_id: str) -> dict[str, Any]:
    """What a reviewer needs: the best attempt's diff, verdicts, models tried and cost."""
    task = log.get_task(task_id)
    attempts = log.attempts(task.task_id)
    best = candidate_of(task)
    source = _attempt_of(attempts, best) if best else None
    return {
        "task": task.to_json(),
        "best_model": best.get("model"),
        "best_confidence": best.get("confidence"),
        "best_passed": source is not None and source.outcome == "passed",
        "failed_verdicts": failed_verdicts(source) if best else [],
        "patch": best.get("diff") or task.patch,
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


def approve(log: TaskLog, task_id: str, *, force: bool = False) -> ReviewDecision:
    """Apply the best attempt's files to the workspace (atomically, refusing conflicts).

    A change whose validators did not all pass is applied only with ``force`` and is
    recorded as ``approved_by_reviewer`` with the verdicts that failed."""
    task = _open_task(log, task_id)
    if task.outcome == Outcome.AWAITING_APPROVAL.value:
        raise InputError(
            f"task {task.short_id} is waiting to call a paid model; run 'escalator resume "
            f"{task.short_id}' to approve and continue it"
        )
    best = candidate_of(task)
    if not best.get("files"):
        raise InputError(
            f"task {task.short_id} has no candidate change to apply; reject or skip it instead"
        )
    source = _attempt_of(log.attempts(task.task_id), best)
    validated = bool(best.get("passed")) or (source is not None and source.outcome == "passed")
    failed = () if validated else tuple(failed_verdicts(source))
    if failed and not force:
        names = ", ".join(f"{v['validator']} {v['status']}" for v in failed)
        raise InputError(
            f"task {task.short_id}'s best change did not pass its checks ({names}); "
            f"read it with 'escalator review show {task.short_id}', then pass --force to "
            "apply it anyway (recorded as approved_by_reviewer), or reject it"
        )
    outcome = Outcome.PASSED if validated else Outcome.APPROVED_BY_REVIEWER
    return _land(log, task, best, "approve", outcome, failed)


def _land(
    log: TaskLog,
    task: TaskRecord,
    change: dict[str, Any],
    action: str,
    outcome: Outcome,
    failed: tuple[dict[str, Any], ...] = (),
) -> ReviewDecision:
    """Write ``change`` into the task's workspace unless a file changed since the attempt."""
    result = apply_changes(
        Path(task.workspace or "."), change["files"], change.get("original_hashes", {})
    )
    if not result.applied:
        log.add_event(
            EventRecord(
                task_id=task.task_id, kind=EventKind.CONFLICT, detail={"files": result.conflicts}
            )
        )
        return ReviewDecision(
            task.task_id,
            action,
            task.outcome,
            conflicts=tuple(result.conflicts),
            message="the workspace changed since the attempt; nothing was written",
        )
    log.update_task(
        task.task_id,
        outcome=outcome.value,
        final_model=change.get("model"),
        patch=change.get("diff"),
    )
    kind = EventKind.REVIEW_APPROVED if action == "approve" else EventKind.APPLIED
    detail: dict[str, Any] = {"files": result.written, "via": f"escalator {action}"}
    if failed:
        detail |= {"forced": True, "failed_verdicts": list(failed)}
    log.add_event(EventRecord(task_id=task.task_id, kind=kind, detail=detail))
    return ReviewDecision(
        task.task_id,
        action,
        outcome.value,
        applied=True,
        message=f"applied {len(result.written)} file(s)"
        + (" that failed their checks (approved by reviewer)" if failed else ""),
        failed_verdicts=failed,
    )


def apply_task(log: TaskLog, task_id: str) -> ReviewDecision:
    """Apply a validated change that was not written (a dry run), with the conflict checks."""
    task = log.get_task(task_id)
    if task.outcome in OPEN:
        raise InputError(
            f"task {task.short_id} is {task.outcome}; use 'escalator review approve "
            f"{task.short_id}' (or 'escalator resume') for it"
        )
    if task.outcome not in APPLICABLE:
        raise InputError(
            f"task {task.short_id} is {task.outcome}: it has no validated change to apply"
        )
    if any(
        e.kind in (EventKind.APPLIED, EventKind.REVIEW_APPROVED) for e in log.events(task.task_id)
    ):
        raise InputError(f"task {task.short_id}'s change is already applied; nothing to do")
    change = candidate_of(task)
    if not change.get("files") or (task.patch and change.get("diff") != task.patch):
        raise InputError(
            f"task {task.short_id} did not record the files of its accepted change; "
            "run the task again to get a change that can be applied"
        )
    return _land(log, task, change, "apply", Outcome(task.outcome))


def reject(log: TaskLog, task_id: str, reason: str = "") -> ReviewDecision:
    task = _open_task(log, task_id)
    log.update_task(task.task_id, outcome=Outcome.REJECTED.value)
    log.add_event(
        EventRecord(task_id=task.task_id, kind=EventKind.REVIEW_REJECTED, detail={"reason": reason})
    )
    return ReviewDecision(
        task.task_id, "reject", Outcome.REJECTED.value, message="rejected; nothing applied"
    )


def skip(log: TaskLog, task_id: str, reason: str = "") -> ReviewDecision:
    task = _open_task(log, task_id)
    log.update_task(task.task_id, outcome=Outcome.SKIPPED.value)
    log.add_event(
        EventRecord(task_id=task.task_id, kind=EventKind.REVIEW_SKIPPED, detail={"reason": reason})
    )
    return ReviewDecision(
        task.task_id, "skip", Outcome.SKIPPED.value, message="skipped; nothing applied"
    )
