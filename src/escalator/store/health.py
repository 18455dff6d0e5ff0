"""What went wrong with the task log, in the user's words, and a probe that finds out
before any model is paid.

SQLite reports a read-only file, a full disk, a lock held by another process and a file
that is no database as ``sqlite3`` exceptions with an error name; ``log_error`` turns each
into one ``TaskLogError`` naming the path and the fix. A PostgreSQL log's failures (the
server gone, a read-only or full database) get the same treatment. ``probe_write``
commits one tiny write, so a log that can be read but not written fails at the start of
a task, not after its first paid answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from escalator.errors import TaskLogError
from escalator.store.records import utc_now
from escalator.store.sql import SqlConnection

__all__ = ["log_error", "log_errors", "probe_write"]

_ELSEWHERE = "or pass --db (or set store.db_path in escalator.toml) to use another file"

# (error-name prefix, problem, fix); the first matching prefix wins.
_KNOWN: tuple[tuple[str, str, str], ...] = (
    (
        "SQLITE_READONLY",
        "it cannot be written (read-only file, folder or file system)",
        f"make the file and its folder writable (e.g. chmod u+w), {_ELSEWHERE}",
    ),
    ("SQLITE_FULL", "the disk is full", f"free some disk space, {_ELSEWHERE}"),
    (
        "SQLITE_IOERR",
        "a read or write failed (disk full, file size limit or I/O error)",
        f"free disk space or check the disk, {_ELSEWHERE}",
    ),
    (
        "SQLITE_BUSY",
        "another process has held its lock for too long",
        "wait for the other escalator process to finish (or stop it), then try again",
    ),
    (
        "SQLITE_LOCKED",
        "another connection holds its lock",
        "wait for the other escalator process to finish (or stop it), then try again",
    ),
    (
        "SQLITE_NOTADB",
        "it is not an SQLite database",
        "pass --db with the path of an Escalator task log, or move the file away so that "
        "a new log is created there",
    ),
    (
        "SQLITE_CORRUPT",
        "the database is damaged",
        "restore it from a backup, or move it away so that a new log is created there",
    ),
    (
        "SQLITE_CANTOPEN",
        "it cannot be opened or created",
        f"check that its folder exists and is writable, {_ELSEWHERE}",
    ),
)


def log_error(path: str, exc: BaseException) -> TaskLogError:
    """One ``TaskLogError`` for an ``sqlite3.Error`` or ``OSError`` met on ``path``."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return TaskLogError(
            path,
            f"it cannot be created ({reason})",
            f"use a path in a writable folder, {_ELSEWHERE}",
        )
    if not isinstance(exc, sqlite3.Error):
        return _postgres_error(path, exc)
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    for prefix, problem, fix in _KNOWN:
        if name.startswith(prefix):
            return TaskLogError(path, f"{problem} ({exc})", fix)
    return TaskLogError(path, f"SQLite error: {exc}", f"check the file, {_ELSEWHERE}")


def _postgres_error(path: str, exc: BaseException) -> TaskLogError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return TaskLogError(
        path,
        f"the PostgreSQL server failed: {first}",
        "check that the server is up and the database writable, or set another [store] url",
    )


def _caller_mistakes() -> tuple[type[Exception], ...]:
    """Errors that are the caller's (a duplicate row, a closed log), not the log's."""
    kinds: tuple[type[Exception], ...] = (
        sqlite3.IntegrityError,
        sqlite3.ProgrammingError,
        sqlite3.InterfaceError,
    )
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return kinds
    return (*kinds, psycopg.IntegrityError, psycopg.ProgrammingError, psycopg.InterfaceError)


def _driver_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


@contextmanager
def log_errors(path: str) -> Iterator[None]:
    """Re-raise a failure of the log (not of the caller) as the ``TaskLogError`` naming
    ``path``."""
    try:
        yield
    except _caller_mistakes():
        raise
    except _driver_errors() as exc:
        raise log_error(path, exc) from exc


def probe_write(conn: SqlConnection, path: str) -> None:
    """Commit one small write (the ``_health`` row), or raise the ``TaskLogError``."""
    with log_errors(path):
        conn.begin_write()
        try:
            conn.execute(
                "INSERT INTO _health (id, probed_at) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                (utc_now(),),
            )
            conn.commit()
        except BaseException:
            with suppress(*_driver_errors()):
                conn.rollback()
            raise
