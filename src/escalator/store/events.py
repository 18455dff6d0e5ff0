"""The audit log of the task log: events such as escalations, approvals and interruptions.

An event's detail passes the redactor on the way in (it may carry a sandboxed run's output).
"""

from __future__ import annotations

import json
from dataclasses import replace

from escalator.errors import InputError
from escalator.redact import redact_data
from escalator.store.access import LogAccess
from escalator.store.records import EventKind, EventRecord, utc_iso, utc_now
from escalator.store.rows import returned_id, row_fields
from escalator.store.sql import Row, SqlConnection

__all__ = ["Events", "insert_event"]


class Events(LogAccess):
    """Append to and read a task's audit log."""

    def add_event(self, event: EventRecord) -> int:
        """Append to the audit log; an ``escalation`` also counts on the task."""
        if not event.kind:
            raise InputError("an event needs a kind, e.g. 'escalation' or 'approved'")
        tid = self.resolve_id(event.task_id)
        with self._write() as db:
            event_id = insert_event(db, replace(event, task_id=tid))
            if event.kind == EventKind.ESCALATION:
                db.execute(
                    "UPDATE tasks SET escalations = escalations + 1, updated_at = ? "
                    "WHERE task_id = ?",
                    (utc_now(), tid),
                )
        return event_id

    def events(self, task_id: str) -> list[EventRecord]:
        """A task's audit log, oldest first."""
        tid = self.resolve_id(task_id)
        rows = self._query("SELECT * FROM events WHERE task_id = ? ORDER BY at, id", (tid,))
        return [_event_from_row(r) for r in rows]


def insert_event(db: SqlConnection, e: EventRecord) -> int:
    cur = db.execute(
        "INSERT INTO events (task_id, at, kind, from_model, to_model, detail) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (
            e.task_id,
            utc_iso(e.at) if e.at else utc_now(),
            str(e.kind),
            e.from_model,
            e.to_model,
            json.dumps(redact_data(e.detail), default=str),
        ),
    )
    return returned_id(cur)


def _event_from_row(row: Row) -> EventRecord:
    return EventRecord(**{**row_fields(row, EventRecord), "detail": json.loads(row["detail"])})
