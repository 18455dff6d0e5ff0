"""Rule-based task classification: weighted signals, override rules, a prior, then bands.

The steps: collect the signals that match (title at full weight, the rest of a long
description at half), apply the override rules (a docs-only change is a quick edit whatever
it mentions; tests about a security fix are standard work; a framework migration that moves
live data is critical ...), add a small prior for standard development (the most common
type), take the best-scoring type, and place the complexity inside that type's band from
how strong the evidence is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

from escalator.classify._signals import PREFIX_SIGNALS, SIGNALS, conventional_prefix
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = [
    "BANDS",
    "Classification",
    "RuleEvidence",
    "check_text",
    "classify",
    "force",
    "rule_evidence",
]

Q = TaskType.QUICK_EDIT
S = TaskType.STANDARD_DEVELOPMENT
C = TaskType.COMPLEX_ARCHITECTURE
K = TaskType.CRITICAL

# complexity band of each task type (inclusive), as in the escalation matrix
BANDS: dict[TaskType, tuple[int, int]] = {Q: (0, 2), S: (3, 5), C: (6, 8), K: (9, 10)}

PRIOR = {Q: 0.0, S: 1.5, C: 0.0, K: 0.0}
BODY_WEIGHT = 0.5
MAX_BODY_CHARS = 4000
TEMPERATURE = 2.0

_TESTS_OBJECT = re.compile(
    r"^\W*(add|adds|added|write|improve|fix|update|more|new)\b(\s+\S+){0,3}?\s+tests?\b|"
    r"\bflaky\b|\btest (suite|helpers?|fixtures?|server|utilit\w+|cases?)\b|"
    r"\b(in|for) (the )?tests?\b|^\W*tests?\b"
)
_NEGATED = re.compile(r"\b(non-?|not (a |an )?)(security|performance|perf)\b")
_CRITICAL_TAGS = frozenset({"security", "data", "perf", "db"})
_DOCS_DROPS = frozenset(
    {"security", "data", "perf", "db", "arch", "migrate", "scope", "platform", "option", "feature"}
)


@dataclass(frozen=True)
class Classification:
    """A task's type and complexity (0-10), how sure the classifier is, and why."""

    task_type: TaskType
    complexity: int
    confidence: float
    reasons: tuple[str, ...]
    forced: bool = False
    predicted: TaskType | None = None  # when forced: what the classifier itself said

    @property
    def overridden(self) -> bool:
        """Whether the user forced a type other than the classifier's (a label to learn)."""
        return self.forced and self.predicted is not None and self.predicted is not self.task_type

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``escalator classify --json``."""
        return {
            "task_type": self.task_type.value,
            "complexity": self.complexity,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "forced": self.forced,
        }


@dataclass(frozen=True)
class _Vote:
    name: str
    matched: str
    task_type: TaskType
    weight: float
    tags: frozenset[str]

    def describe(self) -> str:
        return f"{self.name}: {self.matched!r} -> {self.task_type.value} +{self.weight:g}"


@dataclass(frozen=True)
class RuleEvidence:
    """What the keyword rules found in a task: per-type scores, tags and reasons."""

    scores: dict[TaskType, float]
    tags: frozenset[str]
    reasons: tuple[str, ...]
    signal_names: tuple[str, ...]

    @property
    def best(self) -> TaskType:
        """The rules' answer (ties go to standard development)."""
        return max(self.scores, key=lambda t: (self.scores[t], t == S))

    def complexity(self, task_type: TaskType) -> int:
        """The complexity inside ``task_type``'s band from the strength of the evidence."""
        return _complexity(task_type, self.scores, self.tags)


def check_text(text: str, complexity: int | None = None) -> None:
    """InputError for an empty task or an out-of-range forced complexity."""
    if not text or not text.strip():
        raise InputError("the task text is empty: pass a description of the task")
    if complexity is not None and not 0 <= complexity <= 10:
        raise InputError(f"complexity {complexity} is out of range: use an integer from 0 to 10")


def rule_evidence(text: str) -> RuleEvidence:
    """Run the keyword rules over a (non-empty) task text."""
    votes, notes = _apply_overrides(_collect(text))
    tags = frozenset().union(*(v.tags for v in votes)) if votes else frozenset()
    reasons = tuple(v.describe() for v in votes) + tuple(notes)
    if not votes:
        reasons = ("no signal matched: default standard_development",)
    names = tuple(sorted({v.name for v in votes}))
    return RuleEvidence(_scores(votes), tags, reasons, names)


def classify(
    text: str, *, task_type: TaskType | None = None, complexity: int | None = None
) -> Classification:
    """Classify a task description by the keyword rules alone; ``task_type``/``complexity``
    force the answer."""
    check_text(text, complexity)
    evidence = rule_evidence(text)
    best = evidence.best
    result = Classification(
        best, evidence.complexity(best), _confidence(evidence.scores, best), evidence.reasons
    )
    return force(result, evidence, task_type, complexity)


