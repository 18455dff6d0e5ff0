"""Labelled JSONL task sets: load them, and measure the classifier on them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from escalator.classify._classifier import Classification, classify
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = ["Predictor", "check_labelled", "evaluate", "group_of", "load_tasks", "score"]


def load_tasks(path: str | Path, *, labelled: bool = False) -> list[dict[str, Any]]:
    """Read a JSONL file of ``{"text": ...}`` objects; bad lines raise InputError naming them.

    With ``labelled`` every object must also carry a valid ``type``.
    """
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read task file {file}: {exc}") from exc
    items: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            items.append(_parse_line(file, number, line, labelled))
    if not items:
        raise InputError(f"{file} holds no tasks: write one JSON object per line with a 'text'")
    return items


def _parse_line(file: Path, number: int, line: str, labelled: bool) -> dict[str, Any]:
    where = f"{file} line {number}"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where} is not valid JSON ({exc.msg}): one object per line") from exc
    problem = _item_problem(item, labelled)
    if problem:
        raise InputError(f"{where}: {problem}")
    result: dict[str, Any] = item
    return result


def _item_problem(item: object, labelled: bool) -> str | None:
    """What is wrong with one task object, or None."""
    if not isinstance(item, dict):
        return 'expected a JSON object like {"text": "...", "type": "quick_edit"}'
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        return "needs a non-empty string 'text'"
    if labelled or "type" in item:
        label = item.get("type")
        if not isinstance(label, str):
            return "needs a 'type' label to evaluate against"
        try:
            TaskType.parse(label)
        except ValueError as exc:
            return str(exc)
    complexity = item.get("complexity")
    if complexity is not None and (
        isinstance(complexity, bool) or not isinstance(complexity, int) or not 0 <= complexity <= 10
    ):
        return f"'complexity' must be an integer from 0 to 10, got {complexity!r}"
    return None


Predictor = Callable[[str], Classification]


def check_labelled(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The items as a list; InputError naming the first one without a valid label."""
    rows = list(items)
    for index, item in enumerate(rows, start=1):
        problem = _item_problem(item, labelled=True)
        if problem:
            raise InputError(f"task {index}: {problem}")
    if not rows:
        raise InputError("no labelled tasks to evaluate: pass objects with 'text' and 'type'")
    return rows


def evaluate(items: Iterable[Mapping[str, Any]], predict: Predictor = classify) -> dict[str, Any]:
    """Accuracy, per-type precision/recall, confusion and complexity error on labelled tasks."""
    rows = check_labelled(items)
    wall, cpu = time.perf_counter(), time.process_time()
    predictions = [predict(str(item["text"])) for item in rows]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    report = score(rows, predictions)
    # CPU time is the figure that means something on a busy machine; wall time for reference
    report["us_per_task"] = round(cpu / len(rows) * 1e6, 2)
    report["wall_us_per_task"] = round(wall / len(rows) * 1e6, 2)
    return report


def score(rows: Sequence[Mapping[str, Any]], predictions: list[Classification]) -> dict[str, Any]:
    """The evaluation report of ``predictions`` against the labels of ``rows``."""
    truths = [TaskType.parse(str(item["type"])) for item in rows]
    report = _type_metrics(truths, predictions)
    report["complexity_mae"] = _complexity_mae(rows, predictions)
    report["per_source"] = _per_source(rows, truths, predictions)
    report["ambiguous"] = _subset(rows, truths, predictions, ambiguous=True)
    report["unambiguous"] = _subset(rows, truths, predictions, ambiguous=False)
    report["mistakes"] = [
        {"text": item["text"], "type": t.value, "predicted": p.task_type.value}
        for item, t, p in zip(rows, truths, predictions, strict=True)
        if p.task_type is not t
    ]
    return report


def _type_metrics(truths: list[TaskType], preds: list[Classification]) -> dict[str, Any]:
    confusion = {t.value: {p.value: 0 for p in TaskType} for t in TaskType}
    for truth, pred in zip(truths, preds, strict=True):
        confusion[truth.value][pred.task_type.value] += 1
    per_type: dict[str, dict[str, float | int]] = {}
    for t in TaskType:
        tp = confusion[t.value][t.value]
        predicted = sum(confusion[row][t.value] for row in confusion)
        support = sum(confusion[t.value].values())
        per_type[t.value] = {
            "precision": round(tp / predicted, 4) if predicted else 0.0,
            "recall": round(tp / support, 4) if support else 0.0,
            "support": support,
        }
    correct = sum(confusion[t.value][t.value] for t in TaskType)
    return {
        "n": len(truths),
        "accuracy": round(correct / len(truths), 4),
        "per_type": per_type,
        "confusion": confusion,
    }


def _complexity_mae(rows: Sequence[Mapping[str, Any]], preds: list[Classification]) -> float | None:
    errors = [
        abs(int(item["complexity"]) - pred.complexity)
        for item, pred in zip(rows, preds, strict=True)
        if item.get("complexity") is not None
    ]
    return round(sum(errors) / len(errors), 4) if errors else None


def _per_source(
    rows: Sequence[Mapping[str, Any]], truths: list[TaskType], preds: list[Classification]
) -> dict[str, dict[str, float | int]]:
    """Accuracy by repository (see ``group_of``)."""
    groups: dict[str, list[bool]] = {}
    for item, truth, pred in zip(rows, truths, preds, strict=True):
        repo = group_of(item)
        groups.setdefault(repo, []).append(pred.task_type is truth)
    return {
        repo: {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 4)}
        for repo, hits in sorted(groups.items())
    }


def group_of(item: Mapping[str, Any], fallback: str = "unknown") -> str:
    """The repository a labelled task comes from: its ``repo`` or ``group`` field, else the
    ``owner/name`` that starts its ``source`` ("pallets/flask commit a43f73c7"), else
    ``fallback`` (for example the name of the file it was read from)."""
    for key in ("repo", "group"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    words = str(item.get("source") or "").split()
    if words and "/" in words[0]:
        return words[0]
    return fallback


def _subset(
    rows: Sequence[Mapping[str, Any]],
    truths: list[TaskType],
    preds: list[Classification],
    *,
    ambiguous: bool,
) -> dict[str, float | int | None]:
    hits = [
        pred.task_type is truth
        for item, truth, pred in zip(rows, truths, preds, strict=True)
        if bool(item.get("ambiguous", False)) is ambiguous
    ]
    return {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 4) if hits else None}
