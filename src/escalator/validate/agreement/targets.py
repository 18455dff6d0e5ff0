"""Which functions to compare, and the test files whose literal calls seed their inputs.

The targets are the given ``functions``, or the top-level ``def``s of the candidates'
changed ``.py`` files that are not tests (``escalator.workspace.is_test_file``) and that
the tests call with literal arguments. The test files are the given ones, or every test
file of the project and of the candidates (a candidate's own version of a file wins).
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from escalator.validate.inputs import CallArgs, literal_calls
from escalator.workspace import is_test_file, project_files

__all__ = ["Candidate", "find_targets", "locate", "python_files", "seed_sources", "why_no_targets"]

MAX_TEST_FILES = 200


@dataclass(frozen=True)
class Candidate:
    """One model's answer: rel path -> full new content of the changed Python files."""

    key: str
    model: str
    files: Mapping[str, str]


def defined_functions(source: str) -> set[str] | None:
    """Top-level ``def`` names in a module; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def python_files(files: Mapping[str, str]) -> dict[str, str]:
    """The ``.py`` files of a candidate."""
    return {p: t for p, t in files.items() if p.endswith(".py")}


def workspace_python(root: Path) -> list[str]:
    """Relative paths of the project's ``.py`` files under ``root``."""
    return [rel for rel in project_files(root) if rel.endswith(".py")] if root.is_dir() else []


def find_targets(
    candidates: Sequence[Candidate],
    seed_sources: Sequence[str],
    functions: Sequence[str] | None = None,
) -> dict[str, list[CallArgs]]:
    """Target function -> literal call sites in the tests (only functions with some)."""
    if functions is None:
        names: set[str] = set()
        for cand in candidates:
            for rel, text in python_files(cand.files).items():
                if not is_test_file(rel):
                    names |= defined_functions(text) or set()
        functions = sorted(n for n in names if not n.startswith("test"))
    seeds: dict[str, list[CallArgs]] = {}
    for name in functions:
        calls = [c for src in seed_sources for c in literal_calls(src, name)]
        if calls:
            unique = {c.to_source(): c for c in calls}
            seeds[name] = list(unique.values())
    return seeds


def seed_sources(
    workspace: Path, candidates: Sequence[Candidate], test_files: Sequence[str]
) -> list[str]:
    """Texts of the test files: each candidate's version, else the workspace's."""
    if test_files:
        wanted = list(test_files)
    else:
        found = [p for p in workspace_python(workspace) if is_test_file(p)]
        found += [p for c in candidates for p in c.files if is_test_file(p) and p.endswith(".py")]
        wanted = list(dict.fromkeys(found))[:MAX_TEST_FILES]
    texts: list[str] = []
    for rel in wanted:
        versions = {c.files[rel] for c in candidates if rel in c.files}
        path = workspace / rel
        if not versions and path.is_file():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                versions.add(path.read_text(encoding="utf-8"))
        texts.extend(sorted(versions))
    return texts


def locate(candidate: Candidate, functions: Sequence[str], context: str) -> list[str] | str:
    """Per target function, the changed file that defines it; or an error text."""
    defined: dict[str, str] = {}
    for rel, text in sorted(python_files(candidate.files).items()):
        if is_test_file(rel):
            continue
        names = defined_functions(context + "\n" + text)
        if names is None:
            return f"load:{rel} does not parse"
        for name in names:
            defined.setdefault(name, rel)
    missing = [f for f in functions if f not in defined]
    if missing:
        return "missing:" + ", ".join(missing)
    return [defined[f] for f in functions]


def why_no_targets(functions: Sequence[str] | None, sources: Sequence[str]) -> str:
    """Why nothing can be compared."""
    if not sources:
        return "no test files found to take inputs from (pass test_files)"
    if functions:
        return f"the tests make no call with literal arguments to {', '.join(functions)}"
    return "the tests make no call with literal arguments to a function the candidates define"
