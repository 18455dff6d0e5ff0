"""The learned classifier: logistic regression over words and the rules' signals.

Its probabilities are the classification confidence. Where the keyword rules are sure (one
type ahead by ``RULES_SURE`` points, e.g. an uncontested "typo" or "CVE"), their answer
stands; otherwise the model decides, and when it is unsure between types the cost rule
(``_cost``) picks the cheaper mistake. The complexity comes from the rules' evidence,
inside the chosen type's band.

The shipped model is ``escalator/data/classifier.json`` (rebuilt by ``escalator classify
--retrain --shipped``); a user's refit from their corrections lives next to their task log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from escalator.classify._classifier import (
    Classification,
    RuleEvidence,
    check_text,
    force,
    rule_evidence,
)
from escalator.classify._cost import cheapest_mistake
from escalator.classify._features import features
from escalator.classify._model import LinearModel
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = ["RULES_SURE", "SHIPPED_MODEL", "Learned", "load_model"]

SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "data" / "classifier.json"
RULES_SURE = 6.0  # the rules' lead (in signal points) above which their answer stands


def load_model(path: Path | None = None) -> LinearModel:
    """The model stored at ``path`` (default: the shipped one); InputError naming the fix."""
    file = path or SHIPPED_MODEL
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        raise InputError(
            f"no classifier model at {file}: run 'escalator classify --retrain' to build it"
        ) from None
    return _load(str(file), stamp)


@lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> LinearModel:
    try:
        return LinearModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"the classifier model {path} is unreadable ({exc}): "
            "run 'escalator classify --retrain' to rebuild it"
        ) from None


@dataclass(frozen=True)
class Learned:
    """The rules blended with a learned model, and the cost rule for unsure answers."""

    model: LinearModel
    under_cost: float = 1.0
    rules_sure: float = RULES_SURE
    label: str = "learned model"

    def proba(self, text: str) -> tuple[dict[TaskType, float], RuleEvidence]:
        """The model's probability of each type, and the rules' evidence."""
        evidence = rule_evidence(text)
        return self.model.proba(features(text, evidence)), evidence

    def classify(
        self, text: str, *, task_type: TaskType | None = None, complexity: int | None = None
    ) -> Classification:
        """Classify a task; ``task_type``/``complexity`` force the answer."""
        check_text(text, complexity)
        proba, evidence = self.proba(text)
        best, note = self._decide(proba, evidence)
        shown = ", ".join(f"{t.value} {p:.2f}" for t, p in _ranked(proba)[:2])
        reasons = (f"{self.label}: {shown}", *((note,) if note else ()), *evidence.reasons)
        result = Classification(
            best, evidence.complexity(best), round(max(proba[best], 1e-3), 3), reasons
        )
        return force(result, evidence, task_type, complexity)

    def _decide(
        self, proba: dict[TaskType, float], evidence: RuleEvidence
    ) -> tuple[TaskType, str | None]:
        ranked = sorted(evidence.scores.values(), reverse=True)
        if ranked[0] - ranked[1] >= self.rules_sure:
            rules = evidence.best
            if rules is not max(proba, key=lambda t: proba[t]):
                return rules, f"the rules are sure ({ranked[0] - ranked[1]:g} points ahead)"
            return rules, None
        return cheapest_mistake(proba, self.under_cost)


def _ranked(proba: dict[TaskType, float]) -> list[tuple[TaskType, float]]:
    return sorted(proba.items(), key=lambda kv: -kv[1])
