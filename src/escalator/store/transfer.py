"""Copy a whole task log into another one (``escalator log migrate --to URL``).

A team moving from one person's SQLite file to a shared PostgreSQL log keeps its
history: every table the migrations created, row for row, in insertion order, with ids
kept (attempt ids tie verdicts to attempts) and the target's id sequences moved past
the copied rows. The target must be empty; the copy is one write transaction, so a
failure leaves it empty again.
"""

from __future__ import annotations

from escalator.errors import InputError
from escalator.store.db import TaskLog
from escalator.store.sql import SqlConnection

__all__ = ["copy_log"]

# Parents before children (foreign keys); tables added later follow, by name.
_ORDER = ("tasks", "attempts", "verdicts", "events")


def _tables(db: SqlConnection) -> list[str]:
    names = {t for t in db.tables() if not t.startswith(("_", "sqlite_"))}
    return [t for t in _ORDER if t in names] + sorted(names - set(_ORDER))


def copy_log(source: TaskLog, target: TaskLog) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows copied per table."""
    existing = target.count_tasks()
    if existing:
        raise InputError(
            f"the target log {target.path} is not empty ({existing} tasks); migrate into "
            "a new, empty database"
        )
    src, dst = source._conn, target._conn
    counts: dict[str, int] = {}
    with target._write() as db:
        for table in _tables(src):
            columns = [c for c in dst.columns(table) if c != "rowid"]
            wanted = [c for c in src.columns(table) if c in columns]
            rows = src.execute(f"SELECT {', '.join(wanted)} FROM {table} ORDER BY rowid").fetchall()
            marks = ", ".join("?" for _ in wanted)
            db.executemany(
                f"INSERT INTO {table} ({', '.join(wanted)}) VALUES ({marks})",
                [tuple(r) for r in rows],
            )
            if "id" in wanted:
                db.reset_identity(table, "id")
            counts[table] = len(rows)
    return counts
