"""The task log: SQLite schema, migrations and typed queries.

Open it with ``open_log()``; write with ``create_task``, ``add_attempt``, ``add_event``,
``update_task`` and, for every model call, ``reserve_call`` then ``settle_call`` (the
ledger of spend, ``store/ledger.py``); read with ``get_task``, ``attempts``, ``calls``,
``events``, ``list_tasks``, ``review_queue``, ``interrupted``, ``spent_today``,
``task_spend`` and ``stats``.
"""

from escalator.store.db import TaskLog, open_log
from escalator.store.records import (
    AttemptRecord,
    CallRecord,
    EventKind,
    EventRecord,
    LabelRecord,
    TaskRecord,
    VerdictRecord,
)

__all__ = [
    "AttemptRecord",
    "CallRecord",
    "EventKind",
    "EventRecord",
    "LabelRecord",
    "TaskLog",
    "TaskRecord",
    "VerdictRecord",
    "open_log",
]
