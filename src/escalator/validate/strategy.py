"""The strategy: which validators run, in what order, and what they add up to.

Which validators run comes from the task type's row of the escalation matrix
(``ChainConfig.validators``), overridable per task. They run cheapest first: syntax,
compile, tests, benchmark, semantic. With ``stop_at_first_failure`` (the spec's and the
project's ``validation.stop_at_first_failure`` both true) the rest are not run
after a ``failed`` verdict (they appear as ``skipped``, "not run"); an ``error`` (could
not check) does not stop the run.

A validator that does not apply (no checker, no benchmark configured, no tests found, no
file with a grammar) is ``skipped`` when it came from the matrix, and ``error`` when the
caller listed it in ``ValidationSpec.required``: the default matrix lists compile and
benchmark for critical tasks whatever the project, so an optional inapplicable validator
must not block a task, while one the user asked for by name must not pass silently.
``agreement`` is decided across candidate solutions, not in one sandbox: it is
``skipped`` here, and its verdict over the pool (``escalator.validate.agreement.pool``)
replaces that one through ``with_verdict``. ``tests`` runs the judge as the user wrote
it: the answer's changes to test configuration are undone and its new test files set
aside for the run. Every verdict passes the redactor before anyone sees it.

Combined confidence: one formula for every report, whatever its verdicts came from (the
validators, a checker's review merged in with ``merge_reports``, the agreement verdict
put in with ``with_verdict``)::

    C = 0                                    if any verdict failed
    C = prod(c_v for passed v) * 0.5 ** n_error * 0.9 ** n_inapplicable
    C = min(C, 0.5)                          if no verdict passed (nothing was proven)

``n_inapplicable`` counts ``skipped`` verdicts except those not run after a failure and
the agreement placeholder, which the pool's verdict replaces. So an answer accepted by
agreement gets the agreeing cluster's share of the model weight as one more factor; a
deferred or inapplicable agreement verdict costs 0.9, like any validator that did not
apply, and a rejected one makes it 0.

``passed`` is true when no verdict failed or errored: "could not check" is not a pass.

An accepted answer's confidence, as its task's outcome reports it, is then scaled by the
share of the task's planned validators that passed it (``coverage_confidence``): a
validator that never ran (a paid checker without approval, one not applicable) proves
nothing, and the outcome says so rather than listing it as "validated by".
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from escalator.config import VALIDATOR_NAMES, ValidationConfig
from escalator.errors import InputError
from escalator.providers.base import ChatModel
from escalator.sandbox import Sandbox, detect_isolation
from escalator.validate.benchmark import check_benchmark
from escalator.validate.compile import check_compile
from escalator.validate.feedback import cap
from escalator.validate.judge import review_changes
from escalator.validate.semantic import check_semantic
from escalator.validate.syntax import check_syntax
from escalator.validate.testsuite import check_tests
from escalator.validate.verdict import Finding, Status, Verdict, redact_verdict

__all__ = [
    "ORDER",
    "ValidationReport",
    "ValidationSpec",
    "combined_confidence",
    "coverage_confidence",
    "make_report",
    "merge_reports",
    "order_validators",
    "run_validation",
    "with_verdict",
]

ORDER = ("syntax", "compile", "tests", "benchmark", "semantic", "agreement")
_NOT_RUN = "not run: stopped after the first failure"
_POOLED = "decided over the pool of candidates (validate.agreement.pool), not here"


@dataclass(frozen=True)
class ValidationSpec:
    """What to validate and how; ``required`` validators may not be skipped."""

    validators: tuple[str, ...]
    files: tuple[str, ...] = ()
    test_command: str | None = None
    config: ValidationConfig = field(default_factory=ValidationConfig)
    description: str = ""
    checker: ChatModel | None = None
    stop_at_first_failure: bool = True
    required: tuple[str, ...] = ()
    handed_over: tuple[str, ...] = ()


@dataclass
class ValidationReport:
    """All verdicts of one validation run, and what they add up to."""

    verdicts: list[Verdict]
    passed: bool
    confidence: float
    feedback: str

    @property
    def status(self) -> Status:
        """failed when any verdict failed, else error when any could not check, else passed."""
        statuses = {v.status for v in self.verdicts}
        if Status.FAILED in statuses:
            return Status.FAILED
        if Status.ERROR in statuses:
            return Status.ERROR
        return Status.PASSED

    def verdict(self, validator: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.validator == validator), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "status": self.status.value,
            "confidence": round(self.confidence, 4),
            "feedback": self.feedback,
            "verdicts": [v.to_json() for v in self.verdicts],
        }


def order_validators(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Validate the names and sort them cheapest first; InputError on an unknown one."""
    unknown = [n for n in names if n not in VALIDATOR_NAMES]
    if unknown:
        raise InputError(
            f"unknown validator {unknown[0]!r}; choose from {', '.join(VALIDATOR_NAMES)}"
        )
    return tuple(sorted(dict.fromkeys(names), key=ORDER.index))


