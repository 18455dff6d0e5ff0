"""Tests validator: run the project's test command in the sandbox and read the counts.

The command is the configured one, else detected: pytest for a Python project with test
files, ``npm test`` with a package.json test script, ``cargo test``, ``go test ./...``.
pytest gets ``--junitxml`` so counts and failure messages come from JUnit XML; other
runners fall back to a pytest-style summary line, then to the exit status alone.
"No tests collected" is never a pass.

Confidence of a pass grows with the number of passing tests: ``1 - 0.5 / (1 + passed)``
(1 test: 0.75, 4: 0.9, 19: 0.975); 0.8 when only the exit status is known.
"""

from __future__ import annotations

import json
import re
import shlex
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from escalator.sandbox import RunResult, Sandbox
from escalator.validate.environment import find_project_python, pytest_command
from escalator.validate.feedback import cap, tail
from escalator.validate.missing import missing_tool
from escalator.validate.verdict import Finding, Status, Verdict
from escalator.workspace import is_pytest_module, walk_files

__all__ = ["TestCounts", "check_tests", "detect_test_command", "parse_junit", "parse_summary"]

_SUMMARY = re.compile(
    r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)\b"
)
_PYTEST = re.compile(r"(^|[\s/])(py\.test|pytest)(\s|$)|-m pytest\b")
_MAX_FAILURES = 3
_TRACE_LINES = 25


