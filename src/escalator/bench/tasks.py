"""Suites as tasks: each problem becomes a real workspace and a ``TaskRequest``.

Built from ``prompt``, ``entry_point``, ``visible_tests`` and ``context`` whatever their
shape. When the prompt is itself code ending in the entry point's ``def`` and docstring
(HumanEval), ``solution.py`` is that prompt with a ``pass`` body and the task names the
function. Otherwise (a plain description with an example ``assert``, prose around a
``def``), the task carries the prompt verbatim, plus the visible tests it does not already
quote, and ``solution.py`` is the context followed by a stub of the entry point: its
``def`` line from the prompt when there is one, else parameters read from how the visible
tests call it. ``test_solution.py`` runs each visible assert in the solution's namespace,
as the suite's recipe does. Hidden tests never enter a workspace.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
import textwrap
from pathlib import Path

from escalator.bench.recognise import collapse
from escalator.bench.replay import SOLUTION_FILE
from escalator.bench.suite import Problem
from escalator.task import TaskRequest, TaskType

__all__ = [
    "TEST_FILE",
    "build_workspace",
    "prompt_is_stub",
    "stub_source",
    "task_description",
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


def _defines(source: str, name: str) -> bool:
    """``source`` parses and defines ``name`` as a top-level function."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in tree.body
    )


def _prompt_stub(problem: Problem) -> str | None:
    """The prompt with a ``pass`` body, when the prompt is code ending in the entry point."""
    if not re.search(rf"\bdef\s+{re.escape(problem.entry_point)}\s*\(", problem.prompt):
        return None
    stub = problem.prompt.rstrip() + "\n" + _body_indent(problem.prompt) + "pass\n"
    return stub if _defines(stub, problem.entry_point) else None


def prompt_is_stub(problem: Problem) -> bool:
    """Whether ``solution.py`` is the prompt itself (HumanEval shape)."""
    return _prompt_stub(problem) is not None


def _with_context(problem: Problem, code: str) -> str:
    context = problem.context.strip("\n")
    if not context.strip() or collapse(context) in collapse(code):
        return code
    return context + "\n\n\n" + code


def _signature_from_prompt(problem: Problem) -> str | None:
    """The entry point's ``def ...:`` header as written in the prompt, if it parses."""
    pattern = rf"^[ \t]*((?:async[ \t]+)?def[ \t]+{re.escape(problem.entry_point)}[ \t]*\(.*?\)"
    pattern += r"[^:\n]*:)"
    match = re.search(pattern, problem.prompt, re.M | re.S)
    if match is None:
        return None
    header = textwrap.dedent(match.group(1))
    return header if _defines(header + "\n    pass\n", problem.entry_point) else None


def _calls(problem: Problem) -> list[ast.Call]:
    calls: list[ast.Call] = []
    for test in problem.visible_tests:
        try:
            tree = ast.parse(textwrap.dedent(test))
        except (SyntaxError, ValueError):
            continue
        calls.extend(
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == problem.entry_point
        )
    return calls


def _signature_from_tests(problem: Problem) -> str:
    """A header whose parameters fit every call the visible tests make."""
    calls = [c for c in _calls(problem) if not any(isinstance(a, ast.Starred) for a in c.args)]
    if not calls or any(k.arg is None for c in calls for k in c.keywords):
        return f"def {problem.entry_point}(*args, **kwargs):"
    most = max(len(c.args) for c in calls)
    least = min(len(c.args) for c in calls)
    params = [f"arg{i}" if i <= least else f"arg{i}=None" for i in range(1, most + 1)]
    keywords = sorted({k.arg for c in calls for k in c.keywords if k.arg})
    params += [f"{name}=None" for name in keywords if name not in params]
    return f"def {problem.entry_point}({', '.join(params)}):"


def stub_source(problem: Problem) -> str:
    """``solution.py`` as handed to the worker: the entry point with a ``pass`` body."""
    stub = _prompt_stub(problem)
    if stub is None:
        header = _signature_from_prompt(problem) or _signature_from_tests(problem)
        stub = header + "\n    pass\n"
    return _with_context(problem, stub)


_SELF_RUNNER = """

if __name__ == "__main__":  # `python test_solution.py`: a fast runner, pytest-style summary
    import traceback

    _failed = 0
    for _name in _VISIBLE:
        try:
            globals()[_name]()
        except Exception:
            _failed += 1
            print(f"FAILED {_name}")
            traceback.print_exc(limit=-1, file=sys.stdout)
    print(f"{_failed} failed, {len(_VISIBLE) - _failed} passed")
    sys.exit(1 if _failed else 0)
"""

# The recipe runs the visible asserts in the program's own namespace: every name the
# solution defines or imports (helpers, `math`, ...) is visible to them. A function of the
# solution named like a test is not collected as one.
_NAMESPACE = """import sys

import solution as _solution

for _key, _value in vars(_solution).items():
    if not _key.startswith("__"):
        globals()[_key] = _value
        if _key.startswith("test") and callable(_value):
            try:
                _value.__test__ = False
            except (AttributeError, TypeError):
                pass
"""


def test_source(problem: Problem) -> str:
    """``test_solution.py``: one test function per visible assert, runnable by pytest or python."""
    names = [f"test_visible_{n}" for n in range(1, len(problem.visible_tests) + 1)]
    parts = [f'"""Visible tests for {problem.id}."""\n', _NAMESPACE, f"_VISIBLE = {names!r}\n"]
    for name, test in zip(names, problem.visible_tests, strict=True):
        body = textwrap.indent(textwrap.dedent(test).strip("\n"), "    ")
        parts.append(f"\ndef {name}() -> None:\n{body}\n")
    return "\n".join(parts) + _SELF_RUNNER


def build_workspace(problem: Problem, root: Path) -> Path:
    """Write the problem's workspace under ``root`` and return its path."""
    folder = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", problem.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SOLUTION_FILE).write_text(stub_source(problem), encoding="utf-8")
    (folder / TEST_FILE).write_text(test_source(problem), encoding="utf-8")
    return folder


def _unquoted_tests(problem: Problem) -> list[str]:
    """Visible tests whose text the prompt does not already hold."""
    prompt = collapse(problem.prompt)
    return [t.strip() for t in problem.visible_tests if collapse(t) not in prompt]


def task_description(problem: Problem) -> str:
    """What the worker is asked, for the problem's prompt shape."""
    name = problem.entry_point
    if prompt_is_stub(problem):
        return (
            f"Implement the function `{name}` in {SOLUTION_FILE}: replace the `pass` body so "
            "the function does what its docstring says. Keep its name and signature. The "
            f"tests in {TEST_FILE} must pass."
        )
    parts = [
        f"Write the Python function `{name}` in {SOLUTION_FILE} (replace the stub), as this "
        f"task says:\n\n{problem.prompt.strip()}",
        f"Keep the name `{name}`: the tests in {TEST_FILE} call it and must pass.",
    ]
    tests = _unquoted_tests(problem)
    if tests:
        parts.append("The tests:\n" + "\n".join(tests))
    return "\n\n".join(parts)


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
