"""Which problem of a suite a request is about, from the whole prompt text.

The replay fleet must recognise a problem however its prompt is shaped (a HumanEval stub
with a ``def`` line, a plain description with an example ``assert`` and no ``def``, a
prompt after helper definitions) and however the engine wraps it (a task section, fenced
files, feedback, an escalation brief). Both sides are cut into word shingles (``SHINGLE``
consecutive words), so punctuation, indentation, fences and line prefixes do not matter.
A problem's *coverage* is the share of its prompt's shingles that the request holds, each
weighted by 1 / the number of problems sharing it, so boilerplate such as "Write a
function to" counts for little.

Among the problems covered at least ``MIN_COVERAGE``: one whose whole prompt appears
verbatim (whitespace collapsed) wins, the earliest copy first (the task precedes the
feedback), then the longest prompt; otherwise the best coverage, then the earliest match.
When nothing is covered enough, a ``def <entry_point>(...)`` signature line of a prompt
decides if it names exactly one problem. Hidden tests and solutions are never read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from escalator.bench.suite import Problem

__all__ = ["MIN_COVERAGE", "SHINGLE", "ProblemIndex", "collapse", "signature_line"]

SHINGLE = 4
MIN_COVERAGE = 0.6
_WORD_RE = re.compile(r"\w+")
_WS_RE = re.compile(r"\s+")

Shingle = tuple[str, ...]


def collapse(text: str) -> str:
    """``text`` with every run of whitespace made one space, stripped."""
    return _WS_RE.sub(" ", text).strip()


def _shingles(text: str) -> list[Shingle]:
    words = _WORD_RE.findall(text)
    if not words:
        return []
    size = min(SHINGLE, len(words))
    return [tuple(words[i : i + size]) for i in range(len(words) - size + 1)]


def signature_line(problem: Problem) -> str | None:
    """The collapsed ``def <entry_point>(...`` line of the prompt, if it has one."""
    pattern = rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(problem.entry_point)}[ \t]*\(.*$"
    match = re.search(pattern, problem.prompt, re.M)
    return collapse(match.group(0)) if match else None


@dataclass(frozen=True)
class _Match:
    problem: Problem
    coverage: float
    first: int  # index of the request's earliest shingle that belongs to the problem
    verbatim: int  # position of the collapsed prompt in the collapsed request, -1: none


class ProblemIndex:
    """An inverted index from shingles to problems, built once per suite."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self._problems = list(problems)
        self._keys = {p.id: collapse(p.prompt) for p in self._problems}
        self._signatures = {p.id: signature_line(p) for p in self._problems}
        owners: dict[Shingle, set[int]] = defaultdict(set)
        self._own: list[set[Shingle]] = []
        for number, problem in enumerate(self._problems):
            own = set(_shingles(problem.prompt))
            self._own.append(own)
            for shingle in own:
                owners[shingle].add(number)
        self._owners = {s: tuple(sorted(n)) for s, n in owners.items()}
        self._weight = {s: 1.0 / len(n) for s, n in self._owners.items()}
        self._total = [sum(self._weight[s] for s in own) for own in self._own]

    def recognise(self, prompt: str) -> Problem | None:
        """The problem the prompt is about, or None when no problem fits."""
        matches = self._matches(prompt)
        if matches:
            return _best(matches)
        return self._by_signature(collapse(prompt))

    def _matches(self, prompt: str) -> list[_Match]:
        first_seen: dict[Shingle, int] = {}
        for position, shingle in enumerate(_shingles(prompt)):
            first_seen.setdefault(shingle, position)
        covered: dict[int, float] = defaultdict(float)
        first: dict[int, int] = {}
        for shingle, position in first_seen.items():
            for number in self._owners.get(shingle, ()):
                covered[number] += self._weight[shingle]
                first[number] = min(first.get(number, position), position)
        text: str | None = None
        out: list[_Match] = []
        for number, weight in covered.items():
            coverage = weight / self._total[number] if self._total[number] else 0.0
            if coverage < MIN_COVERAGE:
                continue
            text = collapse(prompt) if text is None else text
            problem = self._problems[number]
            verbatim = text.find(self._keys[problem.id]) if self._keys[problem.id] else -1
            out.append(_Match(problem, coverage, first[number], verbatim))
        return out

    def _by_signature(self, text: str) -> Problem | None:
        found = [
            p for p in self._problems if (sig := self._signatures[p.id]) is not None and sig in text
        ]
        return found[0] if len(found) == 1 else None


def _best(matches: list[_Match]) -> Problem:
    verbatim = [m for m in matches if m.verbatim >= 0]
    if verbatim:
        chosen = min(verbatim, key=lambda m: (m.verbatim, -len(m.problem.prompt)))
    else:
        chosen = min(matches, key=lambda m: (-round(m.coverage, 6), m.first))
    return chosen.problem
