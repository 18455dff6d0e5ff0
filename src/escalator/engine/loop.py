"""The walk up the chain: each model's attempts, escalation, and the end of the chain.

Before each model's turn the policy (``choose``) names the model and the order of the
rest; with the static policy that is the configured chain as written."""

from __future__ import annotations

from escalator.engine import pool
from escalator.engine.accept import accept, finish, park
from escalator.engine.approval import approve_paid
from escalator.engine.attempt import run_attempt
from escalator.engine.choose import choose_at
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind, TaskResult
from escalator.engine.decide import Accept, Escalate, decide
from escalator.engine.files import gather_files
from escalator.engine.fit import TooLarge, fit_worker_request
from escalator.engine.offload import offload
from escalator.errors import BudgetExceeded
from escalator.guard import Approval
from escalator.pricing import worst_case_usd
from escalator.store import EventKind
from escalator.task import Outcome

__all__ = ["walk_chain"]


async def walk_chain(run: TaskRun, start: int) -> TaskResult:
    """Try the chain's models from ``start`` until one is accepted or the chain ends."""
    try:
        index = start
        while index < len(run.plan.chain) and choose_at(run, index).model is not None:
            run.state.next_index = index  # where an interrupted task resumes
            if index > start or run.state.escalations < index:
                _escalate(run, index)
            confirming = run.state.confirming is not None
            final = await _run_model(run, index)
            if final is None and confirming:
                settled = await pool.confirmed(run, run.plan.chain[index])
                final = await accept(run, settled) if settled is not None else None
            if final is None and pool.local_phase_ends(run, index):
                settled = await pool.settle_agreement(run, final=False)
                if settled is not None:
                    settled = pool.confirm_or_accept(run, index, settled)
                final = await accept(run, settled) if settled is not None else None
            if final is not None:
                return final
            index += 1
        return await _after_last(run)
    except BudgetExceeded as exc:
        run.event(
            EventKind.BUDGET_STOP,
            detail={"budget": exc.budget, "limit_usd": exc.limit_usd, "needed_usd": exc.needed_usd},
        )
        return finish(run, Outcome.BUDGET_STOPPED, str(exc), stopped_by=exc.budget)


def _escalate(run: TaskRun, index: int) -> None:
    prev = run.plan.chain[index - 1] if index > 0 else None
    to = run.plan.chain[index]
    run.state.escalations += 1
    run.event(EventKind.ESCALATION, from_model=prev, to_model=to)
    run.emit(ProgressKind.ESCALATE, f"escalating {prev} -> {to}", model=to)


async def _run_model(run: TaskRun, index: int) -> TaskResult | None:
    """The model's attempts; a result ends the task, None moves on to the next model."""
    spec = run.config.registry.get(run.plan.chain[index])
    if spec.is_paid and run.paid.denied:
        return None
    files = await offload(gather_files, run.request.workspace, run.request.files)
    last_output: str | None = None
    for attempt_in_model in range(1, run.plan.attempts_per_model + 1):
        fitted = await fit_worker_request(run, spec, files, attempt_in_model)
        if isinstance(fitted, TooLarge):
            run.event(EventKind.SKIPPED_MODEL, to_model=spec.key, detail={"reason": fitted.reason})
            run.emit(ProgressKind.SKIP, fitted.reason, model=spec.key)
            return None
        worst = worst_case_usd(spec, fitted.prompt_tokens)
        if attempt_in_model == 1:
            if spec.is_paid and not run.paid.covers(spec.key):
                confirming = run.state.confirming is not None
                approval = approve_paid(
                    run, spec, worst, fitted.prompt_tokens, may_park=not confirming
                )
                if approval == Approval.PARK and not confirming:
                    return park(run, index, spec)
                if approval != Approval.APPROVED:
                    return None
            run.state.models_tried.append(spec.key)
        outcome = await run_attempt(run, spec, fitted.chat, attempt_in_model, last_output, worst)
        decision = decide(outcome)
        if isinstance(decision, Accept):
            return await accept(run, decision.candidate)
        if isinstance(decision, Escalate):
            if decision.prior is not None:
                run.state.prior.append(decision.prior)
            return None
        if decision.prior is not None:
            run.state.prior.append(decision.prior)
        last_output = decision.output
    return None


async def _after_last(run: TaskRun) -> TaskResult:
    """No model was accepted on the way: settle agreement, else review or skip."""
    settled = await pool.settle_agreement(run, final=True)
    if settled is not None:
        return await accept(run, settled)
    best = run.state.best
    if run.paid.denied and run.plan.after_last != "manual_review":
        return finish(
            run, Outcome.SKIPPED, "no local model passed and paid models were refused", chosen=best
        )
    if run.plan.after_last == "manual_review":
        return finish(
            run,
            Outcome.NEEDS_REVIEW,
            "no model passed validation; queued for manual review "
            f"('escalator review show {run.task_id}')",
            chosen=best,
        )
    return finish(run, Outcome.SKIPPED, "no model in the chain passed validation", chosen=best)
