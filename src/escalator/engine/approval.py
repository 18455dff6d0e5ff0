"""Approval of paid models: asked once per run, before the first paid call."""

from __future__ import annotations

from escalator.engine.context import TaskRun
from escalator.engine.contracts import ApprovalRequest, ProgressKind
from escalator.guard import Approval, decide_approval
from escalator.pricing import worst_case_usd
from escalator.registry import ModelSpec
from escalator.store import EventKind

__all__ = ["approve_paid"]


def paid_after(run: TaskRun, spec: ModelSpec, prompt_tokens: int) -> tuple[list[str], float]:
    """The paid models from ``spec`` on in the chain, and their total worst case: one
    approval covers them all, so the person is told what all of them may cost."""
    chain = list(run.plan.chain)
    start = chain.index(spec.key) if spec.key in chain else 0
    models = [k for k in chain[start:] if run.config.registry.get(k).is_paid]
    total = sum(
        worst_case_usd(run.config.registry.get(k), prompt_tokens) * run.plan.attempts_per_model
        for k in models
    )
    return models, total


def approve_paid(run: TaskRun, spec: ModelSpec, worst: float, prompt_tokens: int = 0) -> Approval:
    """Decide (asking the user when someone can answer) and record the decision.

    Returns APPROVED, DENIED or PARK; the caller parks the task on PARK."""
    models, total = paid_after(run, spec, prompt_tokens)
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
                reason=f"the local models could not finish this task; {spec.key} is paid",
                paid_models=tuple(models),
                total_worst_case_usd=total,
            )
        )
        decision = Approval.APPROVED if ok else Approval.DENIED
    return decision
