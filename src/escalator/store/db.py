"""The task log: a SQLite file per user, or one PostgreSQL database shared by a team.

SQLite: WAL mode, a 5 s busy timeout and short ``BEGIN IMMEDIATE`` write transactions
let several processes (CLI runs, the MCP server, a benchmark) write at once. PostgreSQL
(``postgresql://`` URL): the same queries and migrations through ``store.sql``, writers
serialised by an advisory lock across machines. One connection per ``TaskLog``, guarded
by a lock, so the async engine may call from worker threads. Text that may carry a
sandboxed run's output (feedback, error messages, verdict findings, event details, the
description) passes the redactor on the way in; code (diffs, patches, the resume state)
is stored as given.

``TaskLog`` is assembled here from one part per table or job: ``access`` (the connection,
write transactions, task ids), ``tasks``, ``interrupted``, ``attempts``, ``events``,
``labels``, ``spending`` (the ledger of model calls) and ``facts`` (rows for analytics).
"""

from __future__ import annotations

import re
from pathlib import Path

from escalator.config import Config, default_config
from escalator.errors import InputError
from escalator.store.attempts import Attempts
from escalator.store.events import Events
from escalator.store.facts import Facts
from escalator.store.health import log_error, log_errors
from escalator.store.interrupted import InterruptedTasks
from escalator.store.labels import Labels
from escalator.store.migrations import migrate
from escalator.store.spending import Spending
from escalator.store.sql import SqlConnection, is_postgres_url

__all__ = ["BUSY_TIMEOUT_S", "MEMORY", "TaskLog", "open_log"]

BUSY_TIMEOUT_S = 5.0
MEMORY = ":memory:"


def open_log(
    path: Path | str | None = None, *, config: Config | None = None, create: bool = True
) -> TaskLog:
    """Open (and create or migrate) the task log at ``path``, default the config's.

    ``path`` is a file, ``":memory:"`` (a private in-memory log) or a
    ``postgresql://`` URL; the default is ``config.db_url`` when set, else
    ``config.db_path``. With ``create=False`` a missing file is an ``InputError``
    instead of a new empty log.
    """
    cfg = config or default_config()
    target = str(path) if path is not None else (cfg.db_url or str(cfg.db_path))
    if is_postgres_url(target):
        return TaskLog(_connect_postgres(target), path=_redacted_url(target), config=cfg)
    if target != MEMORY:
        file = Path(target).expanduser()
        if not file.exists() and not create:
            raise InputError(
                f"no task log at {file}; run a task first, or pass --db with the path of "
                "an existing log"
            )
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise log_error(str(file), exc) from None
        target = str(file)
    return TaskLog(_connect(target), path=target, config=cfg)


def _connect(target: str) -> SqlConnection:
    """Open, configure and migrate; any failure of the file is a ``TaskLogError`` naming it."""
    with log_errors(target):
        conn = SqlConnection.sqlite(target, timeout_s=BUSY_TIMEOUT_S)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if target != MEMORY:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def _connect_postgres(url: str) -> SqlConnection:
    import psycopg

    try:
        conn = SqlConnection.postgres(url, timeout_s=BUSY_TIMEOUT_S)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot open the task log at {_redacted_url(url)}: {first}; check that the "
            "PostgreSQL server is running and the URL (host, port, user, database) is right"
        ) from None
    migrate(conn)
    return conn


def _redacted_url(url: str) -> str:
    """The URL without its password, for messages and ``TaskLog.path``."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class TaskLog(InterruptedTasks, Attempts, Events, Labels, Spending, Facts):
    """Typed access to the task log. Use ``open_log`` to get one; close it when done."""
