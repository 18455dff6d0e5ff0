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
BENCH_VALIDATORS = ("syntax", "tests", "agreement")
NAIVE_VALIDATORS = ("syntax", "tests")
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


_SELF_RUNNER = """

if __name__ == "__main__":  # `python test_solution.py`: a fast runner, pytest-style summary
    import sys
    import traceback

    _failed = 0
    _tests = [(k, v) for k, v in list(globals().items()) if k.startswith("test_")]
    for _name, _test in _tests:
        try:
            _test()
        except Exception:
            _failed += 1
            print(f"FAILED {_name}")
            traceback.print_exc(limit=-1, file=sys.stdout)
    print(f"{_failed} failed, {len(_tests) - _failed} passed")
    sys.exit(1 if _failed else 0)
"""


def test_source(problem: Problem) -> str:
    """``test_solution.py``: one test function per visible assert, runnable by pytest or python."""
    parts = [f'"""Visible tests for {problem.id}."""\n', "from solution import *  # noqa: F403\n"]
    for number, test in enumerate(problem.visible_tests, 1):
        body = textwrap.indent(test.strip("\n"), "    ")
        parts.append(f"\ndef test_visible_{number}() -> None:\n{body}\n")
    return "\n".join(parts) + _SELF_RUNNER


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


def test_command(*, pytest: bool = False) -> str:
    """Run the visible tests: with pytest, or (default, ~10x faster) the file's own runner."""
    python = shlex.quote(sys.executable)
    return f"{python} -m pytest {TEST_FILE}" if pytest else f"{python} {TEST_FILE}"


def task_request(
    problem: Problem,
    workspace: Path,
    *,
    pytest: bool = False,
    validators: tuple[str, ...] = BENCH_VALIDATORS,
) -> TaskRequest:
    """The engine's task for one problem: edit solution.py, validate on visible tests."""
    return TaskRequest(
        description=task_description(problem),
        workspace=workspace,
        files=(SOLUTION_FILE,),
        test_command=test_command(pytest=pytest),
        task_type=TaskType.STANDARD_DEVELOPMENT,
        complexity=BENCH_COMPLEXITY,
        validators=validators,
        extra={"bench_problem": problem.id},
    )
