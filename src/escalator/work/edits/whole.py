"""The ``WHOLE`` format: one fenced block with the complete new content per file,
checked against elisions (``...``), diffs and fragments of a larger file."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping, Sequence

from escalator.languages import suffix_of
from escalator.work.edits.fences import _Block, _language_fits, _scan_fences
from escalator.work.edits.formats import _WHOLE_REMINDER, EditParseError, ParseFailure
from escalator.work.edits.paths import _path_in_info, _path_in_line, _resolve

_COMMENT_LABEL_RE = re.compile(
    r"^\s*(?:#|//|--|;|/\*|<!--)\s*(?:file(?:name)?\s*:\s*)?(\S+?)\s*(?:\*/|-->)?\s*$", re.I
)
_ELISION_RE = re.compile(
    r"^\s*(?:#|//|/\*|<!--|--|\*)\s*.*(?:\.\.\.|…).*"
    r"(?:existing|unchanged|rest|remaining|same|omitted|previous|other|as before|code)",
    re.I,
)
_DIFF_START_RE = re.compile(r"^(?:--- |\+\+\+ |@@ |diff --git )")


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
