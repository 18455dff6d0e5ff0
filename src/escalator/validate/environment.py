"""Which Python runs a project's tests: the project's own environment, when it has one.

Looked for in the user's workspace (not the sandbox copy, which leaves virtualenvs out),
in this order: ``.venv``, ``venv``, ``env`` (also what ``uv sync`` makes), Poetry's and
Hatch's environments (asked through their own commands when installed), then a tox
environment that has pytest. Otherwise Escalator's own interpreter is used, and the
verdict says so and how to change it (``--tests`` or ``[validation] test_command``).

The sandbox runs the tests in its copy of the workspace, so the copy's ``src`` and root
go first on ``PYTHONPATH``: an editable install in the project's venv must not make the
tests import the workspace's unchanged code.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from escalator.sandbox import PROJECT_ENVS

__all__ = ["ProjectPython", "find_project_python", "pytest_command"]

VENV_DIRS = PROJECT_ENVS
HOW_TO_CHANGE = "pass --tests or set [validation] test_command to use another"
_TOOL_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ProjectPython:
    """An interpreter for the project's tests and where it was found."""

    python: str
    source: str  # ".venv", "venv", "env", "poetry", "hatch", "tox", "escalator"
    note: str

    @property
    def is_project_env(self) -> bool:
        return self.source != "escalator"


def _python_in(env_dir: Path) -> Path | None:
    for candidate in (env_dir / "bin" / "python", env_dir / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def _ask_tool(argv: list[str], workspace: Path) -> Path | None:
    """An environment directory printed by ``poetry env info -p`` / ``hatch env find``."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(
            argv, cwd=workspace, capture_output=True, text=True, timeout=_TOOL_TIMEOUT_S
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    return Path(lines[-1].strip())


def _tox_env(workspace: Path) -> Path | None:
    tox = workspace / ".tox"
    if not tox.is_dir():
        return None
    for env in sorted(tox.iterdir()):
        python = _python_in(env)
        if python is not None and any(env.glob("lib/python*/site-packages/pytest")):
            return python
    return None


def _found(python: Path, source: str) -> ProjectPython:
    return ProjectPython(str(python), source, f"the project's {source} environment ({python})")


def find_project_python(workspace: Path) -> ProjectPython:
    """The interpreter to run ``workspace``'s Python tests with, and why that one."""
    for name in VENV_DIRS:
        python = _python_in(workspace / name)
        if python is not None:
            return _found(python, name)
    pyproject = workspace / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
    tools = [("poetry", ["poetry", "env", "info", "-p"]), ("hatch", ["hatch", "env", "find"])]
    for name, argv in tools:
        if f"[tool.{name}" in text:
            env_dir = _ask_tool(argv, workspace)
            python = _python_in(env_dir) if env_dir else None
            if python is not None:
                return _found(python, name)
    tox = _tox_env(workspace)
    if tox is not None:
        return _found(tox, "tox")
    hint = (
        " (a uv project: run 'uv sync' to create .venv)"
        if (workspace / "uv.lock").is_file()
        else ""
    )
    return ProjectPython(
        sys.executable,
        "escalator",
        f"no project environment found{hint}; using Escalator's own Python ({sys.executable}); "
        + HOW_TO_CHANGE,
    )


def pytest_command(found: ProjectPython, sandbox_root: Path) -> str:
    """``python -m pytest`` for ``found``, importing the sandbox copy's code first."""
    python = shlex.quote(found.python)
    if not found.is_project_env:
        return f"{python} -m pytest"
    paths = ["src", "."] if (sandbox_root / "src").is_dir() else ["."]
    return f"PYTHONPATH={':'.join(paths)} {python} -m pytest"
