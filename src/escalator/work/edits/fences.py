"""Fenced code blocks: scanning an answer into blocks and the text outside them, and
choosing fences and language tags (``escalator.languages``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from escalator.languages import fence_tags
from escalator.work.edits.formats import EditParseError, ParseFailure


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run at the start of a line in ``content``."""
    longest = max((len(m.group(1)) for m in re.finditer(r"^\s*(`{3,})", content, re.M)), default=2)
    return "`" * max(3, longest + 1)


def _language_fits(tag: str, path: str) -> bool:
    tags = fence_tags(path)
    return not tag or tags is None or tag.lower() in tags


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