def force(
    result: Classification,
    evidence: RuleEvidence,
    task_type: TaskType | None,
    complexity: int | None,
) -> Classification:
    """Apply the user's forced type and/or complexity (a forced complexity implies its band)."""
    if task_type is None and complexity is None:
        return result
    forced_type = task_type or _type_for_complexity(complexity)  # type: ignore[arg-type]
    level = complexity if complexity is not None else evidence.complexity(forced_type)
    what = [f"type {forced_type.value}"] if task_type else []
    what += [f"complexity {complexity}"] if complexity is not None else []
    note = f"forced by the user: {' and '.join(what)} (classifier said {result.task_type.value}"
    note += f", complexity {result.complexity})"
    return replace(
        result,
        task_type=forced_type,
        complexity=level,
        confidence=1.0,
        reasons=(note, *result.reasons),
        forced=True,
        predicted=result.task_type,
    )


def _type_for_complexity(complexity: int) -> TaskType:
    return next(t for t, (lo, hi) in BANDS.items() if lo <= complexity <= hi)


def _collect(text: str) -> list[_Vote]:
    """Every signal that matches: the first line at full weight, the rest at half."""
    lines = text.strip().splitlines()
    title = lines[0].strip().lower().replace("`", "")
    body = "\n".join(lines[1:])[:MAX_BODY_CHARS].lower().replace("`", "")
    votes: list[_Vote] = []
    prefix = conventional_prefix(title)
    if prefix is not None and prefix in PREFIX_SIGNALS:
        ptype, pweight, ptags = PREFIX_SIGNALS[prefix]
        votes.append(_Vote(f"{prefix}: prefix", prefix, ptype, pweight, frozenset(ptags)))
    for signal in SIGNALS:
        match = signal.pattern.search(title)
        factor = 1.0
        if match is None and body:
            match, factor = signal.pattern.search(body), BODY_WEIGHT
        if match is not None:
            weight = signal.weight * factor
            votes.append(
                _Vote(signal.name, match.group(0).strip(), signal.task_type, weight, signal.tags)
            )
    if _TESTS_OBJECT.search(title):
        votes.append(_Vote("tests are the object", "tests", S, 1.0, frozenset({"tests_only"})))
    negated = _NEGATED.search(title)
    if negated is not None:
        votes.append(_Vote("negated", negated.group(0), S, 0.0, frozenset({"negated"})))
    return votes


def _apply_overrides(votes: list[_Vote]) -> tuple[list[_Vote], list[str]]:
    """The rules that beat keywords: docs-only, tests-only, CI-only, data migrations."""
    tags = frozenset().union(*(v.tags for v in votes)) if votes else frozenset()
    notes: list[str] = []

    def drop(reason: str, doomed: list[_Vote]) -> None:
        if doomed:
            names = ", ".join(sorted({v.name for v in doomed}))
            notes.append(f"{reason}: ignored {names}")
            for v in doomed:
                votes.remove(v)

    if "docs" in tags and "tests_only" not in tags:
        drop("documentation-only change", [v for v in votes if v.tags & _DOCS_DROPS])
    if "tests_only" in tags:
        moved = [v for v in votes if v.task_type is K]
        drop("the change is to tests", moved)
        if moved:
            votes.append(_Vote("tests for critical code", "tests", S, 1.0, frozenset()))
    if "ci" in tags:
        drop("CI or build change", [v for v in votes if v.task_type is K])
        votes[:] = [replace(v, task_type=S) if v.task_type is C else v for v in votes]
    if "negated" in tags:
        drop("negated", [v for v in votes if v.tags & {"security", "perf"}])
    tags = frozenset().union(*(v.tags for v in votes)) if votes else frozenset()
    votes = _data_rules(votes, tags, notes)
    if "platform" in tags and "feature" in tags:
        votes.append(_Vote("new platform or protocol support", "support", C, 1.5, frozenset()))
    return votes, notes


def _data_rules(votes: list[_Vote], tags: frozenset[str], notes: list[str]) -> list[_Vote]:
    """Migrations and refactors that touch stored data are critical, not architecture."""
    if not tags & {"data"} and not ("db" in tags and tags & {"migrate", "refactor"}):
        return votes
    out: list[_Vote] = []
    for v in votes:
        if v.tags & {"migrate", "refactor", "scope"}:
            notes.append(f"{v.name} touches stored data: counted as critical")
            v = replace(v, task_type=K)
        out.append(v)
    return out


def _scores(votes: list[_Vote]) -> dict[TaskType, float]:
    scores = dict(PRIOR)
    for v in votes:
        scores[v.task_type] += v.weight
    return scores


def _confidence(scores: dict[TaskType, float], best: TaskType) -> float:
    """Softmax probability of the winning type, rounded."""
    top = max(scores.values())
    total = sum(math.exp((s - top) / TEMPERATURE) for s in scores.values())
    return round(math.exp((scores[best] - top) / TEMPERATURE) / total, 3)


def _complexity(task_type: TaskType, scores: dict[TaskType, float], tags: frozenset[str]) -> int:
    """Place the complexity inside the type's band from the strength of the evidence."""
    lo, hi = BANDS[task_type]
    own = max(scores[task_type], 0.1)
    if task_type is Q:
        if "trivial" in tags or "docs" in tags:
            return 0 if "trivial" in tags else 1
        return 2 if "extract" in tags or max(scores[C], scores[K]) >= 0.6 * own else 1
    if task_type is S:
        pressure = max(scores[C], scores[K]) / own
        return min(hi, lo + (pressure >= 0.4) + (pressure >= 0.8))
    if task_type is C:
        return min(hi, lo + ("arch" in tags or own >= 7.0) + (own >= 11.0))
    return hi if "severe" in tags or scores[K] >= 9.0 else lo
