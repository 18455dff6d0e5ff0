"""The judge: an answer may not rewrite the tests it is judged by, nor how they run.

``review_changes`` decides, from the changed files alone (pure, no I/O), which changes
of an answer touch the judge. Unless the user handed a file over (``--files``), an answer
is rejected when it

* changes or deletes an existing test file (``escalator.workspace.is_test_file``);
* adds or changes test configuration: ``conftest.py`` anywhere, ``pytest.ini``,
  ``pyproject.toml``'s ``[tool.pytest*]``, the test sections of ``setup.cfg``/``tox.ini``,
  ``noxfile.py``; ``sitecustomize.py``/``usercustomize.py``/``*.pth`` (run at interpreter
  start); for JavaScript ``jest``/``vitest``/``vite``/``mocha``/``ava``/``karma``/
  ``playwright``/``babel`` configs and ``package.json``'s ``scripts`` and runner keys; for
  Rust ``.cargo/config*``, ``build.rs`` and ``Cargo.toml``'s ``[[test]]``/``[lib]``
  harness keys; the test command's own files (a script or Makefile it names);
* adds a module that shadows the test runner or the standard library at an import root
  (``pytest.py``, ``json.py`` at the top or in ``src/``).

New test files are allowed, but they are left out of the judging run (``new_tests``):
a new test module runs inside the test runner and could rewrite its report.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import sys
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from escalator.workspace import is_test_file

__all__ = ["JudgeRuling", "is_test_config", "review_changes"]

_CONFIG_NAMES = frozenset(
    {"conftest.py", "pytest.ini", ".pytest.ini", "noxfile.py", "sitecustomize.py"}
    | {"usercustomize.py", "build.rs", ".babelrc", ".babelrc.json"}
)
_CONFIG_PATTERN = re.compile(
    r"^(jest|vitest|vite|ava|karma|playwright|babel|cypress)\.config\.[a-z]+$"
    r"|^karma\.conf\.[a-z]+$|^\.mocharc(\.[a-z]+)?$|^\.cargo/config(\.toml)?$"
)
_PACKAGE_KEYS = ("scripts", "jest", "mocha", "ava", "vitest", "babel", "c8", "nyc")
_RUNNER_MODULES = frozenset({"pytest", "_pytest", "pluggy", "py", "iniconfig", "xdist"})
_COMMAND_FILES = {"make": ("Makefile", "makefile", "GNUmakefile"), "tox": ("tox.ini",)}
_COMMAND_FILES |= {"nox": ("noxfile.py",)}


@dataclass(frozen=True)
class JudgeRuling:
    """What the judge makes of an answer's changes."""

    rejected: tuple[tuple[str, str], ...] = ()  # (path, why)
    new_tests: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.rejected

    def feedback(self) -> str:
        """For the model: what it may not change, and what to do instead."""
        lines = [f"- {path}: {why}" for path, why in self.rejected]
        return (
            "Your answer changes the tests or test configuration you are judged by:\n"
            + "\n".join(lines)
            + "\nChange the code under test instead, and answer again without those files."
        )


def review_changes(
    changes: Mapping[str, str | None],
    originals: Mapping[str, str | None],
    *,
    handed_over: Collection[str] = (),
    test_command: str | None = None,
) -> JudgeRuling:
    """Judge ``changes`` (path -> new text, None = deleted) against ``originals`` (path ->
    text before, None = the file is new)."""
    given = {_norm(p) for p in handed_over}
    rejected: list[tuple[str, str]] = []
    new_tests: list[str] = []
    for path in sorted(changes):
        rel = _norm(path)
        if rel in given:
            continue
        old, new = originals.get(path), changes[path]
        why = is_test_config(rel, old, new, test_command)
        if why is None and is_test_file(rel) and old is not None:
            why = "an existing test" + (" (deleted)" if new is None else "")
        if why is None and old is None:
            why = _shadowing(rel)
        if why is not None:
            rejected.append((rel, why))
        elif old is None and new is not None and is_test_file(rel):
            new_tests.append(rel)
    return JudgeRuling(tuple(rejected), tuple(new_tests))


