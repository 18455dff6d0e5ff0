"""The strategy: order, stopping, required vs optional, combined confidence."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from escalator.config import ValidationConfig, default_config
from escalator.errors import InputError
from escalator.task import TaskType
from escalator.validate import (
    Status,
    ValidationReport,
    ValidationSpec,
    Verdict,
    combined_confidence,
    make_report,
    order_validators,
    run_validation,
)
from escalator.validate.strategy import merge_reports, with_verdict
from tests.validate.conftest import MakeBox
from tests.validate.test_semantic import ScriptedChecker

GOOD = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}


def test_order_is_cheapest_first_and_unknown_is_rejected() -> None:
    assert order_validators(["semantic", "tests", "syntax", "benchmark", "compile"]) == (
        "syntax",
        "compile",
        "tests",
        "benchmark",
        "semantic",
    )
    with pytest.raises(InputError, match="unknown validator 'lint'"):
        order_validators(["syntax", "lint"])


def test_combined_confidence_formula() -> None:
    passed = Verdict("syntax", Status.PASSED, 1.0)
    tests = Verdict("tests", Status.PASSED, 0.9)
    assert combined_confidence([passed, tests]) == pytest.approx(0.9)
    skipped = Verdict.skipped("benchmark", "none configured")
    assert combined_confidence([passed, tests, skipped]) == pytest.approx(0.81)
    error = Verdict.error("compile", "no tsc")
    assert combined_confidence([passed, tests, error]) == pytest.approx(0.45)
    failed = Verdict("tests", Status.FAILED, 1.0)
    assert combined_confidence([passed, failed]) == 0.0
    assert combined_confidence([skipped]) <= 0.5


@pytest.mark.anyio
async def test_stops_at_first_failure_unless_all(make_box: MakeBox) -> None:
    box = make_box({**GOOD, "calc.py": "def add(a, b):\n    return a +\n"})
    spec = ValidationSpec(validators=("tests", "syntax"), config=ValidationConfig())
    report = await run_validation(box, spec)
    assert [v.validator for v in report.verdicts] == ["syntax", "tests"]
    assert report.verdicts[0].status is Status.FAILED
    assert report.verdicts[1].status is Status.SKIPPED
    assert "not run" in report.verdicts[1].reason
    assert not report.passed and report.status is Status.FAILED
    assert report.feedback.startswith("[syntax]")

    every = await run_validation(box, replace(spec, stop_at_first_failure=False))
    assert [v.status for v in every.verdicts] == [Status.FAILED, Status.FAILED]
    assert "[tests]" in every.feedback
    project_all = replace(spec, config=ValidationConfig(stop_at_first_failure=False))
    by_config = await run_validation(box, project_all)
    assert [v.status for v in by_config.verdicts] == [Status.FAILED, Status.FAILED]


@pytest.mark.anyio
async def test_critical_matrix_row_passes_a_clean_project(make_box: MakeBox) -> None:
    validators = default_config().chain_for(TaskType.CRITICAL).validators
    spec = ValidationSpec(validators=validators, config=ValidationConfig())
    report = await run_validation(make_box(GOOD), spec)
    statuses = {v.validator: v.status for v in report.verdicts}
    assert statuses == {
        "syntax": Status.PASSED,
        "compile": Status.PASSED,
        "tests": Status.PASSED,
        "benchmark": Status.SKIPPED,
        "semantic": Status.SKIPPED,
    }
    assert report.passed
    assert 0 < report.confidence < 0.75


@pytest.mark.anyio
async def test_required_but_inapplicable_is_error(make_box: MakeBox) -> None:
    spec = ValidationSpec(
        validators=("syntax", "benchmark"), required=("benchmark",), config=ValidationConfig()
    )
    report = await run_validation(make_box(GOOD), spec)
    bench = report.verdict("benchmark")
    assert bench is not None and bench.status is Status.ERROR
    assert "required but not applicable" in bench.reason
    assert not report.passed and report.status is Status.ERROR


@pytest.mark.anyio
async def test_semantic_reviews_the_sandbox_diff(make_box: MakeBox) -> None:
    box = make_box(GOOD)
    box.write_text("calc.py", "def add(a, b):\n    return b + a\n")
    checker = ScriptedChecker(['{"pass": true, "confidence": 0.9, "issues": []}'])
    spec = ValidationSpec(
        validators=("syntax", "tests", "semantic"),
        config=ValidationConfig(),
        description="swap the operands",
        checker=checker,
    )
    report = await run_validation(box, spec)
    assert report.passed, report.to_json()
    assert "+    return b + a" in checker.requests[0].prompt_text()
    data = report.to_json()
    assert [v["validator"] for v in data["verdicts"]] == ["syntax", "tests", "semantic"]
    assert set(data["verdicts"][0]) >= {
        "validator",
        "status",
        "confidence",
        "duration_ms",
        "findings",
        "feedback",
    }


@pytest.mark.anyio
async def test_test_command_from_spec_and_feedback_cap(make_box: MakeBox) -> None:
    bad = {**GOOD, "calc.py": "def add(a, b):\n    return a * b\n"}
    cfg = ValidationConfig(feedback_chars=300)
    spec = ValidationSpec(
        validators=("tests",), test_command=f"{sys.executable} -m pytest -x", config=cfg
    )
    report = await run_validation(make_box(bad), spec)
    assert not report.passed
    assert len(report.feedback) <= 300
    tests = report.verdict("tests")
    assert tests is not None and "-x" in tests.details["command"]


@pytest.mark.anyio
async def test_agreement_is_left_to_the_engine(make_box: MakeBox) -> None:
    spec = ValidationSpec(validators=("syntax", "agreement"), config=ValidationConfig())
    report = await run_validation(make_box(GOOD), spec)
    agreement = report.verdict("agreement")
    assert agreement is not None and agreement.status is Status.SKIPPED


def _report(*verdicts: Verdict) -> ValidationReport:
    return make_report(list(verdicts), 2000)


def test_one_formula_for_merged_reports_and_the_agreement_verdict() -> None:
    tests = Verdict("tests", Status.PASSED, 0.8)
    pooled = Verdict.skipped("agreement", "placeholder")
    base = _report(Verdict("syntax", Status.PASSED, 1.0), tests)
    review = _report(Verdict("semantic", Status.PASSED, 0.5))
    merged = merge_reports(base, review)
    assert merged.passed and merged.confidence == pytest.approx(0.8 * 0.5)
    accepted = with_verdict(base, Verdict("agreement", Status.PASSED, 0.75))
    assert accepted.confidence == pytest.approx(0.8 * 0.75) and accepted.passed
    deferred = with_verdict(_report(tests, pooled), pooled, passed=False)
    assert not deferred.passed and deferred.confidence == pytest.approx(0.8 * 0.9)
    rejected = with_verdict(base, Verdict("agreement", Status.FAILED, 0.25, feedback="differs"))
    assert (rejected.passed, rejected.confidence, rejected.feedback) == (False, 0.0, "differs")
    assert [v.validator for v in rejected.verdicts].count("agreement") == 1


@pytest.mark.anyio
async def test_the_agreement_placeholder_does_not_cost_confidence(make_box: MakeBox) -> None:
    alone = await run_validation(make_box(GOOD), ValidationSpec(validators=("syntax",)))
    spec = ValidationSpec(validators=("syntax", "agreement"), config=ValidationConfig())
    pooled = await run_validation(make_box(GOOD), spec)
    assert pooled.confidence == alone.confidence > 0


def test_coverage_confidence_scales_by_the_share_of_planned_validators_that_passed() -> None:
    from escalator.validate.strategy import coverage_confidence

    planned = ["syntax", "tests", "semantic", "agreement"]
    assert coverage_confidence(0.8, planned, {"syntax", "tests"}) == pytest.approx(0.4)
    assert coverage_confidence(0.8, planned, set(planned)) == pytest.approx(0.8)
    assert coverage_confidence(0.8, [], set()) == pytest.approx(0.8)
