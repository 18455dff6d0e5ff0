"""Suites as tasks: each problem becomes a real workspace and a ``TaskRequest``.

The workspace holds ``solution.py`` (the problem's prompt, i.e. context + signature +
docstring, with a ``pass`` body) and ``test_solution.py`` (``from solution import *``
and one test function per visible assert). Hidden tests never enter a workspace.
"""

from __future__ import annotations

import re
import shlex
import sys
import textwrap
from pathlib import Path

from escalator.bench.replay import SOLUTION_FILE
from escalator.bench.suite import Problem
from escalator.task import TaskRequest, TaskType

__all__ = [
    "TEST_FILE",
    "build_workspace",
    "stub_source",
    "task_request",
    "test_source",
]

TEST_FILE = "test_solution.py"
BENCH_VALIDATORS = ("syntax", "tests")
BENCH_COMPLEXITY = 4


def _body_indent(prompt: str) -> str:
    """The indentation of the function body: that of the docstring's last line."""
    lines = [ln for ln in prompt.rstrip().split("\n") if ln.strip()]
    last = lines[-1] if lines else ""
    indent = last[: len(last) - len(last.lstrip())]
    if not indent:
        match = re.search(r"^([ \t]*)def ", prompt, re.M)
        indent = (match.group(1) if match else "") + "    "
    return indent


def stub_source(problem: Problem) -> str:
    """``solution.py`` as handed to the worker: the prompt with a ``pass`` body."""
    return problem.prompt.rstrip() + "\n" + _body_indent(problem.prompt) + "pass\n"


def test_source(problem: Problem) -> str:
    """``test_solution.py``: one pytest function per visible assert."""
    parts = [f'"""Visible tests for {problem.id}."""\n', "from solution import *  # noqa: F403\n"]
    for number, test in enumerate(problem.visible_tests, 1):
        body = textwrap.indent(test.strip("\n"), "    ")
        parts.append(f"\ndef test_visible_{number}() -> None:\n{body}\n")
    return "\n".join(parts)


def build_workspace(problem: Problem, root: Path) -> Path:
    """Write the problem's workspace under ``root`` and return its path."""
    folder = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", problem.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SOLUTION_FILE).write_text(stub_source(problem), encoding="utf-8")
    (folder / TEST_FILE).write_text(test_source(problem), encoding="utf-8")
    return folder


def task_description(problem: Problem) -> str:
    return (
        f"Implement the function `{problem.entry_point}` in {SOLUTION_FILE}: replace the "
        "`pass` body so the function does what its docstring says. Keep its name and "
        f"signature. The tests in {TEST_FILE} must pass."
    )


def test_command() -> str:
    python = shlex.quote(sys.executable)
    return f"{python} -m pytest -q -p no:cacheprovider {TEST_FILE}"


def task_request(problem: Problem, workspace: Path) -> TaskRequest:
    """The engine's task for one problem: edit solution.py, validate on visible tests."""
    return TaskRequest(
        description=task_description(problem),
        workspace=workspace,
        files=(SOLUTION_FILE,),
        test_command=test_command(),
        task_type=TaskType.STANDARD_DEVELOPMENT,
        complexity=BENCH_COMPLEXITY,
        validators=BENCH_VALIDATORS,
        extra={"bench_problem": problem.id},
    )
