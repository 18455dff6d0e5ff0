"""What an agent needs after a task: why it did not pass, and how a person approves it.

Read from the task log, so it is the same whether the task just ran or was resumed.
"""

from __future__ import annotations

from typing import Any

from escalator.store import TaskLog
from escalator.task import Outcome

__all__ = ["FEEDBACK_CHARS", "follow_up"]

FEEDBACK_CHARS = 2000


def _feedback(log: TaskLog, task_id: str) -> dict[str, Any]:
    """The last validated attempt's feedback and the verdicts that did not pass."""
    for attempt in reversed(log.attempts(task_id)):
        if attempt.feedback or attempt.verdicts:
            failed = [
                {"validator": v.validator, "status": v.status}
                for v in attempt.verdicts
                if v.status in ("failed", "error")
            ]
            return {
                "feedback": (attempt.feedback or "")[:FEEDBACK_CHARS],
                "failed_verdicts": failed,
                "feedback_from": f"{attempt.model} attempt {attempt.n}",
            }
    return {}


def _approval(log: TaskLog, task_id: str) -> dict[str, Any]:
    """How a person lets a parked task call its paid model, and what that may cost."""
    asked = [e for e in log.events(task_id) if e.kind == "approval_requested"]
    last = asked[-1] if asked else None
    worst = float(last.detail.get("worst_case_usd", 0.0)) if last else None
    total = last.detail.get("total_worst_case_usd") if last else None
    return {
        "approval": {
            "model": last.to_model if last else None,
            "worst_case_usd": None if worst is None else round(worst, 6),
            "total_worst_case_usd": total,
            "how": (
                "a person decides: they run 'escalator resume "
                f"{task_id[:12]}' in a terminal, or tell you to call orchestrator_task with "
                f"action 'approve' and task_id '{task_id[:12]}'"
            ),
        }
    }


def follow_up(log: TaskLog, task_id: str, outcome: str) -> dict[str, Any]:
    """Extra outcome fields: ``approval`` for a parked task, feedback for one that did not
    pass (passed tasks get nothing extra)."""
    if outcome == Outcome.AWAITING_APPROVAL.value:
        return _approval(log, task_id) | _feedback(log, task_id)
    if outcome == Outcome.PASSED.value:
        return {}
    return _feedback(log, task_id)
