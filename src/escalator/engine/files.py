"""The workspace files a worker sees, and the tests a change is judged by.

What counts as a project file and as a test is ``escalator.workspace``'s one rule.
"""

from __future__ import annotations

from pathlib import Path

from escalator.workspace import gather_files, is_test_file

__all__ = ["gather_files", "is_test_file", "protected_tests"]


def protected_tests(
    workspace: Path, given: tuple[str, ...], changed: dict[str, str | None]
) -> list[str]:
    """Existing tests the user did not hand over that a change touches (new tests are fine)."""
    return sorted(
        p for p in changed if is_test_file(p) and p not in given and (workspace / p).exists()
    )
