"""The tasks table of the task log: create, update and read tasks, and the checks and
column mapping of a task's fields."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import fields
from typing import Any

from escalator.errors import InputError
from escalator.redact import redact
from escalator.store.access import LogAccess
from escalator.store.records import TaskRecord, new_task_id, utc_iso, utc_now
from escalator.store.rows import row_fields
from escalator.store.sql import IntegrityErrors, Row
from escalator.task import Outcome, TaskType

__all__ = ["Tasks", "check_outcome", "check_task_type", "task_from_row"]

_TASK_COLUMNS = tuple(f.name for f in fields(TaskRecord))
_JSON_TASK_COLUMNS = {"files", "state"}
_BOOL_TASK_COLUMNS = {"hidden_pass", "baseline_hidden_pass"}  # INTEGER 0/1 on both backends
_UPDATABLE = frozenset(_TASK_COLUMNS) - {"task_id"}


class Tasks(LogAccess):
    """The log's tasks: one row per task, its totals kept by the other parts' writes."""

    def create_task(self, task: TaskRecord) -> str:
        """Insert a task; fills in its id, timestamp and owner. Returns the task id."""
        check_task_type(task.task_type)
        check_outcome(task.outcome)
        now = utc_now()
        values = {
            **_task_values(task),
            "task_id": task.task_id or new_task_id(),
            "timestamp": utc_iso(task.timestamp) if task.timestamp else now,
            "updated_at": now,
            "host": task.host or socket.gethostname(),
            "pid": task.pid if task.pid is not None else os.getpid(),
        }
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._write() as db:
            try:
                db.execute(f"INSERT INTO tasks ({cols}) VALUES ({marks})", list(values.values()))
            except IntegrityErrors.of(db.dialect):
                raise InputError(
                    f"task id {values['task_id']!r} is already in the log; "
                    "leave task_id empty to get a fresh one"
                ) from None
        return str(values["task_id"])

    def update_task(self, task_id: str, **changes: Any) -> TaskRecord:
        """Set some of a task's fields; returns the task as stored afterwards."""
        unknown = sorted(set(changes) - _UPDATABLE)
        if unknown:
            raise InputError(
                f"cannot update task field {unknown[0]!r}; updatable fields: "
                + ", ".join(sorted(_UPDATABLE))
            )
        if "outcome" in changes:
            check_outcome(changes["outcome"])
        if "task_type" in changes:
            check_task_type(changes["task_type"])
        values = {k: _column_value(k, v) for k, v in changes.items()}
        if values.get("timestamp"):
            values["timestamp"] = utc_iso(values["timestamp"])
        values["updated_at"] = utc_now()
        tid = self.resolve_id(task_id)
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._write() as db:
            db.execute(f"UPDATE tasks SET {sets} WHERE task_id = ?", [*values.values(), tid])
        return self.get_task(tid)

    def get_task(self, id_or_prefix: str) -> TaskRecord:
        """One task by full id or unique prefix; ``InputError`` naming the fix otherwise."""
        tid = self.resolve_id(id_or_prefix)
        rows = self._query("SELECT * FROM tasks WHERE task_id = ?", (tid,))
        return task_from_row(rows[0])

    def list_tasks(
        self, limit: int = 20, outcome: str | None = None, task_type: str | None = None
    ) -> list[TaskRecord]:
        """The newest tasks first, optionally of one outcome and/or type."""
        where, params = [], []
        if outcome is not None:
            check_outcome(outcome)
            where.append("outcome = ?")
            params.append(str(outcome))
        if task_type is not None:
            check_task_type(task_type)
            where.append("task_type = ?")
            params.append(str(task_type))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._query(
            f"SELECT * FROM tasks {clause} ORDER BY timestamp DESC, rowid DESC LIMIT ?",
            [*params, max(0, limit)],
        )
        return [task_from_row(r) for r in rows]

    def count_tasks(self) -> int:
        return int(self._query("SELECT count(*) FROM tasks")[0][0])

    def review_queue(self) -> list[TaskRecord]:
        """Tasks waiting for a person (needs_review, awaiting_approval, interrupted), oldest
        first."""
        rows = self._query(
            "SELECT * FROM tasks WHERE outcome IN (?, ?, ?) ORDER BY timestamp, rowid",
            (
                Outcome.NEEDS_REVIEW.value,
                Outcome.AWAITING_APPROVAL.value,
                Outcome.INTERRUPTED.value,
            ),
        )
        return [task_from_row(r) for r in rows]


def check_outcome(value: str) -> None:
    if value not in {o.value for o in Outcome}:
        raise InputError(
            f"unknown task outcome {value!r}; allowed: " + ", ".join(o.value for o in Outcome)
        )


def check_task_type(value: str) -> None:
    try:
        TaskType.parse(str(value))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _column_value(name: str, value: Any) -> Any:
    if name == "description" and isinstance(value, str):
        return redact(value)
    if name in _JSON_TASK_COLUMNS:
        return json.dumps(list(value) if name == "files" else value, default=str)
    if name in _BOOL_TASK_COLUMNS and value is not None:
        return int(bool(value))
    if isinstance(value, TaskType | Outcome):
        return value.value
    return value


def _task_values(task: TaskRecord) -> dict[str, Any]:
    return {name: _column_value(name, getattr(task, name)) for name in _TASK_COLUMNS}


def task_from_row(row: Row) -> TaskRecord:
    data = row_fields(row, TaskRecord)
    data["files"] = tuple(json.loads(row["files"]))
    data["state"] = json.loads(row["state"])
    for name in _BOOL_TASK_COLUMNS & set(data):
        data[name] = None if data[name] is None else bool(data[name])
    return TaskRecord(**data)
