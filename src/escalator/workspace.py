"""What a project's files are: the one listing, skip set and test-file rule.

Everything that looks at a workspace's (or a sandbox copy's) files goes through here: the
sandbox copying a workspace, the files a worker is shown, the syntax, compile and test
validators looking for what to check, and the agreement validator looking for tests.

* ``project_files``: in a git work tree, the tracked plus untracked-not-ignored files
  (``git ls-files -co --exclude-standard``); elsewhere every file, honouring the root
  ``.gitignore`` roughly (name patterns anywhere, slash patterns from the root, no ``!``).
  Either way without ``SKIP_DIRS``, sorted.
* ``SKIP_DIRS``: folders that are never a project's own source in any language: version
  control, virtual environments, installed dependencies and tool caches. ``build`` and
  ``dist`` are not in it: they are ordinary package names (``src/build/``); generated
  copies there are normally git-ignored, which the listing honours.
* ``is_test_file``: the tests a change is judged by, by the usual conventions of pytest,
  Go, Rust, Java, JavaScript/TypeScript and RSpec: a file inside a ``tests``/``test``/
  ``__tests__``/``spec`` folder (helpers and fixtures there included), a ``test_*`` or
  ``*_test.*`` file, ``*.test.*``/``*.spec.*``, ``*_spec.rb``, and ``conftest.py``. The
  engine protects these from edits the user did not ask for; the agreement validator
  takes inputs from them and never treats their functions as the code under test.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath

from escalator.languages import TEXT_SUFFIXES, suffix_of

__all__ = [
    "SKIP_DIRS",
    "gather_files",
    "is_pytest_module",
    "is_test_file",
    "project_files",
    "walk_files",
]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec"})
_TEST_NAME_RE = re.compile(r"^test_|_test\.\w+$|\.(test|spec)\.\w+$|_spec\.rb$")


def is_pytest_module(name: str) -> bool:
    """A file name pytest collects by default (``test_*.py``, ``*_test.py``)."""
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_file(rel: str) -> bool:
    """Whether the workspace-relative path ``rel`` is a test (see the module docstring)."""
    parts = rel.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(p in _TEST_DIRS for p in parts[:-1])
        or name == "conftest.py"
        or bool(_TEST_NAME_RE.search(name))
    )


# --------------------------------------------------------------------------- listing

Ignored = Callable[[str, str, bool], bool]


def walk_files(root: Path, ignored: Ignored | None = None) -> Iterator[str]:
    """Relative POSIX paths of the files under ``root`` without ``SKIP_DIRS`` (top-down,
    each folder's files sorted).

    ``ignored(rel, name, is_dir)`` prunes more (folders are not entered).
    """
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not (ignored and ignored(_join(rel_dir, d), d, True))
        )
        for name in sorted(filenames):
            rel = _join(rel_dir, name)
            if not (ignored and ignored(rel, name, False)):
                yield rel


def project_files(root: Path) -> list[str]:
    """The project's files under ``root`` (see the module docstring), sorted."""
    listed = _git_files(root)
    if listed is None:
        patterns = _gitignore_patterns(root)
        listed = list(walk_files(root, lambda rel, name, d: _ignored(rel, name, patterns, d)))
    out = []
    for rel in listed:
        if any(p in SKIP_DIRS for p in PurePosixPath(rel).parts):
            continue
        if (root / rel).is_file():
            out.append(rel)
    return sorted(set(out))


def _join(rel_dir: str, name: str) -> str:
    return f"{rel_dir}/{name}" if rel_dir else name


def _git_files(workspace: Path) -> list[str] | None:
    git = shutil.which("git")
    if git is None or not _inside_git(git, workspace):
        return None
    proc = subprocess.run(
        [git, "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=workspace,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _inside_git(git: str, workspace: Path) -> bool:
    proc = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=workspace,
        capture_output=True,
        timeout=30,
        check=False,
    )
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


def _gitignore_patterns(workspace: Path) -> list[str]:
    try:
        text = (workspace / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith(("#", "!"))]


def _ignored(rel: str, name: str, patterns: Sequence[str], is_dir: bool) -> bool:
    """A rough .gitignore match: name patterns anywhere, slash patterns from the root."""
    for raw in patterns:
        pattern = raw
        if pattern.endswith("/"):
            if not is_dir:
                continue
            pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatchcase(rel, pattern.lstrip("/")):
                return True
        elif fnmatch.fnmatchcase(name, pattern):
            return True
    return False


# --------------------------------------------------------------------------- context


def _shown(rel: str) -> bool:
    """A text source outside hidden folders: what a worker is shown unasked."""
    parts = rel.split("/")
    return not any(p.startswith(".") for p in parts[:-1]) and suffix_of(rel) in TEXT_SUFFIXES


def gather_files(
    workspace: Path, files: tuple[str, ...], *, budget_chars: int = 60_000
) -> dict[str, str | None]:
    """The files the worker sees: the given ones (None = to be created), else the project's
    text sources outside hidden folders, smallest first, up to a character budget."""
    if files:
        out: dict[str, str | None] = {}
        for rel in files:
            path = workspace / rel
            out[rel] = (
                path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            )
        return out
    found: list[tuple[int, str]] = []
    for rel in project_files(workspace):
        if _shown(rel):
            found.append(((workspace / rel).stat().st_size, rel))
    out = {}
    used = 0
    for size, rel in sorted(found):
        if used + size > budget_chars:
            break
        out[rel] = (workspace / rel).read_text(encoding="utf-8", errors="replace")
        used += size
    return out
