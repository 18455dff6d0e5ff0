"""The answer formats' shared types: ``EditSet``, ``EditParseError`` and its reasons,
and the format reminders quoted in prompts and feedback."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from escalator.errors import EscalatorError
from escalator.registry import EditFormat


class ParseFailure(StrEnum):
    """Why an answer could not be used; logged with the attempt."""

    EMPTY = "empty"
    PROSE_ONLY = "prose_only"
    TRUNCATED = "truncated"
    NO_PATH = "no_path"
    UNSAFE_PATH = "unsafe_path"
    WRONG_FORMAT = "wrong_format"
    ELIDED = "elided"
    SEARCH_NOT_FOUND = "search_not_found"
    SEARCH_AMBIGUOUS = "search_ambiguous"
    MISSING_FILE = "missing_file"
    UNCHANGED = "unchanged"


class EditParseError(EscalatorError):
    """The worker's answer is unusable; ``str(err)`` is feedback for the model."""

    def __init__(self, message: str, *, reason: ParseFailure) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class EditSet:
    """New content per relative path (``None`` deletes the file); changed files only."""

    files: dict[str, str | None] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted(self.files))

    def diff(self, original: Mapping[str, str | None]) -> str:
        """A unified diff of these edits against ``original`` (for logs and retries)."""
        parts: list[str] = []
        for path in self.paths:
            before = original.get(path)
            after = self.files[path]
            parts.extend(
                difflib.unified_diff(
                    (before or "").splitlines(keepends=True),
                    (after or "").splitlines(keepends=True),
                    fromfile="/dev/null" if before is None else f"a/{path}",
                    tofile="/dev/null" if after is None else f"b/{path}",
                )
            )
            if parts and not parts[-1].endswith("\n"):
                parts[-1] += "\n\\ No newline at end of file\n"
        return "".join(parts)


_WHOLE_REMINDER = """\
Answer with the complete new content of each file you change: the file's path alone on \
one line, then a fenced code block with every line of the file (never "..." or \
"rest unchanged"). Example:

src/greet.py
```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```"""

_SEARCH_REPLACE_REMINDER = """\
Answer with SEARCH/REPLACE blocks: the file's path alone on one line, then
<<<<<<< SEARCH, the existing lines copied exactly (same indentation, comments and \
blank lines, enough of them to match one place only), =======, the new lines, and \
>>>>>>> REPLACE. An empty SEARCH section creates a new file. Example:

src/greet.py
<<<<<<< SEARCH
    return "Hello"
=======
    return f"Hello, {name}!"
>>>>>>> REPLACE"""


def format_reminder(edit_format: EditFormat) -> str:
    """The exact answer format, with a tiny example (used in prompts and feedback)."""
    if edit_format is EditFormat.SEARCH_REPLACE:
        return _SEARCH_REPLACE_REMINDER
    return _WHOLE_REMINDER
