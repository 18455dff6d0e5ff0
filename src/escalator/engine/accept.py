"""The end of a task: apply the accepted change, record the outcome, build the result."""

from __future__ import annotations

from typing import Any

from escalator.apply import apply_changes
from escalator.engine.choose import record_labels
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind, TaskResult
from escalator.engine.offload import offload
from escalator.engine.state import Candidate
from escalator.errors import InputError
from escalator.pricing import cloud_only_cost
from escalator.registry import ModelSpec
from escalator.store import EventKind
from escalator.task import Outcome
from escalator.validate.strategy import coverage_confidence

__all__ = ["accept", "finish", "park"]


async def accept(run: TaskRun, candidate: Candidate) -> TaskResult:
    """Apply a validated candidate to the workspace (unless dry run) and finish the task."""
    run.state.accepted = candidate
    validators = honest_validation(run, candidate)
    if run.config.chain_for(run.plan.task_type).review_passed:
        run.state.best = candidate
        return finish(
            run,
            Outcome.NEEDS_REVIEW,
            f"validated by {validators}; {run.plan.task_type.value} work is reviewed by a "
            f"person before it is applied: 'escalator review show {run.task_id[:12]}', then "
            "'escalator review approve' (set review_passed = false in its matrix row to apply "
            "validated changes directly)",
            chosen=candidate,
        )
    if run.request.dry_run or not run.options.apply:
        return finish(
            run,
            Outcome.PASSED,
            f"validated by {validators}; not applied (dry run)",
            chosen=candidate,
        )
    try:
        applied = await offload(
            apply_changes, run.request.workspace, candidate.files, candidate.original_hashes
        )
    except (InputError, OSError) as exc:
        return _unapplied(run, candidate, exc)
    if not applied.applied:
        run.event(EventKind.CONFLICT, detail={"files": applied.conflicts})
        return finish(
            run,
            Outcome.NEEDS_REVIEW,
            "the workspace changed while the task ran; nothing was overwritten "
            f"(conflicting files: {', '.join(applied.conflicts)}); "
            f"review with 'escalator review show {run.task_id}'",
            chosen=candidate,
            conflicts=applied.conflicts,
        )
    run.event(EventKind.APPLIED, detail={"files": applied.written})
    return finish(
        run,
        Outcome.PASSED,
        f"validated by {validators} and applied",
        chosen=candidate,
        applied=True,
    )


def honest_validation(run: TaskRun, candidate: Candidate) -> str:
    """Which validators passed the change and which did not run (and why), as the
    outcome's reason says it; the candidate's confidence is scaled by the share of the
    planned validators that ran (``coverage_confidence``)."""
    verdicts = next(
        (a.verdicts for a in run.log.attempts(run.task_id) if a.n == candidate.attempt), ()
    )
    passed = [v.validator for v in verdicts if v.status == "passed"]
    planned = list(run.plan.validators)
    not_run = [name for name in planned if name not in passed]
    notes = []
    checker = run.plan.checker
    if checker and run.config.registry.get(checker).is_paid and not run.paid.covers(checker):
        notes.append(f"checker {checker} not used: paid models were not approved")
    if not_run:
        notes.append(f"not run: {', '.join(not_run)}")
        candidate.confidence = coverage_confidence(candidate.confidence, planned, passed)
    text = ", ".join(passed) or "no validator"
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _unapplied(run: TaskRun, candidate: Candidate, exc: Exception) -> TaskResult:
    """A validated change that cannot be written (a path through a symlink, a workspace
    gone or read-only): parked for review with its patch, never lost."""
    reason = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
    run.state.best = candidate  # what 'escalator review approve' applies once it can
    run.event(EventKind.APPLY_FAILED, detail={"error": reason, "files": sorted(candidate.files)})
    return finish(
        run,
        Outcome.NEEDS_REVIEW,
        f"validated, but it could not be applied ({reason}); nothing was written and the "
        f"patch is kept: review with 'escalator review show {run.task_id}'",
        chosen=candidate,
    )


def park(run: TaskRun, index: int, spec: ModelSpec) -> TaskResult:
    """Stop before a paid model nobody could approve; ``escalator resume`` continues here."""
    run.log.update_task(run.task_id, state=run.saved_state(index))
    return finish(
        run,
        Outcome.AWAITING_APPROVAL,
        f"{spec.key} is a paid model; approve with 'escalator resume {run.task_id}'",
    )


def finish(
    run: TaskRun,
    outcome: Outcome,
    reason: str,
    *,
    chosen: Candidate | None = None,
    applied: bool = False,
    conflicts: list[str] | None = None,
    stopped_by: str | None = None,
) -> TaskResult:
    """Record the task's end in the task log, tell the caller, and return the result."""
    result = _result(run, outcome, reason, chosen)
    result.applied, result.conflicts, result.stopped_by = applied, conflicts or [], stopped_by
    fields: dict[str, Any] = dict(
        outcome=outcome.value,
        attempts=result.attempts,
        escalations=result.escalations,
        latency_ms=result.latency_ms,
        final_model=result.final_model,
        patch=result.patch,
        cloud_only_cost_usd=cloud_only_cost(
            run.config, run.plan.task_type.value, result.tokens_in, result.tokens_out
        ),
    )
    if outcome != Outcome.AWAITING_APPROVAL:
        fields["state"] = run.saved_state(len(run.plan.chain))
    run.log.update_task(run.task_id, **fields)
    if outcome != Outcome.AWAITING_APPROVAL:
        record_labels(run, outcome, chosen)
    run.emit(ProgressKind.OUTCOME, f"{outcome.value}: {reason}", model=result.final_model)
    return result


def _result(run: TaskRun, outcome: Outcome, reason: str, chosen: Candidate | None) -> TaskResult:
    state = run.state
    spend = run.log.task_spend(run.task_id)  # the ledger, not a running sum of our own
    result = TaskResult(
        task_id=run.task_id,
        outcome=outcome,
        task_type=run.plan.task_type,
        complexity=run.plan.complexity,
        attempts=state.attempts,
        escalations=state.escalations,
        cost_usd=spend.cost_usd,
        tokens_in=spend.tokens_in,
        tokens_out=spend.tokens_out,
        latency_ms=run.elapsed_ms(),
        models_tried=state.models_tried,
        reason=reason,
    )
    if chosen is not None:
        result.final_model, result.patch = chosen.model, chosen.diff
        result.files, result.confidence = chosen.files, chosen.confidence
    return result
