"""The ``SEARCH_REPLACE`` format (aider style): blocks applied to the current text,
exact match first, then ignoring trailing whitespace and uniform indentation."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from escalator.work.edits.fences import _OPEN_FENCE_RE
from escalator.work.edits.formats import _SEARCH_REPLACE_REMINDER, EditParseError, ParseFailure
from escalator.work.edits.paths import _path_in_info, _path_in_line

_SEARCH_RE = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_DIVIDER_RE = re.compile(r"^\s*={5,9}\s*$")
_REPLACE_RE = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")


@dataclass(frozen=True)
class _Replacement:
    path: str | None
    search: tuple[str, ...]
    replace: tuple[str, ...]
    number: int


class _MatchError(Exception):
    """One SEARCH block failed: what went wrong and how the model can fix it."""

    def __init__(self, problem: str, hint: str, reason: ParseFailure) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.reason = reason


def _path_before(lines: Sequence[str], index: int, files: Mapping[str, str | None]) -> str | None:
    """The path named just above a SEARCH marker (skipping blank and fence lines)."""
    for line in reversed(lines[:index]):
        if not line.strip():
            continue
        fence = _OPEN_FENCE_RE.match(line)
        if fence:
            info_path = _path_in_info(fence.group(3), files)
            if info_path is not None:
                return info_path
            continue
        if _REPLACE_RE.match(line):
            return None
        return _path_in_line(line, files)
    return None


def _section_end(lines: Sequence[str], start: int, marker: re.Pattern[str], path: str) -> int:
    end = next((j for j in range(start, len(lines)) if marker.match(lines[j])), None)
    if end is None:
        expected = "=======" if marker is _DIVIDER_RE else ">>>>>>> REPLACE"
        raise EditParseError(
            f"A SEARCH/REPLACE block for {path} has no '{expected}' line: the answer was "
            "probably cut off by the output limit. Send shorter blocks, each one complete.",
            reason=ParseFailure.TRUNCATED,
        )
    return end


def _scan_replacements(
    lines: Sequence[str], files: Mapping[str, str | None]
) -> Iterator[_Replacement]:
    path: str | None = None
    i = 0
    number = 0
    while i < len(lines):
        if not _SEARCH_RE.match(lines[i]):
            i += 1
            continue
        path = _path_before(lines, i, files) or path
        divider = _section_end(lines, i + 1, _DIVIDER_RE, path or "a file")
        end = _section_end(lines, divider + 1, _REPLACE_RE, path or "a file")
        number += 1
        yield _Replacement(
            path, tuple(lines[i + 1 : divider]), tuple(lines[divider + 1 : end]), number
        )
        i = end + 1


def _occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    start = haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _exact_replace(
    content: str, search: Sequence[str], replace: Sequence[str], *, whole_lines: bool
) -> str | None:
    """Replace the one place the SEARCH text occurs; None when it occurs nowhere.

    With ``whole_lines`` each line keeps its newline, so SEARCH takes whole lines
    (and no REPLACE lines deletes them); several hits narrow to those at a line start.
    """
    added = whole_lines and not content.endswith("\n")
    hay = content + "\n" if added else content
    needle, new = "\n".join(search), "\n".join(replace)
    if whole_lines:
        needle, new = needle + "\n", (new + "\n" if replace else "")
    hits = _occurrences(hay, needle)
    if len(hits) > 1:
        hits = [h for h in hits if h == 0 or hay[h - 1] == "\n"] or hits
    if not hits:
        return None
    if len(hits) > 1:
        raise _ambiguous([hay.count("\n", 0, h) + 1 for h in hits])
    out = hay[: hits[0]] + new + hay[hits[0] + len(needle) :]
    return out[:-1] if added and out.endswith("\n") else out


def _ambiguous(line_numbers: Sequence[int]) -> _MatchError:
    where = ", ".join(str(n) for n in line_numbers[:6])
    return _MatchError(
        f"matches {len(line_numbers)} places (lines {where})",
        "Include more of the surrounding lines so that it matches exactly one place.",
        ParseFailure.SEARCH_AMBIGUOUS,
    )


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _window_prefix(window: Sequence[str], search: Sequence[str]) -> str | None:
    """The indentation that turns dedented ``search`` into ``window``, if one does."""
    prefix: str | None = None
    for have, want in zip(window, search, strict=True):
        have = have.rstrip()
        if not want.strip() or not have:
            if want.strip() or have:
                return None
            continue
        if not have.endswith(want) or have[: len(have) - len(want)].strip():
            return None
        this = have[: len(have) - len(want)]
        if prefix is None:
            prefix = this
        elif this != prefix:
            return None
    return prefix


def _dedent(lines: Sequence[str]) -> tuple[list[str], str]:
    nonblank = [ln for ln in lines if ln.strip()]
    common = min((_indent(ln) for ln in nonblank), key=len, default="")
    while common and not all(ln.startswith(common) for ln in nonblank):
        common = common[:-1]
    out = [ln[len(common) :].rstrip() if ln.strip() else "" for ln in lines]
    return out, common


def _fuzzy_replace(content: str, search: Sequence[str], replace: Sequence[str]) -> str | None:
    """Match lines ignoring trailing whitespace and uniform indentation; reindent REPLACE."""
    wanted, search_indent = _dedent(search)
    if not any(wanted):
        return None
    lines = content.split("\n")
    hits: list[tuple[int, str]] = []
    for start in range(len(lines) - len(wanted) + 1):
        prefix = _window_prefix(lines[start : start + len(wanted)], wanted)
        if prefix is not None:
            hits.append((start, prefix))
    if not hits:
        return None
    if len(hits) > 1:
        raise _ambiguous([start + 1 for start, _ in hits])
    start, prefix = hits[0]
    new = list(replace) if prefix == search_indent else _reindent(replace, search_indent, prefix)
    return "\n".join(lines[:start] + new + lines[start + len(wanted) :])


def _reindent(lines: Sequence[str], old: str, new: str) -> list[str]:
    """Move ``lines`` from indentation ``old`` to ``new`` (the file's, where SEARCH matched)."""
    return [
        new + (ln[len(old) :] if ln.startswith(old) else ln.lstrip()) if ln.strip() else ln
        for ln in lines
    ]


def _trim_blank_edges(lines: Sequence[str]) -> list[str]:
    out = list(lines)
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def _replace_once(content: str, search: Sequence[str], replace: Sequence[str]) -> str:
    """Apply one SEARCH/REPLACE: exact, then whitespace-tolerant; raise when not unique."""
    for whole_lines in (True, False):
        out = _exact_replace(content, search, replace, whole_lines=whole_lines)
        if out is not None:
            return out
    for candidate in (search, _trim_blank_edges(search)):
        fuzzy = _fuzzy_replace(content, candidate, replace)
        if fuzzy is not None:
            return fuzzy
    raise _MatchError(
        "does not match the file", _not_found_hint(content, search), ParseFailure.SEARCH_NOT_FOUND
    )


def _not_found_hint(content: str, search: Sequence[str]) -> str:
    message = "Copy the existing lines exactly: same indentation, comments and blank lines"
    first = next((ln.strip() for ln in search if ln.strip()), "")
    lines = content.split("\n")
    close = difflib.get_close_matches(first, [ln.strip() for ln in lines], n=1, cutoff=0.6)
    if not close:
        return message + "."
    start = next(i for i, ln in enumerate(lines) if ln.strip() == close[0])
    shown = "\n".join(lines[start : start + min(max(len(search), 1), 12)])
    return f"{message}. The closest lines in the file (from line {start + 1}) are:\n{shown}"


def _apply_replacement(content: str | None, block: _Replacement, path: str) -> str:
    if not any(ln.strip() for ln in block.search):
        added = "\n".join(block.replace) + "\n" if block.replace else ""
        if content is None or not content.strip():
            return added
        return content + ("" if content.endswith("\n") else "\n") + added
    if content is None:
        raise _MatchError(
            "edits a file that does not exist",
            "To create it, leave the SEARCH section empty and put the whole file in REPLACE.",
            ParseFailure.MISSING_FILE,
        )
    if "\r\n" in content:
        return _replace_once(content.replace("\r\n", "\n"), block.search, block.replace).replace(
            "\n", "\r\n"
        )
    return _replace_once(content, block.search, block.replace)


def _quote(lines: Sequence[str]) -> str:
    shown = [ln for ln in lines if ln.strip()][:3]
    return "\n".join(f"    {ln}" for ln in shown) or "    (empty)"


def _parse_search_replace(answer: str, files: Mapping[str, str | None]) -> dict[str, str | None]:
    current: dict[str, str | None] = dict(files)
    touched: set[str] = set()
    problems: list[tuple[str, ParseFailure]] = []
    only = next(iter(files)) if len(files) == 1 else None
    for block in _scan_replacements(answer.split("\n"), files):
        path = block.path or only
        if path is None:
            problems.append((_unnamed(block, files), ParseFailure.NO_PATH))
            continue
        try:
            current[path] = _apply_replacement(current.get(path), block, path)
            touched.add(path)
        except _MatchError as err:
            text = (
                f"SEARCH block {block.number} for {path} {err.problem}. Its SEARCH section "
                f"begins:\n{_quote(block.search)}\n{err.hint}"
            )
            problems.append((text, err.reason))
    if problems:
        body = "\n\n".join(text for text, _ in problems[:5])
        raise EditParseError(
            f"{body}\n\nNone of your blocks were applied: send all of them again, corrected.\n\n"
            + _SEARCH_REPLACE_REMINDER,
            reason=problems[0][1],
        )
    return {path: current[path] for path in touched}


def _unnamed(block: _Replacement, files: Mapping[str, str | None]) -> str:
    names = ", ".join(sorted(files)) or "(none given)"
    return (
        f"SEARCH block {block.number} does not say which file it edits (files in play: "
        f"{names}); put the path alone on the line before it"
    )