@dataclass
class TestCounts:
    """What a test run reported; ``failures`` keeps (test, message, traceback)."""

    __test__ = False  # not a pytest test class

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: list[tuple[str, str, str, Finding | None]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors

    def summary(self) -> str:
        return (
            f"{self.failed} failed, {self.errors} errors, {self.passed} passed, "
            f"{self.skipped} skipped"
        )


def detect_test_command(root: Path, workspace: Path | None = None) -> str | None:
    """A test command for the project at ``root`` (a sandbox copy of ``workspace``), or
    None when it seems to have no tests. Python tests run with the project's own
    environment when ``workspace`` has one (see ``validate.environment``)."""
    if _has_python_tests(root):
        return pytest_command(find_project_python(workspace or root), root)
    package = root / "package.json"
    if package.is_file():
        try:
            scripts = json.loads(package.read_text(encoding="utf-8")).get("scripts", {})
        except (ValueError, AttributeError):
            scripts = {}
        if isinstance(scripts, dict) and "test" in scripts:
            return "npm test --silent"
    if (root / "Cargo.toml").is_file():
        return "cargo test --offline --quiet"
    if (root / "go.mod").is_file():
        return "go test ./..."
    return None


def _has_python_tests(root: Path) -> bool:
    return any(is_pytest_module(rel.rsplit("/", 1)[-1]) for rel in walk_files(root))


def _with_junit(command: str, junit: Path) -> str:
    """Add JUnit XML output to a plain pytest command (leave compound commands alone)."""
    if not _PYTEST.search(command) or any(c in command for c in ";&|"):
        return command
    return f"{command} -q -p no:cacheprovider --junitxml={shlex.quote(str(junit))}"


def parse_junit(xml_text: str) -> TestCounts | None:
    """Counts and the first failures from a JUnit XML report, or None when unreadable."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None
    counts = TestCounts()
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            if problem.tag == "failure":
                counts.failed += 1
            else:
                counts.errors += 1
            counts.failures.append(_failure_of(case, problem))
        elif case.find("skipped") is not None:
            counts.skipped += 1
        else:
            counts.passed += 1
    return counts


def _failure_of(case: ET.Element, problem: ET.Element) -> tuple[str, str, str, Finding | None]:
    classname, name = case.get("classname", ""), case.get("name", "?")
    test = f"{classname}::{name}" if classname else name
    message = (problem.get("message") or "").strip()
    trace = (problem.text or "").strip()
    finding = None
    file, line = case.get("file"), case.get("line")
    if file is None and classname:
        file = classname.replace(".", "/") + ".py"
    m = re.search(r"^(\S+\.py):(\d+):", trace, re.MULTILINE)
    if m:
        file, line = m.group(1), m.group(2)
    finding = Finding(
        f"{test}: {message.splitlines()[0] if message else problem.tag}",
        file,
        int(line) if line and line.isdigit() else None,
    )
    return test, message, trace, finding


def parse_summary(output: str) -> TestCounts | None:
    """Counts from a pytest-style summary line ("2 failed, 3 passed in 0.1s")."""
    lines = [ln for ln in output.splitlines() if _SUMMARY.search(ln)]
    if not lines:
        return None
    counts = TestCounts()
    for number, word in _SUMMARY.findall(lines[-1]):
        n = int(number)
        if word == "passed":
            counts.passed = n
        elif word == "failed":
            counts.failed = n
        elif word.startswith("error"):
            counts.errors = n
        elif word == "skipped":
            counts.skipped = n
    return counts


def _failure_feedback(command: str, counts: TestCounts, output: str, limit: int) -> str:
    parts = [f"Tests failed: {counts.summary()} (command: {command})."]
    for test, message, trace, _ in counts.failures[:_MAX_FAILURES]:
        parts.append(f"\nFAILED {test}")
        if message:
            parts.append(cap(message, 600))
        if trace:
            lines = trace.splitlines()
            parts.append("\n".join(lines[-_TRACE_LINES:]))
    if not counts.failures:
        parts.append(tail(output.strip(), max(400, limit // 2)))
    parts.append("\nFix the code so these tests pass; do not change the tests.")
    return cap("\n".join(parts), limit)


def _read_junit(path: Path) -> TestCounts | None:
    if not path.is_file():
        return None
    return parse_junit(path.read_text(encoding="utf-8", errors="replace"))


def _pass_confidence(counts: TestCounts | None) -> float:
    if counts is None or counts.total == 0:
        return 0.8
    return 1.0 - 0.5 / (1 + counts.passed)


def check_tests(
    sandbox: Sandbox,
    command: str | None,
    *,
    feedback_chars: int = 2500,
    timeout_s: float | None = None,
) -> Verdict:
    """Run ``command`` (detected when None) in the sandbox and judge the result."""
    start = time.perf_counter()
    detected = command is None
    command = command or detect_test_command(sandbox.root, sandbox.workspace)
    if command is None:
        return Verdict.skipped("tests", "no tests found and no test command configured")
    if detected and "pytest" in command:
        found = find_project_python(sandbox.workspace)
        if found.is_project_env:  # the sandbox hides the workspace and home: show the env
            sandbox.keep_environment(Path(found.python))
    junit = sandbox.tmp / f"junit-{time.monotonic_ns()}.xml"
    result = sandbox.run(_with_junit(command, junit), timeout_s)
    counts = _read_junit(junit) or parse_summary(result.output)
    verdict = _judge(command, result, counts, feedback_chars)
    details = {
        "command": command,
        **_interpreter(sandbox, command, detected),
        "exit_code": result.exit_code,
        "sandbox": result.limits_note,
        **({"counts": counts.summary()} if counts else {}),
    }
    ms = (time.perf_counter() - start) * 1000
    return Verdict(
        "tests",
        verdict.status,
        verdict.confidence,
        ms,
        verdict.findings,
        verdict.feedback,
        verdict.reason,
        details,
    )


def _interpreter(sandbox: Sandbox, command: str, detected: bool) -> dict[str, str]:
    """Which Python a detected pytest command uses, and how to change it."""
    if not detected or "pytest" not in command:
        return {}
    found = find_project_python(sandbox.workspace)
    return {"interpreter": found.python, "interpreter_source": found.source, "env": found.note}


def _judge(command: str, result: RunResult, counts: TestCounts | None, limit: int) -> Verdict:
    if result.timed_out:
        feedback = cap(
            f"The tests did not finish within the time limit ({command}); look for an "
            "infinite loop, a blocking read or a deadlock.\n" + tail(result.output.strip(), 800),
            limit,
        )
        return Verdict("tests", Status.FAILED, 0.9, feedback=feedback, reason="timed out")
    missing = missing_tool(command, result.exit_code, result.output) if counts is None else None
    if missing is not None or (result.exit_code in (126, 127) and counts is None):
        why = missing or tail(result.output, 300)
        return Verdict.error("tests", f"the test command could not run: {why}")
    no_tests = result.exit_code == 5 or (counts is not None and counts.total == 0)
    if no_tests and (counts is None or counts.failed + counts.errors == 0):
        return Verdict.error(
            "tests", f"no tests collected by '{command}': add tests or fix the test command"
        )
    if result.exit_code == 0 and (counts is None or counts.failed + counts.errors == 0):
        return Verdict("tests", Status.PASSED, _pass_confidence(counts))
    counts = counts or TestCounts()
    findings = tuple(f for *_, f in counts.failures if f is not None)
    feedback = _failure_feedback(command, counts, result.output, limit)
    reason = counts.summary() if counts.total else f"exit status {result.exit_code}"
    return Verdict("tests", Status.FAILED, 1.0, 0.0, findings, feedback, reason)
