"""The connection under a ``TaskLog``: its lock, short write transactions, reads, and
task ids by unique prefix (the base every part of the log builds on)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Self

from escalator.config import Config
from escalator.errors import InputError
from escalator.store.health import log_errors, probe_write
from escalator.store.sql import DbErrors, Row, SqlConnection

__all__ = ["LogAccess"]


class LogAccess:
    """One connection per log, guarded by a lock, so the async engine may call from
    worker threads."""

    def __init__(self, conn: SqlConnection, *, path: str, config: Config) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.config = config

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._conn.dialect

    def check_writable(self) -> None:
        """Commit one small write now: a read-only, full or locked log fails here, before
        a task pays for any model call (``TaskLogError`` naming the log and the fix)."""
        with self._lock:
            probe_write(self._conn, self.path)

    @contextmanager
    def _write(self) -> Iterator[SqlConnection]:
        """A short write transaction that holds the log's write lock from the start."""
        with self._lock, log_errors(self.path):
            self._conn.begin_write()
            try:
                yield self._conn
                self._conn.commit()
            except BaseException:
                if self._conn.in_transaction:  # a failed COMMIT may have rolled back already
                    with suppress(*DbErrors.of(self._conn.dialect)):
                        self._conn.rollback()
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock, log_errors(self.path):
            return self._conn.execute(sql, params).fetchall()

    def resolve_id(self, id_or_prefix: str) -> str:
        """The full id of the one task whose id is or starts with ``id_or_prefix``."""
        key = id_or_prefix.strip()
        if not key:
            raise InputError("empty task id; run 'escalator log' to list task ids")
        ids = self._ids_starting_with(key) or self._ids_starting_with(key.lower())
        if key in ids or key.lower() in ids:
            return key if key in ids else key.lower()
        if not ids:
            raise InputError(
                f"no task with id {id_or_prefix!r} in {self.path}; "
                "run 'escalator log' to list task ids"
            )
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:5])
            raise InputError(
                f"task id prefix {id_or_prefix!r} is ambiguous (matches {shown}...); "
                "give more characters of the id"
            )
        return ids[0]

    def _ids_starting_with(self, prefix: str) -> list[str]:
        # a range scan on the primary key's index (ids compare as UTF-8 bytes)
        rows = self._query(
            f"SELECT task_id FROM tasks WHERE {self._conn.byte_order('task_id')} >= ? "
            f"AND {self._conn.byte_order('task_id')} < ? ORDER BY task_id LIMIT 6",
            (prefix, prefix + "\U0010ffff"),
        )
        return [str(r["task_id"]) for r in rows]
