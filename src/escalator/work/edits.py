"""Edit formats: turn a worker model's answer into the new content of each file.

Two formats, chosen per model (``ModelSpec.edit_format``):

- ``WHOLE``: one fenced block per changed file holding the complete new file. Local
  models handle it best. The path may sit on the line before the fence, in the fence's
  info string (```` ```python src/app.py ````) or in a first-line comment.
- ``SEARCH_REPLACE`` (aider style): the path, then ``<<<<<<< SEARCH`` / ``=======`` /
  ``>>>>>>> REPLACE`` blocks applied to the current text: exact match first, then a
  match that ignores trailing whitespace and uniform indentation.

Either parser tolerates chatter, fences with or without language tags, Qwen3
``<think>`` blocks and Windows newlines, and falls back to the other format when the
model used it. A line ``DELETE path`` outside code blocks deletes a given file. An
answer that cannot be used raises ``EditParseError`` whose message is feedback written
for the model: what was wrong and the exact format to use. Everything here is pure:
edits are applied to the ``files`` mapping passed in, never to a disk.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from escalator.errors import EscalatorError
from escalator.languages import FILE_SUFFIXES, fence_language, fence_tags, suffix_of
from escalator.registry import EditFormat

__all__ = [
    "EditParseError",
    "EditSet",
    "ParseFailure",
    "fence_for",
    "fence_language",
    "format_reminder",
    "normalise_output",
    "parse_edits",
    "strip_thinking",
]


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


# --------------------------------------------------------------------------- formats

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


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run at the start of a line in ``content``."""
    longest = max((len(m.group(1)) for m in re.finditer(r"^\s*(`{3,})", content, re.M)), default=2)
    return "`" * max(3, longest + 1)


def _language_fits(tag: str, path: str) -> bool:
    tags = fence_tags(path)
    return not tag or tags is None or tag.lower() in tags


# --------------------------------------------------------------------------- text prep

_THINK_TAGS = "think|thinking|reasoning"
_LEADING_THINK_RE = re.compile(rf"^\s*<({_THINK_TAGS})>.*?</\1>", re.S | re.I)
_OPEN_THINK_RE = re.compile(rf"^\s*<({_THINK_TAGS})>", re.I)
_ORPHAN_CLOSE_RE = re.compile(rf"</({_THINK_TAGS})>", re.I)
_FENCE_LINE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
_ANY_FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})", re.M)


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_thinking(text: str) -> str:
    """Drop Qwen3-style ``<think>...</think>`` reasoning that precedes the answer.

    Also drops everything up to an orphan ``</think>`` (the chat template opened the
    tag) and everything after an unclosed leading ``<think>`` (the answer never came).
    """
    text = _unix_newlines(text)
    while match := _LEADING_THINK_RE.match(text):
        text = text[match.end() :]
    if _OPEN_THINK_RE.match(text):
        return ""
    orphan = _ORPHAN_CLOSE_RE.search(text)
    if orphan and not _ANY_FENCE_RE.search(text[: orphan.start()]):
        text = text[orphan.end() :]
    return text


def _still_thinking(text: str) -> bool:
    text = _unix_newlines(text)
    while match := _LEADING_THINK_RE.match(text):
        text = text[match.end() :]
    return bool(_OPEN_THINK_RE.match(text))


def normalise_output(text: str) -> str:
    """A canonical form of an answer, to spot a retry that repeats the last answer.

    Thinking, fence lines, trailing whitespace and blank lines are dropped.
    """
    lines = strip_thinking(text).split("\n")
    kept = [ln.rstrip() for ln in lines if ln.strip() and not _FENCE_LINE_RE.match(ln)]
    return "\n".join(kept)


# --------------------------------------------------------------------------- paths

_PATH_TOKEN_RE = re.compile(r"[\w.\-/+@:]+")
_LABEL_PREFIX_RE = re.compile(
    r"^(?:#{1,6}\s*|[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__)?\s*"
    r"(?:(?:updated|new|modified|changed|complete|full|fixed)\s+)?"
    r"(?:(?:file(?:name)?|path)\s*:\s*)?",
    re.I,
)
_DECORATION = "`*'\"_[]()<>"


def _clean_token(token: str) -> str:
    token = token.strip().strip(_DECORATION).rstrip(":,;.").strip(_DECORATION)
    token = token.replace("\\", "/")
    while token.startswith("./"):
        token = token[2:]
    return token