def is_test_config(
    rel: str, old: str | None, new: str | None, test_command: str | None = None
) -> str | None:
    """Why changing ``rel`` from ``old`` to ``new`` changes how tests run, or None."""
    name = PurePosixPath(rel).name
    if name in _CONFIG_NAMES or name.endswith(".pth") or _CONFIG_PATTERN.match(_tail(rel)):
        return "test configuration"
    if rel in _command_files(test_command):
        return "a file of the test command"
    section = _changed_section(name, old, new)
    return f"test configuration ({section})" if section else None


def _tail(rel: str) -> str:
    parts = rel.split("/")
    return "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == ".cargo" else parts[-1]


def _changed_section(name: str, old: str | None, new: str | None) -> str | None:
    """For files only partly about tests: the part that differs, or None."""
    if name == "pyproject.toml":
        return _differs(old, new, _pyproject_part, "[tool.pytest]")
    if name in ("setup.cfg", "tox.ini"):
        return _differs(old, new, _ini_part, f"{name} test sections")
    if name == "package.json":
        return _differs(old, new, _package_part, "package.json scripts/runner keys")
    if name == "Cargo.toml":
        return _differs(old, new, _cargo_part, "Cargo.toml [[test]]/[lib]")
    return None


def _differs(old: str | None, new: str | None, part: Any, label: str) -> str | None:
    return label if part(old) != part(new) else None


def _pyproject_part(text: str | None) -> object:
    data = _toml(text)
    tool = data.get("tool", {}) if isinstance(data, dict) else data
    if not isinstance(tool, dict):
        return tool
    return {k: v for k, v in tool.items() if k.startswith("pytest")}


def _cargo_part(text: str | None) -> object:
    data = _toml(text)
    if not isinstance(data, dict):
        return data
    lib = data.get("lib", {})
    lib_keys = {k: lib.get(k) for k in ("test", "harness")} if isinstance(lib, dict) else lib
    return {"test": data.get("test"), "lib": lib_keys}


def _toml(text: str | None) -> object:
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return ("unparsable", text)


def _ini_part(text: str | None) -> object:
    if text is None:
        return {}
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return ("unparsable", text)
    wanted = ("pytest", "tool:pytest", "tox", "testenv", "coverage")
    return {s: dict(parser[s]) for s in parser.sections() if s.startswith(wanted)}


def _package_part(text: str | None) -> object:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return ("unparsable", text)
    if not isinstance(data, dict):
        return data
    return {k: data.get(k) for k in _PACKAGE_KEYS}


def _command_files(test_command: str | None) -> set[str]:
    """Workspace files the test command runs itself: scripts it names, its Makefile."""
    if not test_command:
        return set()
    try:
        words = shlex.split(test_command)
    except ValueError:
        words = test_command.split()
    out: set[str] = set()
    for word in words:
        out.update(_COMMAND_FILES.get(PurePosixPath(word).name, ()))
        rel = word.removeprefix("./")
        looks_like_file = "/" in rel.strip("/") or "." in PurePosixPath(rel).name
        if looks_like_file and not rel.startswith(("-", "/", "..")):
            out.add(_norm(rel))
    return out


def _shadowing(rel: str) -> str | None:
    """A new module at an import root named like the runner or a standard module."""
    parts = PurePosixPath(rel).parts
    at_root = len(parts) == 1 or (len(parts) == 2 and parts[0] == "src")
    package = (len(parts) == 2 and parts[0] != "src") or (len(parts) == 3 and parts[0] == "src")
    if package and parts[-1] == "__init__.py":
        module = parts[-2]
    elif at_root and rel.endswith(".py"):
        module = PurePosixPath(rel).stem
    else:
        return None
    if module in _RUNNER_MODULES or module in sys.stdlib_module_names:
        return f"a new module '{module}' would shadow the test runner or the standard library"
    return None


def _norm(rel: str) -> str:
    return PurePosixPath(rel.replace("\\", "/")).as_posix().removeprefix("./")
