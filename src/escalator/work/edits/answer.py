"""The answer as text: thinking blocks dropped, newlines unified, and a canonical form
to spot a retry that repeats itself."""

from __future__ import annotations

import re

from escalator.work.edits.formats import EditParseError, ParseFailure

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
