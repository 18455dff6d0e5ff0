"""The replay book: which problem a prompt is about, and what model M answers to it.

Pure logic behind the replay fleet's HTTP server. The problem is recognised from the
whole prompt text (``bench.recognise``: any prompt shape the suite format allows, however
the engine wraps it). The k-th request about a problem to a model gets that model's
sample k (the last sample repeats). Hidden tests are never read.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from escalator.bench.recognise import ProblemIndex
from escalator.bench.suite import Problem, Suite
from escalator.bench.tokens import count_tokens

__all__ = [
    "NON_ANSWER",
    "SOLUTION_FILE",
    "Answer",
    "ReplayBook",
    "whole_file_answer",
]

SOLUTION_FILE = "solution.py"
NON_ANSWER = "I cannot help with that."


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
        self._index = ProblemIndex(suite.problems)
        self._asked: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._token_cache: dict[tuple[str, str, int], int] = {}

    def recognise(self, prompt: str) -> Problem | None:
        """The problem the prompt is about, or None."""
        return self._index.recognise(prompt)

    def answer(self, model: str, prompt: str) -> Answer:
        """Model ``model``'s next recorded answer to the problem in ``prompt``."""
        problem = self.recognise(prompt)
        samples = self.suite.samples(model, problem.id) if problem else []
        if problem is None or not samples:
            pid = problem.id if problem is not None else None
            return Answer(NON_ANSWER, count_tokens(NON_ANSWER), pid, None)
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