def combined_confidence(verdicts: list[Verdict]) -> float:
    """The formula in the module docstring."""
    if any(v.status is Status.FAILED for v in verdicts):
        return 0.0
    passed = [v.confidence for v in verdicts if v.status is Status.PASSED]
    errors = sum(1 for v in verdicts if v.status is Status.ERROR)
    skipped = sum(
        1 for v in verdicts if v.status is Status.SKIPPED and v.reason not in (_NOT_RUN, _POOLED)
    )
    value = math.prod(passed) * 0.5**errors * 0.9**skipped
    return min(value, 0.5) if not passed else value


def coverage_confidence(
    confidence: float, planned: Sequence[str], passed: Collection[str]
) -> float:
    """``confidence`` scaled by the share of the ``planned`` validators that ``passed``
    (see the module docstring); unchanged when nothing was planned."""
    if not planned:
        return confidence
    return confidence * sum(1 for name in planned if name in passed) / len(planned)


async def run_validation(sandbox: Sandbox, spec: ValidationSpec) -> ValidationReport:
    """Run the spec's validators in ``sandbox`` and combine their verdicts."""
    names = order_validators(spec.validators)
    order_validators(spec.required)
    verdicts: list[Verdict] = []
    stopped_by: str | None = None
    for name in names:
        if stopped_by is not None:
            verdicts.append(Verdict.skipped(name, _NOT_RUN))
            continue
        verdict = await _run_one(name, sandbox, spec)
        if verdict.status is Status.SKIPPED and name in spec.required:
            verdict = Verdict(
                name,
                Status.ERROR,
                0.0,
                verdict.duration_ms,
                reason=f"required but not applicable: {verdict.reason}",
                details=verdict.details,
            )
        verdicts.append(verdict)
        stop = spec.stop_at_first_failure and spec.config.stop_at_first_failure
        if verdict.status is Status.FAILED and stop:
            stopped_by = name
    return make_report(verdicts, spec.config.feedback_chars)


def make_report(verdicts: list[Verdict], feedback_chars: int) -> ValidationReport:
    """Combine verdicts: pass/fail, confidence and one capped feedback text."""
    bad = {Status.FAILED, Status.ERROR}
    passed = not any(v.status in bad for v in verdicts)
    parts = [f"[{v.validator}] {v.feedback}" for v in verdicts if v.status is Status.FAILED]
    return ValidationReport(
        verdicts=verdicts,
        passed=passed,
        confidence=combined_confidence(verdicts),
        feedback=cap("\n\n".join(parts), feedback_chars),
    )


def merge_reports(first: ValidationReport, second: ValidationReport) -> ValidationReport:
    """One report from two runs' (the validators' and a checker's), by the one formula."""
    verdicts = [*first.verdicts, *second.verdicts]
    return ValidationReport(
        verdicts=verdicts,
        passed=first.passed and second.passed,
        confidence=combined_confidence(verdicts),
        feedback=second.feedback if not second.passed else first.feedback,
    )


