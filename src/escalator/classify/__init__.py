"""Task classification: type and complexity from the wording of a task, with reasons.

Keyword rules (``classify_rules``) blended with a small learned model (``Learned``, the
default ``classify``), no network, well under a millisecond a task. ``evaluate`` measures a
classifier on labelled JSONL objects and ``cross_validate`` does so leaving one repository
out at a time; ``load_tasks`` reads such a file and names the line of any bad entry.
"""

from __future__ import annotations

from escalator.classify._classifier import BANDS, Classification
from escalator.classify._classifier import classify as classify_rules
from escalator.classify._crossval import cross_validate, load_labelled
from escalator.classify._evaluate import evaluate, group_of, load_tasks
from escalator.classify._learned import SHIPPED_MODEL, Learned, load_model
from escalator.config import ClassifyConfig
from escalator.task import TaskType

__all__ = [
    "BANDS",
    "SHIPPED_MODEL",
    "Classification",
    "Learned",
    "classify",
    "classify_rules",
    "cross_validate",
    "evaluate",
    "group_of",
    "load_labelled",
    "load_model",
    "load_tasks",
]


def classify(
    text: str, *, task_type: TaskType | None = None, complexity: int | None = None
) -> Classification:
    """Classify with the shipped learned model and the default cost rule."""
    learned = Learned(load_model(), under_cost=ClassifyConfig().under_cost)
    return learned.classify(text, task_type=task_type, complexity=complexity)
