"""The entry point: ``parse_edits`` reads an answer in the format it uses (falling
back to the other one), with ``DELETE path`` lines, and refuses an answer that changes
nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from escalator.registry import EditFormat
from escalator.work.edits.answer import _answer_text
from escalator.work.edits.fences import _scan_fences
from escalator.work.edits.formats import (
    _SEARCH_REPLACE_REMINDER,
    EditParseError,
    EditSet,
    ParseFailure,
    format_reminder,
)
from escalator.work.edits.paths import _clean_token, _known_match
from escalator.work.edits.search_replace import _SEARCH_RE, _parse_search_replace
from escalator.work.edits.whole import _parse_whole

_DELETE_RE = re.compile(r"^\s*(?:DELETE|REMOVE)(?: FILE)?:?\s+(\S+)\s*$")


def _deletions(outside: Sequence[str], files: Mapping[str, str | None]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for line in outside:
        match = _DELETE_RE.match(line)
        if match is None:
            continue
        path = _known_match(_clean_token(match.group(1)), files)
        if path is not None and files[path] is not None:
            out[path] = None
    return out


def _has_markers(answer: str) -> bool:
    return any(_SEARCH_RE.match(line) for line in answer.split("\n"))


def _parse_any(
    answer: str, edit_format: EditFormat, files: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Parse in the format the answer uses: SEARCH markers mean search/replace."""
    if _has_markers(answer):
        return _parse_search_replace(answer, files)
    if edit_format is EditFormat.WHOLE:
        return _parse_whole(answer, files)
    try:
        return _parse_whole(answer, files)
    except EditParseError as err:
        if err.reason is ParseFailure.TRUNCATED:
            raise
        raise EditParseError(
            "Your answer contains no SEARCH/REPLACE blocks.\n\n" + _SEARCH_REPLACE_REMINDER,
            reason=ParseFailure.PROSE_ONLY,
        ) from err


def parse_edits(text: str, *, edit_format: EditFormat, files: Mapping[str, str | None]) -> EditSet:
    """Parse a worker's answer into an ``EditSet`` of the files it changes.

    ``files`` maps each relative path in play to its current text (``None``: does not
    exist yet). Raises ``EditParseError`` with feedback for the model when the answer
    is unusable or changes nothing.
    """
    answer = _answer_text(text)
    deleted = _deletions(_outside_lines(answer), files)
    try:
        edited = _parse_any(answer, edit_format, files)
    except EditParseError as err:
        if not deleted or err.reason is not ParseFailure.PROSE_ONLY:
            raise
        edited = {}  # the answer only deletes files
    changed = {p: c for p, c in (edited | deleted).items() if c != files.get(p)}
    if not changed:
        raise EditParseError(
            "Your answer leaves every file exactly as it was. Make the change the task asks "
            "for.\n\n" + format_reminder(edit_format),
            reason=ParseFailure.UNCHANGED,
        )
    return EditSet(changed)


def _outside_lines(answer: str) -> tuple[str, ...]:
    try:
        return _scan_fences(answer).outside
    except EditParseError:
        return tuple(answer.split("\n"))
