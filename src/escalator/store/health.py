"""What went wrong with the task log file, in the user's words, and a probe that finds out
before any model is paid.

SQLite reports a read-only file, a full disk, a lock held by another process and a file
that is no database as ``sqlite3`` exceptions with an error name; ``log_error`` turns each
into one ``TaskLogError`` naming the path and the fix. ``probe_write`` commits one tiny
write, so a log that can be read but not written fails at the start of a task, not after
its first paid answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from escalator.errors import TaskLogError
from escalator.store.records import utc_now

__all__ = ["log_error", "probe_write", "sqlite_errors"]

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
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    for prefix, problem, fix in _KNOWN:
        if name.startswith(prefix):
            return TaskLogError(path, f"{problem} ({exc})", fix)
    return TaskLogError(path, f"SQLite error: {exc}", f"check the file, {_ELSEWHERE}")


@contextmanager
def sqlite_errors(path: str) -> Iterator[None]:
    """Re-raise a failure of the file (not of the caller) as the ``TaskLogError`` naming
    ``path``."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise  # a caller's mistake (a duplicate row, a closed log), not the file's
    except sqlite3.Error as exc:
        raise log_error(path, exc) from exc


def probe_write(conn: sqlite3.Connection, path: str) -> None:
    """Commit one small write (the ``_health`` row), or raise the ``TaskLogError``."""
    with sqlite_errors(path):
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT OR REPLACE INTO _health (id, probed_at) VALUES (1, ?)", (utc_now(),)
            )
            conn.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
