"""Validate one model's change in a sandbox: the configured validators, then the checker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from escalator.engine.context import TaskRun
from escalator.engine.offload import offload
from escalator.engine.spend import MeteredModel
from escalator.engine.state import Candidate
from escalator.providers.base import ChatModel
from escalator.registry import ModelSpec
from escalator.sandbox import Sandbox, SandboxLimits
from escalator.store import VerdictRecord
from escalator.validate import ValidationReport, ValidationSpec, Verdict, run_validation
from escalator.validate.strategy import merge_reports

__all__ = ["validate_change", "verdict_record"]


async def validate_change(
    run: TaskRun, spec: ModelSpec, n: int, changes: dict[str, str | None]
) -> tuple[Candidate, ValidationReport]:
    """Apply ``changes`` in a sandbox copy of the workspace and run the validators on it."""
    limits = SandboxLimits.from_config(run.config.validation)
    box = await offload(_sandbox_with, run.request.workspace, limits, changes)
    try:
        checker = _checker_model(run)
        validators = run.plan.validators
        spec_ = ValidationSpec(
            validators=validators,
            files=tuple(changes) or run.request.files,
            test_command=run.request.test_command or run.config.validation.test_command,
            config=run.config.validation,
            description=run.request.description,
            checker=checker if "semantic" in validators else None,
            handed_over=run.request.files,
        )
        report = await run_validation(box, spec_)
        if report.passed and checker is not None and "semantic" not in validators:
            review = await run_validation(
                box, replace(spec_, validators=("semantic",), checker=checker)
            )
            report = merge_reports(report, review)
        candidate = await offload(_candidate, box, spec.key, n, report)
    finally:
        await offload(box.close)
    return candidate, report


def _sandbox_with(
    workspace: Path, limits: SandboxLimits, changes: dict[str, str | None]
) -> Sandbox:
    """A sandbox copy of the workspace with ``changes`` written in (blocking)."""
    box = Sandbox.create(workspace, limits)
    try:
        for rel, text in changes.items():
            if text is None:
                box.delete(rel)
            else:
                box.write_text(rel, text)
    except BaseException:
        box.close()
        raise
    return box


def _candidate(box: Sandbox, model: str, n: int, report: ValidationReport) -> Candidate:
    return Candidate(
        model=model,
        attempt=n,
        files=box.changed_files(),
        diff=box.diff(),
        original_hashes=box.original_hashes(),
        confidence=report.confidence,
        passed=report.passed,
        validators_passed=sum(1 for v in report.verdicts if v.status == "passed"),
    )


def _checker_model(run: TaskRun) -> ChatModel | None:
    if run.plan.checker is None:
        return None
    spec = run.config.registry.get(run.plan.checker)
    if spec.is_paid and not run.paid.covers(spec.key):
        return None  # a paid checker needs the same approval as a paid worker
    return MeteredModel(run.fleet.model(spec.key), run.ledger)


def verdict_record(verdict: Verdict) -> VerdictRecord:
    return VerdictRecord(
        validator=verdict.validator,
        status=str(verdict.status),
        confidence=verdict.confidence,
        duration_ms=verdict.duration_ms,
        findings=[f.to_json() for f in verdict.findings],
        feedback=verdict.feedback,
    )
