"""The tests validator: real pytest runs inside a real sandbox."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from escalator.validate.testsuite import check_tests, detect_test_command, parse_summary
from escalator.validate.verdict import Status
from tests.processes import still_running
from tests.validate.conftest import MakeBox

CALC = "def add(a, b):\n    return a + b\n"
TESTS = (
    "from calc import add\n\n"
    "def test_add():\n"
    '    assert add(2, 3) == 5, "add(2, 3) should be 5"\n\n'
    "def test_zero():\n"
    "    assert add(0, 0) == 0\n"
)


def test_passing_suite(make_box: MakeBox) -> None:
    verdict = check_tests(make_box({"calc.py": CALC, "test_calc.py": TESTS}), None)
    assert verdict.status is Status.PASSED, verdict.feedback
    assert verdict.details["counts"] == "0 failed, 0 errors, 2 passed, 0 skipped"
    assert 0.8 <= verdict.confidence < 1.0
    assert "-m pytest" in verdict.details["command"]


def test_failing_suite_keeps_the_assertion_message(make_box: MakeBox) -> None:
    box = make_box({"calc.py": CALC.replace("+", "-"), "test_calc.py": TESTS})
    verdict = check_tests(box, None, feedback_chars=1500)
    assert verdict.status is Status.FAILED
    assert "1 failed" in verdict.reason
    assert "add(2, 3) should be 5" in verdict.feedback
    assert "test_add" in verdict.feedback
    assert "assert -1 == 5" in verdict.feedback
    assert len(verdict.feedback) <= 1500
    assert verdict.findings[0].file == "test_calc.py"
    assert verdict.findings[0].line == 4


def test_no_tests_collected_is_not_a_pass(make_box: MakeBox) -> None:
    box = make_box({"calc.py": CALC, "tests/helper.py": "X = 1\n"})
    verdict = check_tests(box, f"{sys.executable} -m pytest tests")
    assert verdict.status is Status.ERROR
    assert "no tests collected" in verdict.reason


def test_no_tests_and_no_command_is_skipped(make_box: MakeBox) -> None:
    verdict = check_tests(make_box({"calc.py": CALC}), None)
    assert verdict.status is Status.SKIPPED


def test_hanging_suite_times_out(make_box: MakeBox) -> None:
    hang = "import time\n\ndef test_hang():\n    time.sleep(120)\n"
    box = make_box({"test_hang.py": hang}, timeout_s=3)
    start = time.monotonic()
    verdict = check_tests(box, None)
    assert time.monotonic() - start < 30
    assert verdict.status is Status.FAILED
    assert verdict.reason == "timed out"
    assert "infinite loop" in verdict.feedback


def test_forking_suite_leaves_no_process_behind(make_box: MakeBox) -> None:
    fork = (
        "import subprocess, sys\n\n"
        "def test_spawns():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(47.25)'],\n"
        "                     start_new_session=False)\n"
        "    assert True\n"
    )
    verdict = check_tests(make_box({"test_fork.py": fork}), None)
    assert verdict.status is Status.PASSED, verdict.feedback
    left = still_running("time.sleep\\(47.25\\)")
    assert left == b"", "a child that outlived pytest is still running"


def test_suite_cannot_read_keys_or_write_the_workspace(
    make_box: MakeBox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake-key-for-test")
    outside = tmp_path / "outside_marker.txt"
    snoop = (
        "import os, pathlib\n\n"
        "def test_snoop():\n"
        "    assert os.environ.get('ANTHROPIC_API_KEY') is None\n"
        "    found = ''\n"
        "    for p in pathlib.Path('/proc').glob('[0-9]*/environ'):\n"
        "        try:\n"
        "            found += p.read_bytes().decode(errors='replace')\n"
        "        except OSError:\n"
        "            pass\n"
        "    assert 'sk-ant-fake' not in found\n"
        "    ws = os.environ.get('WS')\n"
        "    for target in [pathlib.Path(__file__).parent / 'x',\n"
        f"                   pathlib.Path({str(outside)!r})]:\n"
        "        try:\n"
        "            target.write_text('pwned')\n"
        "        except OSError:\n"
        "            pass\n"
    )
    box = make_box({"test_snoop.py": snoop})
    verdict = check_tests(box, None)
    assert verdict.status is Status.PASSED, verdict.feedback
    assert (box.root / "x").exists(), "writing inside the sandbox works"
    assert not (box.workspace / "x").exists(), "the workspace was not written"
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-fake-key-for-test"


def test_collection_error_is_a_failure_with_the_error(make_box: MakeBox) -> None:
    box = make_box({"test_x.py": "from nowhere import thing\n\ndef test_a():\n    pass\n"})
    verdict = check_tests(box, None)
    assert verdict.status is Status.FAILED
    assert "nowhere" in verdict.feedback


def test_non_pytest_command_uses_exit_status(make_box: MakeBox) -> None:
    box = make_box({"run.sh": "echo all good\n"})
    ok = check_tests(box, "sh run.sh")
    assert ok.status is Status.PASSED and ok.confidence == 0.8
    bad = check_tests(box, "echo 'boom: expected 3 got 4'; exit 1")
    assert bad.status is Status.FAILED
    assert "expected 3 got 4" in bad.feedback


def test_missing_test_program_is_error(make_box: MakeBox) -> None:
    verdict = check_tests(make_box({"a.py": ""}), "no-such-test-runner-xyz")
    assert verdict.status is Status.ERROR


def test_detect_test_command(tmp_path: Path) -> None:
    assert detect_test_command(tmp_path) is None
    (tmp_path / "package.json").write_text('{"scripts": {"test": "jest"}}')
    assert detect_test_command(tmp_path) == "npm test --silent"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("")
    assert "pytest" in (detect_test_command(tmp_path) or "")


def test_parse_summary_line() -> None:
    counts = parse_summary("....\n==== 2 failed, 5 passed, 1 skipped in 0.50s ====\n")
    assert counts is not None
    assert (counts.failed, counts.passed, counts.skipped) == (2, 5, 1)
    assert parse_summary("nothing here") is None