def _is_unsafe(path: str) -> bool:
    parts = path.split("/")
    return path.startswith("/") or ".." in parts or bool(re.match(r"^[A-Za-z]:", path))


def _path_shaped(token: str) -> bool:
    """Looks like a file path: has a folder or a known extension (``e.g`` does not)."""
    if not token or not _PATH_TOKEN_RE.fullmatch(token) or token.endswith("/"):
        return False
    return "/" in token.lstrip("/") or suffix_of(token) in FILE_SUFFIXES


def _known_match(token: str, files: Mapping[str, str | None]) -> str | None:
    """``token`` as one of the known paths: exact, or one unique suffix match."""
    if token in files:
        return token
    hits = [p for p in files if p.endswith("/" + token) or token.endswith("/" + p)]
    return hits[0] if len(hits) == 1 else None


def _resolve(token: str, files: Mapping[str, str | None], *, allow_new: bool) -> str | None:
    """A path the answer names, as a key of ``files`` or a safe new relative path."""
    token = _clean_token(token)
    known = _known_match(token, files)
    if known is not None:
        return known
    if not allow_new or not _path_shaped(token):
        return None
    if _is_unsafe(token):
        raise EditParseError(
            f"The path {token!r} is not allowed: use a path relative to the workspace root, "
            "without '..', such as the paths shown in the prompt.",
            reason=ParseFailure.UNSAFE_PATH,
        )
    return token


def _path_in_line(line: str, files: Mapping[str, str | None]) -> str | None:
    """The path a label line names: the whole line, else one known path in chatter,
    else one new path in backticks (``## `src/util.py` (new file)``)."""
    stripped = line.strip()
    if not stripped:
        return None
    label = _LABEL_PREFIX_RE.sub("", stripped, count=1).strip()
    label = re.sub(r"(\*\*|__)\s*:?\s*$", "", label).strip()
    if label and " " not in label:
        found = _resolve(label, files, allow_new=True)
        if found is not None:
            return found
    hits = {
        hit
        for tok in re.split(r"\s+", stripped)
        if (hit := _known_match(_clean_token(tok), files)) is not None
    }
    if hits:
        return hits.pop() if len(hits) == 1 else None
    quoted = {_clean_token(tok) for tok in re.findall(r"`([^`\s]+)`", stripped)}
    new = [tok for tok in quoted if _path_shaped(tok) and not _is_unsafe(tok)]
    return new[0] if len(new) == 1 else None


def _path_in_info(info: str, files: Mapping[str, str | None]) -> str | None:
    """A path in a fence info string: ``python src/a.py``, ``python:a.py``, ``title="a.py"``."""
    for raw in re.split(r"[\s:]+", info):
        token = re.sub(r"^\w+=", "", raw)
        found = _resolve(token, files, allow_new=True)
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------- fences


@dataclass(frozen=True)
class _Block:
    info: str
    lines: tuple[str, ...]
    before: str  # the nearest non-blank line before the opening fence
    line_no: int


@dataclass(frozen=True)
class _Scan:
    blocks: tuple[_Block, ...]
    outside: tuple[str, ...]  # lines that are not inside any fenced block


_OPEN_FENCE_RE = re.compile(r"^( *)(`{3,}|~{3,})\s*([^`]*?)\s*$")


