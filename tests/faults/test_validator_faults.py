"""A check that could not run is ``error`` (never ``failed`` with confidence 1.0), and its
output is not feedback for a model."""

from __future__ import annotations

from pathlib import Path

from tests.faults.conftest import cli, fault_config


def test_a_missing_type_checker_is_an_error_not_a_failure(tmp_path: Path, workspace: Path) -> None:
    extra = {
        "validation": {"compile_commands": {"python": "{python} -m no_such_typechecker {files}"}}
    }
    config, _ = fault_config(tmp_path, extra=extra)
    run = cli(
        config, "validate", "--workspace", str(workspace), "--validators", "compile", "--json"
    )
    verdict = run.json["verdicts"][0]
    assert verdict["status"] == "error" and verdict["confidence"] == 0.0
    assert "no_such_typechecker" in verdict["reason"] and "not installed" in verdict["reason"]
    assert verdict["feedback"] == "" and run.json["feedback"] == ""


def test_a_missing_test_runner_is_an_error_not_a_failure(tmp_path: Path, workspace: Path) -> None:
    config, _ = fault_config(tmp_path)
    run = cli(
        config,
        "validate",
        "--workspace",
        str(workspace),
        "--validators",
        "tests",
        "--tests",
        "python -m no_such_runner -q",
        "--json",
    )
    verdict = run.json["verdicts"][0]
    assert verdict["status"] == "error" and run.json["feedback"] == ""
