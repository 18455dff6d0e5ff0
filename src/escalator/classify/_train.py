"""Fitting the learned classifier: the shipped model from labelled sets, a user's refit
from their corrections, and the trainer that cross-validation calls per fold.

Each labelled task is used twice: with all its features, and with the words alone (no
rule signals). The second copy makes the words carry weight on their own, so that a task
whose wording the keyword rules do not know is still classified by its words, instead of
defaulting to whatever the rules say when nothing fires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from escalator.classify._classifier import rule_evidence
from escalator.classify._crossval import Trainer
from escalator.classify._evaluate import Predictor, group_of
from escalator.classify._features import rule_features, word_features
from escalator.classify._learned import RULES_SURE, Learned
from escalator.classify._model import FitOptions, LinearModel, fit
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = [
    "SHIPPED_OPTIONS",
    "learned_trainer",
    "model_bytes",
    "repository_training_files",
    "train",
    "write_model",
]

SHIPPED_OPTIONS = FitOptions(l2=0.003, min_groups=2)
WORDS_ONLY_COPIES = True


def _rows(
    items: Sequence[Mapping[str, Any]], words_only: bool = False
) -> tuple[list[dict[str, float]], list[TaskType], list[str]]:
    feats: list[dict[str, float]] = []
    labels: list[TaskType] = []
    groups: list[str] = []
    for item in items:
        text = str(item["text"])
        words = word_features(text)
        label = TaskType.parse(str(item["type"]))
        group = str(item.get("group") or group_of(item))
        if not words_only:
            feats.append({**words, **rule_features(rule_evidence(text))})
            labels.append(label)
            groups.append(group)
        if WORDS_ONLY_COPIES or words_only:
            feats.append(words)
            labels.append(label)
            groups.append(group)
    return feats, labels, groups


def train(
    items: Sequence[Mapping[str, Any]],
    options: FitOptions = SHIPPED_OPTIONS,
    *,
    prior: LinearModel | None = None,
    words_only: bool = False,
) -> LinearModel:
    """Fit a model on labelled tasks (``text``, ``type``, optional ``group``/``source``);
    ``words_only`` leaves the rule signals out (a model that knows no keyword rules)."""
    if not items:
        raise InputError("no labelled tasks to train on: label some with 'classify --correct'")
    feats, labels, groups = _rows(items, words_only)
    return fit(feats, labels, groups, options, prior=prior)


def learned_trainer(
    options: FitOptions = SHIPPED_OPTIONS, under_cost: float = 1.0, *, words_only: bool = False
) -> Trainer:
    """A cross-validation trainer: fit on the training folds, classify the held-out one
    (``words_only``: no rule signals, and the rules never stand on their own)."""
    sure = float("inf") if words_only else RULES_SURE

    def trainer(items: list[Mapping[str, Any]]) -> Predictor:
        model = train(items, options, words_only=words_only)
        learned = Learned(model, under_cost=under_cost, rules_sure=sure)
        return lambda text: learned.classify(text)

    return trainer


def model_bytes(model: LinearModel) -> bytes:
    """The stored form: sorted, one weight row a line, so rebuilds and diffs are stable."""
    doc = model.to_json()
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc["weights"].items()]
    body = ",\n    ".join(lines)
    text = (
        f'{{\n  "types": {json.dumps(doc["types"])},\n  "bias": {json.dumps(doc["bias"])},\n'
        f'  "weights": {{\n    {body}\n  }}\n}}\n'
    )
    return text.encode("utf-8")


def write_model(model: LinearModel, path: Path) -> None:
    """Write a model file atomically (a half-written model is never left behind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(model_bytes(model))
    tmp.replace(path)


def repository_training_files() -> list[Path]:
    """The labelled sets the shipped model is fitted on, found from a source checkout:
    ``../shared/tasks/dev.jsonl`` beside the repository and ``tests/classify/*.jsonl``."""
    root = Path(__file__).resolve().parents[3]
    files = [root.parent / "shared" / "tasks" / "dev.jsonl"]
    files += sorted((root / "tests" / "classify").glob("*.jsonl"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing or len(files) < 2:
        raise InputError(
            f"the labelled sets are not here ({', '.join(missing) or root / 'tests'}): "
            "run this from a source checkout beside shared/, or pass them with --file"
        )
    return files
