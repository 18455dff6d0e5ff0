"""The project's own environment runs its tests (a real venv, a real pytest run)."""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

from escalator.sandbox import Sandbox, SandboxLimits
from escalator.validate.environment import find_project_python
from escalator.validate.testsuite import check_tests
from escalator.validate.verdict import Status

CALC = "def add(a, b):\n    return a - b\n"
TESTS = (
    "import projdep\nfrom calc import add\n\n"
    "def test_add():\n    assert projdep.MARK == 'project env'\n    assert add(2, 3) == 5\n"
)


def _project_venv(ws: Path, name: str = ".venv") -> Path:
    """A real venv with a module only it has (projdep) and pytest reachable through a .pth;
    the workspace's src is installed 'editable' (a .pth to the workspace's own src)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(ws / name)], check=True)
    site_dir = next((ws / name).glob("lib/python*/site-packages"))
    (site_dir / "projdep.py").write_text("MARK = 'project env'\n")
    (site_dir / "escalator_pytest.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    (site_dir / "_editable_calc.pth").write_text(str(ws / "src") + "\n")
    return ws / name / "bin" / "python"


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "proj"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "calc.py").write_text(CALC)
    (ws / "tests").mkdir()
    (ws / "tests" / "test_calc.py").write_text(TESTS)
    return ws


def test_a_project_venv_runs_the_tests_on_the_sandbox_copy_of_the_code(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    python = _project_venv(ws)
    found = find_project_python(ws)
    assert (found.source, found.python) == (".venv", str(python))
    with Sandbox.create(ws, SandboxLimits()) as box:
        failing = check_tests(box, None)
        assert failing.status is Status.FAILED  # the workspace's bug, seen through its venv
        assert "No module named" not in failing.feedback  # its own dependency imported
        assert "assert -1 == 5" in failing.feedback
        (box.root / "src" / "calc.py").write_text(CALC.replace("-", "+"))  # a model's fix
        verdict = check_tests(box, None)
    assert verdict.status is Status.PASSED, verdict.feedback
    assert verdict.details["interpreter"] == str(python)
    assert verdict.details["interpreter_source"] == ".venv"


def test_without_a_project_env_the_verdict_says_which_python_and_how_to_change_it(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path)
    (ws / "uv.lock").write_text("version = 1\n")
    found = find_project_python(ws)
    assert found.source == "escalator" and found.python == sys.executable
    assert "uv sync" in found.note and "--tests" in found.note
    with Sandbox.create(ws, SandboxLimits()) as box:
        verdict = check_tests(box, None)
    assert verdict.status is Status.FAILED
    assert "No module named 'projdep'" in verdict.feedback
    assert verdict.details["interpreter_source"] == "escalator"
    assert "[validation] test_command" in verdict.details["env"]


def test_venv_and_tox_environments_are_found(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    tox_python = ws / ".tox" / "py311" / "bin" / "python"
    tox_python.parent.mkdir(parents=True)
    tox_python.symlink_to(sys.executable)
    (ws / ".tox" / "py311" / "lib" / "python3.11" / "site-packages" / "pytest").mkdir(parents=True)
    assert find_project_python(ws).source == "tox"
    _project_venv(ws, "venv")
    assert find_project_python(ws).source == "venv"