def with_verdict(
    report: ValidationReport, verdict: Verdict, *, passed: bool | None = None
) -> ValidationReport:
    """``report`` with ``verdict`` in place of its validator's, recombined by the formula.

    ``passed`` overrides the result (the agreement validator holds a deferred answer back
    although its verdict is ``skipped``); a report that does not pass leads with the new
    verdict's feedback.
    """
    verdicts = [v for v in report.verdicts if v.validator != verdict.validator] + [verdict]
    ok = report.passed and verdict.status not in (Status.FAILED, Status.ERROR)
    ok = ok if passed is None else passed
    feedback = report.feedback if ok or not verdict.feedback else verdict.feedback
    return ValidationReport(
        verdicts=verdicts,
        passed=ok,
        confidence=combined_confidence(verdicts),
        feedback=feedback,
    )


async def _run_one(name: str, sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    start = time.perf_counter()
    runner = _RUNNERS[name]
    try:
        verdict = await runner(sandbox, spec)
    except OSError as exc:  # a tool or file vanished under us: could not check
        verdict = Verdict.error(name, f"{type(exc).__name__}: {exc}")
    if name in ("compile", "tests", "benchmark") and verdict.status is not Status.SKIPPED:
        isolation = detect_isolation()
        if isolation.not_enforced:  # said in the verdict's findings, kept in the task log
            note = isolation.describe(spec.config.network)
            verdict.details.setdefault("isolation", note)
            gap = Finding(f"sandbox: {note}", severity="note")
            verdict = replace(verdict, findings=(*verdict.findings, gap))
    verdict = redact_verdict(verdict)
    if verdict.duration_ms == 0.0:
        verdict = verdict.with_duration((time.perf_counter() - start) * 1000)
    return verdict


async def _syntax(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    return await asyncio.to_thread(
        check_syntax, sandbox.root, spec.files, feedback_chars=spec.config.feedback_chars
    )


async def _compile(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    return await asyncio.to_thread(check_compile, sandbox, spec.files, spec.config)


async def _tests(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    """The tests as the user wrote them: test configuration the answer changed is put
    back, and its new test files are set aside for the run (``escalator.validate.judge``)."""
    command = spec.test_command or spec.config.test_command
    ruling = review_changes(
        sandbox.changed_files(),
        {p: sandbox.original_text(p) for p in sandbox.changed_files()},
        handed_over=spec.handed_over,
        test_command=command,
    )
    restore = {p: sandbox.original_text(p) for p, _ in ruling.rejected}
    restore |= {p: None for p in ruling.new_tests}

    def judge() -> Verdict:
        with sandbox.swapped(restore):
            return check_tests(sandbox, command, feedback_chars=spec.config.feedback_chars)

    verdict = await asyncio.to_thread(judge)
    if restore:
        verdict.details["judged_without"] = sorted(restore)
    return verdict


async def _benchmark(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    return await asyncio.to_thread(check_benchmark, sandbox, spec.config)


async def _semantic(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    diff = await asyncio.to_thread(sandbox.diff)
    return await check_semantic(
        spec.checker,
        spec.description,
        diff,
        min_confidence=spec.config.semantic_min_confidence,
        feedback_chars=spec.config.feedback_chars,
    )


async def _agreement(sandbox: Sandbox, spec: ValidationSpec) -> Verdict:
    return Verdict.skipped("agreement", _POOLED)


_RUNNERS: dict[str, Callable[[Sandbox, ValidationSpec], Awaitable[Verdict]]] = {
    "syntax": _syntax,
    "compile": _compile,
    "tests": _tests,
    "benchmark": _benchmark,
    "semantic": _semantic,
    "agreement": _agreement,
}
