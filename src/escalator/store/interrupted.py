"""Tasks left ``running`` by a process that is gone: find them and mark them
``interrupted`` (resumable), so the log never shows a task as running that no process
works on."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from escalator.reaper import process_alive
from escalator.store.events import insert_event
from escalator.store.records import EventKind, EventRecord, TaskRecord, utc_iso, utc_now
from escalator.store.tasks import Tasks, task_from_row
from escalator.task import Outcome

__all__ = ["STALE_AFTER_S", "InterruptedTasks"]

STALE_AFTER_S = 3600.0  # a running task of another host counts as interrupted after this


class InterruptedTasks(Tasks):
    """Find and mark the tasks whose process stopped mid-task."""

    def interrupted(
        self,
        *,
        include_live: bool = False,
        stale_after_s: float = STALE_AFTER_S,
        now: datetime | None = None,
    ) -> list[TaskRecord]:
        """Tasks left ``running`` by a process that is gone (killed mid-task).

        A task owned by a process on this host counts when that process is dead. A task
        whose process cannot be checked from here (another host, or no pid recorded)
        counts once it has not been updated for ``stale_after_s``. ``include_live``
        returns every running task.
        """
        rows = self._query(
            "SELECT * FROM tasks WHERE outcome = ? ORDER BY timestamp, rowid",
            (Outcome.RUNNING.value,),
        )
        tasks = [task_from_row(r) for r in rows]
        if include_live:
            return tasks
        here = socket.gethostname()
        cutoff = utc_iso((now or datetime.now(UTC)) - timedelta(seconds=stale_after_s))
        return [t for t in tasks if _owner_gone(t, here, cutoff)]

    def mark_interrupted(self, task_id: str, reason: str) -> TaskRecord:
        """Mark a task left running as ``interrupted`` (resumable), with the reason in the
        audit log."""
        tid = self.resolve_id(task_id)
        with self._write() as db:
            db.execute(
                "UPDATE tasks SET outcome = ?, updated_at = ? WHERE task_id = ? AND outcome = ?",
                (Outcome.INTERRUPTED.value, utc_now(), tid, Outcome.RUNNING.value),
            )
            insert_event(db, EventRecord(tid, EventKind.INTERRUPTED, detail={"reason": reason}))
        return self.get_task(tid)

    def sweep_interrupted(self, reason: str = "the process running it stopped mid-task") -> int:
        """Mark every task left ``running`` by a process that is gone as ``interrupted``;
        returns how many. Listing and starting tasks sweep first, so the log never shows a
        task as running that no process works on."""
        stale = self.interrupted()
        for task in stale:
            self.mark_interrupted(task.task_id, reason)
        return len(stale)


def _owner_gone(task: TaskRecord, here: str, stale_before: str) -> bool:
    """Whether the process that ran ``task`` is gone, or silent since ``stale_before``."""
    if task.host == here and task.pid is not None:
        return not process_alive(task.pid)
    return task.updated_at < stale_before
