"""The task types people gave (overrides and corrections), which the classifier learns from."""

from __future__ import annotations

from escalator.store.access import LogAccess
from escalator.store.records import LabelRecord, utc_iso, utc_now
from escalator.store.rows import returned_id, row_fields
from escalator.store.tasks import check_task_type

__all__ = ["Labels"]


class Labels(LogAccess):
    """Record and read the labels people gave."""

    def add_label(self, label: LabelRecord) -> int:
        """Record a task type a person gave (an override or a correction)."""
        check_task_type(label.task_type)
        tid = self.resolve_id(label.task_id) if label.task_id else None
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO labels (task_id, text, task_type, predicted, origin, project, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    tid,
                    label.text,
                    str(label.task_type),
                    label.predicted,
                    label.origin,
                    label.project,
                    utc_iso(label.created_at) if label.created_at else utc_now(),
                ),
            )
            return returned_id(cur)  # read before the commit, as SQLite requires

    def labels(self) -> list[LabelRecord]:
        """Every label, oldest first."""
        rows = self._query("SELECT * FROM labels ORDER BY created_at, id")
        return [LabelRecord(**row_fields(r, LabelRecord)) for r in rows]
