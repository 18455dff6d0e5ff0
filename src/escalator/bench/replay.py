"""The replay book: which problem a prompt is about, and what model M answers to it.

Pure logic behind the replay fleet's HTTP server. A problem is recognised from the
prompt text: the engine's prompt holds the stub file, i.e. the problem's prompt (the
entry-point ``def`` line and its docstring). Whitespace is collapsed on both sides so
re-indented or re-wrapped copies still match; when no full copy is found the entry-point
signature alone decides, if it names one problem. The k-th request about a problem to a
model gets that model's sample k (the last sample repeats). Hidden tests are never read.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from escalator.bench.suite import Problem, Suite
from escalator.bench.tokens import count_tokens

__all__ = [
    "NON_ANSWER",
    "SOLUTION_FILE",
    "Answer",
    "ReplayBook",
    "recognition_key",
    "whole_file_answer",
]

SOLUTION_FILE = "solution.py"
NON_ANSWER = "I cannot help with that."
_DEF_RE = re.compile(r"\bdef\s+([A-Za-z_]\w*)\s*\(")
_WS_RE = re.compile(r"\s+")


def _collapse(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _entry_part(problem: Problem) -> str:
    """The problem's prompt from the entry-point ``def`` on (signature + docstring)."""
    match = re.search(rf"^\s*def\s+{re.escape(problem.entry_point)}\s*\(", problem.prompt, re.M)
    return problem.prompt[match.start() :] if match else problem.prompt


def recognition_key(problem: Problem) -> tuple[str, str]:
    """(collapsed signature + docstring, collapsed signature line) of a problem."""
    part = _entry_part(problem)
    first_line = part.strip().split("\n", 1)[0]
    return _collapse(part), _collapse(first_line)


def _fence(content: str) -> str:
    runs = [len(m.group(1)) for m in re.finditer(r"^\s*(`{3,})", content, re.M)]
    return "`" * max(3, max(runs, default=2) + 1)


def whole_file_answer(path: str, content: str) -> str:
    """A whole-file edit: the path alone on a line, then a fenced block with the file."""
    body = content if content.endswith("\n") else content + "\n"
    fence = _fence(body)
    return f"{path}\n{fence}python\n{body}{fence}\n"


def solution_text(problem: Problem, code: str) -> str:
    """The file a recorded answer stands for: the context, a newline, the code."""
    return problem.context + "\n" + code


@dataclass(frozen=True)
class Answer:
    """What the fleet replies: text, its cl100k token count, and what it was."""

    text: str
    tokens: int
    problem_id: str | None
    sample: int | None


class ReplayBook:
    """Recognises problems and hands out each model's samples in order (thread-safe)."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._keys = {p.id: recognition_key(p) for p in suite.problems}
        self._by_entry: dict[str, list[Problem]] = {}
        for p in suite.problems:
            self._by_entry.setdefault(p.entry_point, []).append(p)
        self._asked: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._token_cache: dict[tuple[str, str, int], int] = {}

    def recognise(self, prompt: str) -> Problem | None:
        """The problem whose stub the prompt contains, or None."""
        names = {m.group(1) for m in _DEF_RE.finditer(prompt)}
        candidates = [p for n in names for p in self._by_entry.get(n, [])]
        if not candidates:
            return None
        text = _collapse(prompt)
        full = [(text.find(self._keys[p.id][0]), p) for p in candidates]
        full = [(pos, p) for pos, p in full if pos >= 0]
        if full:
            # Earliest copy wins (the stub precedes feedback); then the longest key.
            full.sort(key=lambda item: (item[0], -len(self._keys[item[1].id][0])))
            return full[0][1]
        by_signature = [p for p in candidates if self._keys[p.id][1] in text]
        return by_signature[0] if len(by_signature) == 1 else None

    def answer(self, model: str, prompt: str) -> Answer:
        """Model ``model``'s next recorded answer to the problem in ``prompt``."""
        problem = self.recognise(prompt)
        samples = self.suite.samples(model, problem.id) if problem else []
        if problem is None or not samples:
            return Answer(NON_ANSWER, count_tokens(NON_ANSWER), None, None)
        with self._lock:
            k = self._asked.get((model, problem.id), 0)
            self._asked[(model, problem.id)] = k + 1
        index = min(k, len(samples) - 1)
        text = whole_file_answer(SOLUTION_FILE, solution_text(problem, samples[index].code))
        return Answer(text, self.answer_tokens(model, problem.id, index), problem.id, index)

    def answer_tokens(self, model: str, problem_id: str, sample: int = 0) -> int:
        """cl100k tokens of the reply model ``model`` gives with sample ``sample``."""
        key = (model, problem_id, sample)
        cached = self._token_cache.get(key)
        if cached is not None:
            return cached
        problem = self.suite.problem(problem_id)
        code = self.suite.samples(model, problem_id)[sample].code
        tokens = count_tokens(whole_file_answer(SOLUTION_FILE, solution_text(problem, code)))
        self._token_cache[key] = tokens
        return tokens

    def times_asked(self, model: str, problem_id: str) -> int:
        with self._lock:
            return self._asked.get((model, problem_id), 0)