def _is_close(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _scan_fences(text: str) -> _Scan:
    """Split an answer into fenced blocks and the prose around them."""
    lines = text.split("\n")
    blocks: list[_Block] = []
    outside: list[str] = []
    before = ""  # the last non-blank prose line since the previous block
    i = 0
    while i < len(lines):
        match = _OPEN_FENCE_RE.match(lines[i])
        if not match:
            outside.append(lines[i])
            before = lines[i] if lines[i].strip() else before
            i += 1
            continue
        indent, fence, info = len(match.group(1)), match.group(2), match.group(3)
        end = next((j for j in range(i + 1, len(lines)) if _is_close(lines[j], fence)), None)
        if end is None:
            if any(ln.strip() for ln in lines[i + 1 :]):
                raise _truncated(info, i + 1)
            break  # a stray fence at the very end closes nothing
        body = tuple(_dedent_line(ln, indent) for ln in lines[i + 1 : end])
        blocks.append(_Block(info, body, before, i + 1))
        before = ""
        i = end + 1
    return _Scan(tuple(blocks), tuple(outside))


def _dedent_line(line: str, indent: int) -> str:
    cut = min(indent, len(line) - len(line.lstrip(" ")))
    return line[cut:]


def _truncated(info: str, line_no: int) -> EditParseError:
    what = f" ({info})" if info else ""
    return EditParseError(
        f"Your answer ended inside an unclosed code block{what} that starts on line "
        f"{line_no}: it was probably cut off by the output limit. Answer again with each "
        "complete block closed by its fence, and leave out explanations to save space.",
        reason=ParseFailure.TRUNCATED,
    )


# --------------------------------------------------------------------------- whole files

_COMMENT_LABEL_RE = re.compile(
    r"^\s*(?:#|//|--|;|/\*|<!--)\s*(?:file(?:name)?\s*:\s*)?(\S+?)\s*(?:\*/|-->)?\s*$", re.I
)
_ELISION_RE = re.compile(
    r"^\s*(?:#|//|/\*|<!--|--|\*)\s*.*(?:\.\.\.|…).*"
    r"(?:existing|unchanged|rest|remaining|same|omitted|previous|other|as before|code)",
    re.I,
)
_DIFF_START_RE = re.compile(r"^(?:--- |\+\+\+ |@@ |diff --git )")
_SEARCH_RE = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_DIVIDER_RE = re.compile(r"^\s*={5,9}\s*$")
_REPLACE_RE = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")
_DELETE_RE = re.compile(r"^\s*(?:DELETE|REMOVE)(?: FILE)?:?\s+(\S+)\s*$")


def _labelled(block: _Block, files: Mapping[str, str | None]) -> tuple[str | None, list[str]]:
    """The path a block names and its lines (a first-line path comment removed)."""
    lines = list(block.lines)
    path = _path_in_info(block.info, files) or _path_in_line(block.before, files)
    if path is not None or not lines:
        return path, lines
    match = _COMMENT_LABEL_RE.match(lines[0])
    if match is None:
        return None, lines
    path = _resolve(match.group(1), files, allow_new=True)
    if path is None:
        return None, lines
    original = files.get(path)
    keeps_line = original is not None and original.split("\n", 1)[0] == lines[0]
    return path, lines if keeps_line else lines[1:]


def _python_module(source: str) -> ast.Module | None:
    """``source`` parsed as Python, or None (warnings about odd escapes are silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError):
            return None


def _unfenced_program(answer: str, path: str) -> list[str] | None:
    """An unfenced answer for one Python file, accepted only when it is a real program."""
    if suffix_of(path) not in (".py", ".pyi"):
        return None
    module = _python_module(answer)
    if module is None or not any(not isinstance(node, ast.Expr) for node in module.body):
        return None
    return answer.strip("\n").split("\n")


def _choose_unlabelled(blocks: Sequence[_Block], path: str) -> list[str] | None:
    """The block meant for the one file in play, when no block names a file."""
    fitting = [b for b in blocks if _language_fits(b.info.split(" ")[0], path)]
    if not fitting:
        return None
    best = max(fitting, key=lambda b: sum(len(ln) for ln in b.lines))
    several_py = len(fitting) > 1 and suffix_of(path) == ".py"
    if several_py and _python_module("\n".join(best.lines)) is None:
        return None
    return list(best.lines)


def _file_contents(lines: Sequence[str], original: str | None) -> str:
    """Block lines as file text: keeps the original's newline style and final newline."""
    text = "\n".join(lines)
    if original is None or original.endswith(("\n", "\r")) or not original:
        text += "\n"
    if original is not None and "\r\n" in original:
        text = text.replace("\n", "\r\n")
    return text


def _check_whole(path: str, lines: Sequence[str], original: str | None) -> None:
    """Reject diffs and lazy answers that elide code with a '... unchanged' comment."""
    if lines and _DIFF_START_RE.match(lines[0]) and not (original or "").startswith(lines[0]):
        raise EditParseError(
            f"Your answer for {path} is a diff; send the whole new file instead.\n\n"
            + _WHOLE_REMINDER,
            reason=ParseFailure.WRONG_FORMAT,
        )
    original_lines = set((original or "").split("\n"))
    for line in lines:
        if _ELISION_RE.match(line) and line not in original_lines:
            raise EditParseError(
                f"Your answer for {path} leaves code out ({line.strip()!r}). The whole-file "
                "format replaces the file with exactly what you send, so write out every "
                "line, including the unchanged ones.\n\n" + _WHOLE_REMINDER,
                reason=ParseFailure.ELIDED,
            )


def _top_level_names(source: str) -> set[str] | None:
    module = _python_module(source)
    if module is None:
        return None
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in module.body if isinstance(node, kinds)}


