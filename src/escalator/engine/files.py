"""The workspace files a worker sees, and the tests a change is judged by."""

from __future__ import annotations

from pathlib import Path

__all__ = ["gather_files", "is_test_file", "protected_tests"]

_TEXT_SUFFIXES = {
    ".py",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".go",
    ".rs",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".hpp",
    ".rb",
    ".sh",
    ".json",
    ".yaml",
    ".yml",
    ".toml",
    ".md",
    ".txt",
    ".cfg",
    ".ini",
}
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
    ".tox",
}


def is_test_file(rel: str) -> bool:
    """Test files by the usual conventions (pytest, Go, JS): the tests a change is judged by."""
    parts = rel.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(p in ("tests", "test", "__tests__") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", ".test.js", ".test.ts", ".spec.js", ".spec.ts"))
        or name == "conftest.py"
    )


def protected_tests(
    workspace: Path, given: tuple[str, ...], changed: dict[str, str | None]
) -> list[str]:
    """Existing tests the user did not hand over that a change touches (new tests are fine)."""
    return sorted(
        p for p in changed if is_test_file(p) and p not in given and (workspace / p).exists()
    )


def gather_files(
    workspace: Path, files: tuple[str, ...], *, budget_chars: int = 60_000
) -> dict[str, str | None]:
    """The files the worker sees: the given ones (None = to be created), else the workspace's
    text sources, smallest first, up to a character budget."""
    if files:
        out: dict[str, str | None] = {}
        for rel in files:
            path = workspace / rel
            out[rel] = (
                path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            )
        return out
    found: list[tuple[int, str, Path]] = []
    for path in workspace.rglob("*"):
        rel_parts = path.relative_to(workspace).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel_parts[:-1]):
            continue
        if path.is_file() and path.suffix in _TEXT_SUFFIXES:
            found.append((path.stat().st_size, path.relative_to(workspace).as_posix(), path))
    out = {}
    used = 0
    for size, rel, path in sorted(found):
        if used + size > budget_chars:
            break
        out[rel] = path.read_text(encoding="utf-8", errors="replace")
        used += size
    return out
