"""Approval of paid models: asked once per run, before the first paid call."""

from __future__ import annotations

from escalator.engine.context import TaskRun
from escalator.engine.contracts import ApprovalRequest, ProgressKind
from escalator.guard import Approval, decide_approval
from escalator.registry import ModelSpec
from escalator.store import EventKind

__all__ = ["approve_paid"]


def approve_paid(run: TaskRun, spec: ModelSpec, worst: float) -> Approval:
    """Decide (asking the user when someone can answer) and record the decision.

    Returns APPROVED, DENIED or PARK; the caller parks the task on PARK."""
    decision = _decide(run, spec, worst)
    run.event(
        EventKind.APPROVAL_REQUESTED,
        to_model=spec.key,
        detail={"decision": decision.value, "worst_case_usd": worst},
    )
    if decision == Approval.APPROVED:
        run.paid.approved = True
        run.event(EventKind.APPROVED, to_model=spec.key)
        run.emit(ProgressKind.APPROVAL, f"paid model {spec.key} approved", model=spec.key)
    elif decision == Approval.PARK:
        run.emit(
            ProgressKind.APPROVAL, f"parked: {spec.key} is paid and needs approval", model=spec.key
        )
    else:
        run.paid.denied = True
        run.event(EventKind.DENIED, to_model=spec.key)
        run.emit(ProgressKind.APPROVAL, f"paid model {spec.key} refused", model=spec.key)
    return decision


def _decide(run: TaskRun, spec: ModelSpec, worst: float) -> Approval:
    options = run.options
    decision = decide_approval(
        run.config.cost_guard,
        approve_paid=options.approve_paid,
        interactive=options.approver is not None,
        worst_case_usd=worst,
    )
    if decision == Approval.ASK and options.approver is not None:
        ok = options.approver(
            ApprovalRequest(
                task_id=run.task_id,
                model=spec.key,
                worst_case_usd=worst,
                spent_usd=run.state.spent.cost_usd,
                reason=f"the local models could not finish this task; {spec.key} is paid",
            )
        )
        decision = Approval.APPROVED if ok else Approval.DENIED
    return decision
