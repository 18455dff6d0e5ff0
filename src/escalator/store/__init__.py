"""The task log: SQLite schema, migrations and typed queries.

Open it with ``open_log()``; write with ``create_task``, ``add_attempt``, ``add_event``
and ``update_task``; read with ``get_task``, ``attempts``, ``events``, ``list_tasks``,
``review_queue``, ``interrupted``, ``spent_today`` and ``stats``.
"""

from escalator.store.db import TaskLog, open_log
from escalator.store.records import (
    AttemptRecord,
    EventKind,
    EventRecord,
    LabelRecord,
    TaskRecord,
    VerdictRecord,
)

__all__ = [
    "AttemptRecord",
    "EventKind",
    "EventRecord",
    "LabelRecord",
    "TaskLog",
    "TaskRecord",
    "VerdictRecord",
    "open_log",
]
