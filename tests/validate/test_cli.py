"""``escalator validate`` through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.cli.main import cli
from tests.validate.conftest import write_tree

CALC_OK = "def add(a, b):\n    return a + b\n"
TESTS = (
    'from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5, "add(2, 3) must be 5"\n'
)


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_syntax_error_reports_file_and_line(tmp_path: Path) -> None:
    ws = write_tree(
        tmp_path, {"calc.py": "def add(a, b):\n    return a +\n", "test_calc.py": TESTS}
    )
    code, out, _ = _invoke("--workspace", str(ws), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["workspace"] == str(ws.resolve())
    assert data["passed"] is False
    syntax = data["verdicts"][0]
    assert syntax["validator"] == "syntax" and syntax["status"] == "failed"
    assert {k: syntax["findings"][0][k] for k in ("file", "line")} == {"file": "calc.py", "line": 2}


def test_failing_tests_report_the_message(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"calc.py": CALC_OK.replace("+", "-"), "test_calc.py": TESTS})
    code, out, _ = _invoke("--workspace", str(ws), "--json")
    assert code == 1
    data = json.loads(out)
    tests = next(v for v in data["verdicts"] if v["validator"] == "tests")
    assert tests["status"] == "failed"
    assert "add(2, 3) must be 5" in tests["feedback"]
    assert (ws / "calc.py").read_text() == CALC_OK.replace("+", "-")


def test_passing_workspace_exits_zero(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"calc.py": CALC_OK, "test_calc.py": TESTS})
    code, out, _ = _invoke("--workspace", str(ws), "--json", "--validators", "syntax,compile,tests")
    assert code == 0, out
    data = json.loads(out)
    assert data["passed"] is True
    assert [v["validator"] for v in data["verdicts"]] == ["syntax", "compile", "tests"]
    assert 0 < data["confidence"] <= 1


def test_human_output_and_all_flag(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"calc.py": "def add(:\n", "test_calc.py": TESTS})
    code, out, _ = _invoke("--workspace", str(ws), "--type", "critical", "--all")
    assert code == 1
    assert "FAIL" in out and "syntax" in out and "calc.py:1" in out
    assert "not run" not in out, "--all runs every validator"
    assert "result: FAILED" in out


def test_files_option_limits_the_check(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"good.py": "x = 1\n", "bad.py": "def (:\n"})
    code, out, _ = _invoke("--workspace", str(ws), "--files", "good.py", "--type", "quick_edit")
    assert code == 0, out
    code, _, err = _invoke("--workspace", str(ws), "--files", "nope.py")
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--validators", "syntax,lint"], "unknown validator 'lint'"),
        (["--type", "huge"], "unknown task type"),
        (["--type", "critical", "--validators", "syntax"], "either --type or --validators"),
    ],
)
def test_bad_input_exits_two_naming_the_fix(tmp_path: Path, args: list[str], needle: str) -> None:
    code, out, err = _invoke("--workspace", str(tmp_path), *args)
    assert code == 2
    assert needle in err
    assert out == ""


def test_missing_workspace_exits_two(tmp_path: Path) -> None:
    code, _, err = _invoke("--workspace", str(tmp_path / "missing"), "--json")
    assert code == 2
    assert "--workspace" in err


def test_required_validator_that_cannot_apply_fails(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"calc.py": CALC_OK})
    code, out, _ = _invoke("--workspace", str(ws), "--json", "--validators", "syntax,tests")
    assert code == 1
    tests = json.loads(out)["verdicts"][1]
    assert tests["status"] == "error"
    assert "required but not applicable" in tests["reason"]


def test_real_subprocess_prints_one_json_document(tmp_path: Path) -> None:
    ws = write_tree(tmp_path, {"calc.py": CALC_OK, "test_calc.py": TESTS})
    proc = subprocess.run(
        [sys.executable, "-m", "escalator.cli.main", "validate", "--workspace", str(ws), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["passed"] is True
    assert {v["status"] for v in data["verdicts"]} == {"passed"}
