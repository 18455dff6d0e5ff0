"""One attempt: ask the model, parse its edit, validate it; the result is a typed outcome.

Each attempt is recorded in the task log here, whatever its outcome; what to do next is
``decide``'s call.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from escalator.engine import pool
from escalator.engine.choose import brief_tokens
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind
from escalator.engine.files import gather_files, judge_answer
from escalator.engine.offload import offload
from escalator.engine.state import Candidate
from escalator.engine.validation import validate_change, verdict_record
from escalator.errors import ProviderError
from escalator.providers.base import ChatRequest, ChatResponse
from escalator.registry import ModelSpec
from escalator.store import AttemptRecord, EventKind
from escalator.validate import ValidationReport, agreement
from escalator.work.edits import EditParseError, normalise_output, parse_edits
from escalator.work.prompts import PriorAttempt

__all__ = [
    "AttemptOutcome",
    "ProviderFailed",
    "Rejected",
    "Repeated",
    "Truncated",
    "Validated",
    "run_attempt",
]


@dataclass(frozen=True)
class ProviderFailed:
    """The model could not be asked (unreachable, timed out, out of context, ...)."""

    error: ProviderError


@dataclass(frozen=True)
class Repeated:
    """The model gave the same answer as its last attempt."""

    output: str


@dataclass(frozen=True)
class Truncated:
    """The answer was cut off (``length`` or ``context_overflow``): escalate."""

    finish_reason: str


@dataclass(frozen=True)
class Rejected:
    """The answer could not be applied; ``prior`` tells the next attempt why."""

    output: str
    prior: PriorAttempt


@dataclass(frozen=True)
class Validated:
    """The answer was applied in a sandbox and validated.

    ``accepted`` is the candidate to accept if it passed (under agreement: the strongest
    agreeing model's); ``consensus`` is the agreement decision when agreement ran."""

    output: str
    candidate: Candidate
    report: ValidationReport
    accepted: Candidate
    consensus: agreement.AgreementDecision | None = None


AttemptOutcome = ProviderFailed | Repeated | Truncated | Rejected | Validated


async def run_attempt(
    run: TaskRun,
    spec: ModelSpec,
    chat: ChatRequest,
    attempt_in_model: int,
    last: str | None,
    worst_case: float,
) -> AttemptOutcome:
    """Ask ``spec`` once and judge its answer; ``last`` is its previous answer, if any.

    The call is reserved in the ledger first (``BudgetExceeded`` when its worst case does
    not fit) and settled with its real cost before anything else reads the answer."""
    n = run.state.attempts + 1
    call_id = await offload(run.ledger.reserve, spec, "worker", worst_case)
    run.emit(
        ProgressKind.ATTEMPT_START,
        f"{spec.key} attempt {attempt_in_model}",
        model=spec.key,
        attempt=n,
    )
    try:
        response = await run.fleet.model(spec.key).chat(chat)
    except ProviderError as exc:
        await offload(run.ledger.release, call_id)
        return _provider_failed(run, spec, n, attempt_in_model, exc)
    except BaseException:
        with suppress(Exception):  # the task is stopping; its boundary records why
            run.ledger.release(call_id)
        raise
    run.answers.append(response)  # paid for: kept for a recovery file should the log fail
    output = normalise_output(response.text)
    await offload(run.ledger.settle, call_id, response, n)
    if last is not None and output == last:
        return _repeated(run, spec, response, output, attempt_in_model)
    run.state.attempts = n
    record = _answer_record(run, spec, response, n, attempt_in_model)
    if response.truncated:
        return _truncated(run, spec, record, response.finish_reason)
    files = await offload(gather_files, run.request.workspace, run.request.files)
    try:
        edits = parse_edits(response.text, edit_format=spec.edit_format, files=files)
    except EditParseError as exc:
        record = replace(record, error_message=exc.reason.value)
        return _rejected(run, spec, record, output, "edit_parse", str(exc))
    command = run.request.test_command or run.config.validation.test_command
    ruling = judge_answer(run.request.workspace, run.request.files, edits.files, command)
    if not ruling.allowed:
        return _rejected(run, spec, record, output, "edited_tests", ruling.feedback())
    return await _validated(run, spec, record, output, edits.files)


def _answer_record(
    run: TaskRun, spec: ModelSpec, response: ChatResponse, n: int, attempt_in_model: int
) -> AttemptRecord:
    """The attempt row of a paid-for answer, ``failed`` until its verdicts say otherwise."""
    return AttemptRecord(
        task_id=run.task_id,
        n=n,
        model=spec.key,
        provider=spec.provider,
        attempt_in_model=attempt_in_model,
        tokens_in=response.usage.tokens_in,
        tokens_out=response.usage.tokens_out,
        tokens_estimated=response.usage.estimated,
        cost_usd=response.cost_usd,
        latency_ms=response.latency_ms,
        outcome="failed",
        **_policy_fields(run, attempt_in_model),
    )


def _policy_fields(run: TaskRun, attempt_in_model: int) -> dict[str, Any]:
    """Which policy chose this model and why, and the size of the brief it was given."""
    choice = run.choice
    return {
        "policy": choice.policy.value if choice is not None else None,
        "policy_reason": choice.reason if choice is not None else None,
        "brief_tokens": brief_tokens(run, attempt_in_model),
    }


async def _validated(
    run: TaskRun,
    spec: ModelSpec,
    record: AttemptRecord,
    output: str,
    changes: dict[str, str | None],
) -> Validated:
    candidate, report = await validate_change(run, spec, record.n, changes)
    consensus: agreement.AgreementDecision | None = None
    accepted = candidate
    if report.passed and "agreement" in run.plan.validators:
        consensus, report, accepted = await pool.cross_check(run, candidate, report)
    deferred = consensus is not None and consensus.deferred
    record = replace(
        record,
        outcome="passed" if report.passed else ("skipped" if deferred else "failed"),
        confidence=report.confidence,
        feedback=report.feedback,
        diff=candidate.diff,
    )
    run.log.add_attempt(record, [verdict_record(v) for v in report.verdicts], charge=False)
    run.emit(
        ProgressKind.ATTEMPT_DONE,
        f"{spec.key}: {'passed' if report.passed else 'failed'} "
        f"({', '.join(f'{v.validator} {v.status}' for v in report.verdicts)})",
        model=spec.key,
        attempt=record.n,
        detail={
            "verdicts": [v.to_json() for v in report.verdicts],
            "passed": report.passed,
            "failing_tests": failing_tests(report),
        },
    )
    pool.keep_best(run, candidate)
    return Validated(output, candidate, report, accepted, consensus)


def _rejected(
    run: TaskRun, spec: ModelSpec, record: AttemptRecord, output: str, kind: str, feedback: str
) -> Rejected:
    """An answer that cannot be applied: a failed attempt whose feedback says why."""
    run.log.add_attempt(replace(record, error_kind=kind, feedback=feedback), [], charge=False)
    why = f"{kind} ({record.error_message})" if record.error_message else kind
    run.emit(
        ProgressKind.ATTEMPT_DONE,
        f"{spec.key}: {why}: {feedback}",
        model=spec.key,
        attempt=record.n,
    )
    prior = PriorAttempt(model=spec.key, attempt=record.n, diff="", feedback=feedback, error=kind)
    return Rejected(output, prior)


def _truncated(run: TaskRun, spec: ModelSpec, record: AttemptRecord, finish: str) -> Truncated:
    """A cut-off answer: asking the same model the same prompt would pay for the same cut,
    so the attempt fails (its cost is in the ledger) and the task escalates."""
    why = (
        "the answer filled the model's context window"
        if finish == "context_overflow"
        else "the answer reached the model's output limit"
    )
    feedback = f"{why} and was cut off (finish_reason {finish}); escalating"
    run.log.add_attempt(
        replace(record, error_kind="truncated", feedback=feedback), [], charge=False
    )
    run.emit(
        ProgressKind.ATTEMPT_DONE,
        f"{spec.key}: truncated: {feedback}",
        model=spec.key,
        attempt=record.n,
    )
    return Truncated(finish)


def _repeated(
    run: TaskRun, spec: ModelSpec, response: ChatResponse, output: str, attempt_in_model: int
) -> Repeated:
    """Same answer as last time: recorded as a failed attempt (every model call counts),
    not validated again; the model is not asked a third time."""
    n = run.state.attempts + 1
    run.state.attempts = n
    record = replace(
        _answer_record(run, spec, response, n, attempt_in_model),
        error_kind="identical_retry",
        feedback="the model repeated its previous answer word for word",
    )
    run.log.add_attempt(record, [], charge=False)
    run.event(EventKind.IDENTICAL_RETRY, from_model=spec.key, detail={"attempt": n})
    run.emit(
        ProgressKind.ATTEMPT_DONE,
        f"{spec.key} repeated its last answer: escalating",
        model=spec.key,
        attempt=n,
        detail={"passed": False},
    )
    return Repeated(output)


def failing_tests(report: ValidationReport) -> list[str]:
    """The names of the tests that failed, from the tests verdict's findings."""
    names: list[str] = []
    for verdict in report.verdicts:
        if verdict.validator != "tests" or str(verdict.status) != "failed":
            continue
        for finding in verdict.findings:
            if finding.severity == "note":  # e.g. what the sandbox does not enforce
                continue
            name = finding.message.split(": ", 1)[0].strip()
            if name and name not in names:
                names.append(name)
    return names[:5]


def _provider_failed(
    run: TaskRun, spec: ModelSpec, n: int, attempt_in_model: int, exc: ProviderError
) -> ProviderFailed:
    run.state.attempts = n
    record = AttemptRecord(
        task_id=run.task_id,
        n=n,
        model=spec.key,
        provider=spec.provider,
        attempt_in_model=attempt_in_model,
        outcome="error",
        error_kind=exc.kind,
        error_message=str(exc),
        **_policy_fields(run, attempt_in_model),
    )
    run.log.add_attempt(record, [], charge=False)
    run.emit(ProgressKind.ATTEMPT_DONE, f"{spec.key}: {exc.kind}: {exc}", model=spec.key, attempt=n)
    return ProviderFailed(exc)
