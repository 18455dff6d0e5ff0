"""Approval of paid models: asked per paid model, before its first call, at its worst case.

Approving a model also covers the plan's paid checker when it is not covered yet (the
question names it and counts its worst case). ``--yes`` (``RunOptions.approve_paid``)
covers every paid model; a refusal stops paid escalation for the task.
"""

from __future__ import annotations

from escalator.engine.context import TaskRun
from escalator.engine.contracts import ApprovalRequest, ProgressKind
from escalator.guard import Approval, decide_approval
from escalator.pricing import worst_case_usd
from escalator.registry import ModelSpec
from escalator.store import EventKind

__all__ = ["approve_paid"]


def covered_by(run: TaskRun, spec: ModelSpec, prompt_tokens: int) -> tuple[list[str], float]:
    """What approving ``spec`` lets the task call (the model, and the plan's paid checker
    when not yet covered), and their total worst case (each model's worst case per call
    times the plan's attempts per model)."""
    models = [spec.key]
    checker = run.plan.checker
    if (
        checker
        and checker != spec.key
        and run.config.registry.get(checker).is_paid
        and not run.paid.covers(checker)
    ):
        models.append(checker)
    total = sum(
        worst_case_usd(run.config.registry.get(k), prompt_tokens) * run.plan.attempts_per_model
        for k in models
    )
    return models, total


def approve_paid(
    run: TaskRun, spec: ModelSpec, worst: float, prompt_tokens: int = 0, *, may_park: bool = True
) -> Approval:
    """Decide (asking the user when someone can answer) and record the decision.

    Returns APPROVED, DENIED or PARK; the caller parks the task on PARK, unless
    ``may_park`` is false (a confirmation the task can do without), when the model is
    just not called."""
    models, total = covered_by(run, spec, prompt_tokens)
    decision = _decide(run, spec, worst, models, total)
    run.event(
        EventKind.APPROVAL_REQUESTED,
        to_model=spec.key,
        detail={
            "decision": decision.value,
            "worst_case_usd": worst,
            "paid_models": models,
            "total_worst_case_usd": round(total, 6),
        },
    )
    if decision == Approval.APPROVED:
        if run.options.approve_paid:
            run.paid.approved = True  # --yes: every paid model
        else:
            run.paid.models.update(models)
        run.event(EventKind.APPROVED, to_model=spec.key)
        run.emit(ProgressKind.APPROVAL, f"paid model {spec.key} approved", model=spec.key)
    elif decision == Approval.PARK and not may_park:
        run.emit(
            ProgressKind.APPROVAL,
            f"{spec.key} is paid and needs an approval nobody can give now: not called",
            model=spec.key,
        )
    elif decision == Approval.PARK:
        run.emit(
            ProgressKind.APPROVAL, f"parked: {spec.key} is paid and needs approval", model=spec.key
        )
    else:
        run.paid.denied = True
        run.event(EventKind.DENIED, to_model=spec.key)
        run.emit(ProgressKind.APPROVAL, f"paid model {spec.key} refused", model=spec.key)
    return decision


def _decide(
    run: TaskRun, spec: ModelSpec, worst: float, models: list[str], total: float
) -> Approval:
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
                reason=_reason(run, spec),
                paid_models=tuple(models),
                total_worst_case_usd=total,
            )
        )
        decision = Approval.APPROVED if ok else Approval.DENIED
    return decision


def _reason(run: TaskRun, spec: ModelSpec) -> str:
    tried = run.state.models_tried
    if run.state.confirming is not None:
        return (
            f"local models agree on an answer; {spec.key} is paid and would confirm it "
            "(refuse to accept the local answer as it is)"
        )
    if not tried:
        return f"{spec.key} is paid and first in this task's chain"
    return f"{', '.join(tried)} could not finish this task; {spec.key} is paid"