_FIRST_TEXT_LINE_RE = re.compile(r"^.*\S.*$", re.M)


def _fragment_problem(lines: Sequence[str], original: str) -> str | None:
    """Why a Python answer looks like a piece of the file rather than all of it."""
    first = next((ln for ln in lines if ln.strip()), "")
    orig_first = _FIRST_TEXT_LINE_RE.search(original)
    if first[:1].isspace() and orig_first is not None and not orig_first.group(0)[:1].isspace():
        return "starts with an indented line, so it is only a function body"
    if sum(len(ln) + 1 for ln in lines) >= len(original) / 2:
        return None  # not much shorter: no need to parse (parsing costs ~1 ms per KB)
    before, after = _top_level_names(original), _top_level_names("\n".join(lines))
    if before is None or after is None:
        return None
    missing = sorted(before - after)
    if len(missing) >= 2 and after <= before:
        return "drops " + ", ".join(missing[:5]) + ", which the file defines"
    return None


def _check_fragment(path: str, lines: Sequence[str], original: str | None) -> None:
    """Reject a Python answer that holds only the changed part of an existing file."""
    if original is None or suffix_of(path) not in (".py", ".pyi"):
        return
    problem = _fragment_problem(lines, original)
    if problem is not None:
        raise EditParseError(
            f"Your answer for {path} {problem}. The whole-file format replaces the file with "
            "exactly what you send: send the complete file.\n\n" + _WHOLE_REMINDER,
            reason=ParseFailure.ELIDED,
        )


def _whole_blocks(answer: str, files: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Lines per path from a whole-file answer."""
    scan = _scan_fences(answer)
    found: dict[str, list[str]] = {}
    unlabelled: list[_Block] = []
    for block in scan.blocks:
        path, lines = _labelled(block, files)
        if path is None:
            unlabelled.append(block)
        else:
            found[path] = lines  # a later block for the same file wins
    if found:
        return found
    only = next(iter(files)) if len(files) == 1 else None
    if only is not None:
        chosen = (
            _choose_unlabelled(unlabelled, only) if unlabelled else _unfenced_program(answer, only)
        )
        if chosen is not None:
            return {only: chosen}
    raise _no_whole_blocks(bool(scan.blocks), files, answer)


def _no_whole_blocks(
    had_blocks: bool, files: Mapping[str, str | None], answer: str
) -> EditParseError:
    names = ", ".join(sorted(files)) or "(none given)"
    first = _FIRST_TEXT_LINE_RE.search(answer)
    if had_blocks:
        problem = (
            "None of the code blocks in your answer says which file it is for "
            f"(files in play: {names})."
        )
        reason = ParseFailure.NO_PATH
    elif first is not None and first.group(0)[:1].isspace():
        problem = (
            "Your answer is unfenced code that starts with an indented line: it looks like "
            "a function body, not the whole file."
        )
        reason = ParseFailure.WRONG_FORMAT
    else:
        problem = "Your answer contains no code block with a file's new content."
        reason = ParseFailure.PROSE_ONLY
    return EditParseError(f"{problem}\n\n{_WHOLE_REMINDER}", reason=reason)


def _parse_whole(answer: str, files: Mapping[str, str | None]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for path, lines in _whole_blocks(answer, files).items():
        original = files.get(path)
        _check_whole(path, lines, original)
        _check_fragment(path, lines, original)
        result[path] = _file_contents(lines, original)
    return result


# --------------------------------------------------------------------------- search/replace


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


# --------------------------------------------------------------------------- entry point


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


def _answer_text(text: str) -> str:
    if _still_thinking(text):
        raise EditParseError(
            "Your answer ended while still thinking (no closing </think>), so it holds no "
            "edits. Think briefly, then give the answer in the required format.",
            reason=ParseFailure.TRUNCATED,
        )
    answer = strip_thinking(text)
    if not answer.strip():
        raise EditParseError(
            "Your answer was empty. Give the edits in the required format.",
            reason=ParseFailure.EMPTY,
        )
    return answer


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
