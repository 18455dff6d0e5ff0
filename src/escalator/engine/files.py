"""The workspace files a worker sees, and the tests a change is judged by.

What counts as a project file and as a test is ``escalator.workspace``'s one rule.
"""

from __future__ import annotations

from pathlib import Path

from escalator.validate.judge import JudgeRuling, review_changes
from escalator.workspace import gather_files

__all__ = ["gather_files", "judge_answer"]


def judge_answer(
    workspace: Path,
    given: tuple[str, ...],
    changed: dict[str, str | None],
    test_command: str | None,
) -> JudgeRuling:
    """What the judge makes of an answer: changes to existing tests or test configuration
    the user did not hand over are rejected (``escalator.validate.judge``)."""
    originals = {p: _text_or_none(workspace / p) for p in changed}
    return review_changes(changed, originals, handed_over=given, test_command=test_command)


def _text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    except OSError:
        return None
