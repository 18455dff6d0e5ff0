"""Traces from the task log: each finished task's attempts with their learning labels.

The engine labels every attempt when its task ends (``TaskLog.set_labels``). For attempts
logged before labels existed, the label is derived from what the log holds: the attempt's
outcome and validator statuses, and the task's final model. Review decisions come last:
a rejected task's accepted answers become ``reversed``, an approved task's final model's
answer ``verified``. Hidden tests (the bench's scoring) never reach the log, so they
cannot reach a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from escalator.learn.evidence import Attempt, Label, Trace
from escalator.store.sql import Row as SqlRow

if TYPE_CHECKING:
    from escalator.store.db import TaskLog

__all__ = ["derive_label", "traces_from_log", "traces_from_rows"]

Row = SqlRow | Mapping[str, Any]


def derive_label(row: Row) -> Label:
    """The label of one attempt row of ``TaskLog.learning_facts``."""
    stored = row["label"]
    label = Label(str(stored)) if stored in {lb.value for lb in Label} else _from_outcome(row)
    if row["rejected"] and label.success:
        return Label.REVERSED
    if row["approved"] and row["model"] == row["final_model"] and label is Label.UNKNOWN:
        return Label.VERIFIED
    return label


def _from_outcome(row: Row) -> Label:
    outcome = str(row["outcome"])
    statuses = dict(
        part.split("=", 1) for part in str(row["statuses"] or "").split(",") if "=" in part
    )
    if outcome == "error":
        return Label.ERROR
    if outcome == "passed":
        return Label.VERIFIED
    if statuses.get("agreement") == "failed":
        return Label.CONTRADICTED
    if outcome == "skipped":  # deferred: passed the tests, decided later
        final = row["task_outcome"] == "passed" and row["model"] == row["final_model"]
        return Label.VERIFIED if final else Label.UNKNOWN
    return Label.FAILED


def traces_from_rows(rows: Iterable[Row]) -> list[Trace]:
    """Group attempt rows (ordered by task, then attempt) into traces."""
    out: list[Trace] = []
    current: list[Attempt] = []
    key: tuple[str, str] | None = None
    for row in rows:
        this = (str(row["task_id"]), str(row["task_type"]))
        if key is not None and this != key:
            out.append(Trace(key[1], tuple(current), key[0]))
            current = []
        key = this
        current.append(
            Attempt(
                model=str(row["model"]),
                label=derive_label(row),
                cost_usd=float(row["cost_usd"] or 0.0),
                tokens_in=int(row["tokens_in"] or 0),
                tokens_out=int(row["tokens_out"] or 0),
                latency_s=float(row["latency_ms"] or 0.0) / 1000,
            )
        )
    if key is not None:
        out.append(Trace(key[1], tuple(current), key[0]))
    return out


def traces_from_log(log: TaskLog, task_type: str | None = None) -> list[Trace]:
    """Every finished task of the log (of ``task_type`` when given), oldest first."""
    return traces_from_rows(log.learning_facts(task_type))
