"""The task log: a SQLite file per user, or one PostgreSQL database shared by a team.

SQLite: WAL mode, a 5 s busy timeout and short ``BEGIN IMMEDIATE`` write transactions
let several processes (CLI runs, the MCP server, a benchmark) write at once. PostgreSQL
(``postgresql://`` URL): the same queries and migrations through ``store.sql``, writers
serialised by an advisory lock across machines. One connection per ``TaskLog``, guarded
by a lock, so the async engine may call from worker threads. Text that may carry a
sandboxed run's output (feedback, error messages, verdict findings, event details, the
description) passes the redactor on the way in; code (diffs, patches, the resume state)
is stored as given.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from escalator.config import Config, default_config
from escalator.errors import InputError
from escalator.reaper import process_alive
from escalator.redact import redact, redact_data
from escalator.store import ledger
from escalator.store.health import log_error, log_errors, probe_write
from escalator.store.migrations import migrate
from escalator.store.records import (
    ATTEMPT_OUTCOMES,
    AttemptRecord,
    CallRecord,
    EventKind,
    EventRecord,
    LabelRecord,
    TaskRecord,
    VerdictRecord,
    new_task_id,
    utc_iso,
    utc_now,
)
from escalator.store.sql import (
    Cursor,
    DbErrors,
    IntegrityErrors,
    Row,
    SqlConnection,
    is_postgres_url,
)
from escalator.task import Outcome, TaskType

__all__ = ["BUSY_TIMEOUT_S", "MEMORY", "STALE_AFTER_S", "TaskLog", "open_log"]

BUSY_TIMEOUT_S = 5.0
MEMORY = ":memory:"
STALE_AFTER_S = 3600.0  # a running task of another host counts as interrupted after this

_TASK_COLUMNS = tuple(f.name for f in fields(TaskRecord))
_JSON_TASK_COLUMNS = {"files", "state"}
_BOOL_TASK_COLUMNS = {"hidden_pass", "baseline_hidden_pass"}  # INTEGER 0/1 on both backends
_UPDATABLE = frozenset(_TASK_COLUMNS) - {"task_id"}


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


def _owner_gone(task: TaskRecord, here: str, stale_before: str) -> bool:
    """Whether the process that ran ``task`` is gone, or silent since ``stale_before``."""
    if task.host == here and task.pid is not None:
        return not process_alive(task.pid)
    return task.updated_at < stale_before


class TaskLog:
    """Typed access to the task log. Use ``open_log`` to get one; close it when done."""

    def __init__(self, conn: SqlConnection, *, path: str, config: Config) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.config = config

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> TaskLog:
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

    # ------------------------------------------------------------------ tasks

    def create_task(self, task: TaskRecord) -> str:
        """Insert a task; fills in its id, timestamp and owner. Returns the task id."""
        _check_task_type(task.task_type)
        _check_outcome(task.outcome)
        now = utc_now()
        values = {
            **_task_values(task),
            "task_id": task.task_id or new_task_id(),
            "timestamp": utc_iso(task.timestamp) if task.timestamp else now,
            "updated_at": now,
            "host": task.host or socket.gethostname(),
            "pid": task.pid if task.pid is not None else os.getpid(),
        }
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._write() as db:
            try:
                db.execute(f"INSERT INTO tasks ({cols}) VALUES ({marks})", list(values.values()))
            except IntegrityErrors.of(db.dialect):
                raise InputError(
                    f"task id {values['task_id']!r} is already in the log; "
                    "leave task_id empty to get a fresh one"
                ) from None
        return str(values["task_id"])

    def update_task(self, task_id: str, **changes: Any) -> TaskRecord:
        """Set some of a task's fields; returns the task as stored afterwards."""
        unknown = sorted(set(changes) - _UPDATABLE)
        if unknown:
            raise InputError(
                f"cannot update task field {unknown[0]!r}; updatable fields: "
                + ", ".join(sorted(_UPDATABLE))
            )
        if "outcome" in changes:
            _check_outcome(changes["outcome"])
        if "task_type" in changes:
            _check_task_type(changes["task_type"])
        values = {k: _column_value(k, v) for k, v in changes.items()}
        if values.get("timestamp"):
            values["timestamp"] = utc_iso(values["timestamp"])
        values["updated_at"] = utc_now()
        tid = self.resolve_id(task_id)
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._write() as db:
            db.execute(f"UPDATE tasks SET {sets} WHERE task_id = ?", [*values.values(), tid])
        return self.get_task(tid)

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

    def get_task(self, id_or_prefix: str) -> TaskRecord:
        """One task by full id or unique prefix; ``InputError`` naming the fix otherwise."""
        tid = self.resolve_id(id_or_prefix)
        rows = self._query("SELECT * FROM tasks WHERE task_id = ?", (tid,))
        return _task_from_row(rows[0])

    def list_tasks(
        self, limit: int = 20, outcome: str | None = None, task_type: str | None = None
    ) -> list[TaskRecord]:
        """The newest tasks first, optionally of one outcome and/or type."""
        where, params = [], []
        if outcome is not None:
            _check_outcome(outcome)
            where.append("outcome = ?")
            params.append(str(outcome))
        if task_type is not None:
            _check_task_type(task_type)
            where.append("task_type = ?")
            params.append(str(task_type))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._query(
            f"SELECT * FROM tasks {clause} ORDER BY timestamp DESC, rowid DESC LIMIT ?",
            [*params, max(0, limit)],
        )
        return [_task_from_row(r) for r in rows]

    def count_tasks(self) -> int:
        return int(self._query("SELECT count(*) FROM tasks")[0][0])

    def review_queue(self) -> list[TaskRecord]:
        """Tasks waiting for a person (needs_review, awaiting_approval, interrupted), oldest
        first."""
        rows = self._query(
            "SELECT * FROM tasks WHERE outcome IN (?, ?, ?) ORDER BY timestamp, rowid",
            (
                Outcome.NEEDS_REVIEW.value,
                Outcome.AWAITING_APPROVAL.value,
                Outcome.INTERRUPTED.value,
            ),
        )
        return [_task_from_row(r) for r in rows]

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
        tasks = [_task_from_row(r) for r in rows]
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
            _insert_event(db, EventRecord(tid, EventKind.INTERRUPTED, detail={"reason": reason}))
        return self.get_task(tid)

    def sweep_interrupted(self, reason: str = "the process running it stopped mid-task") -> int:
        """Mark every task left ``running`` by a process that is gone as ``interrupted``;
        returns how many. Listing and starting tasks sweep first, so the log never shows a
        task as running that no process works on."""
        stale = self.interrupted()
        for task in stale:
            self.mark_interrupted(task.task_id, reason)
        return len(stale)

    # ------------------------------------------------------------------ attempts

    def add_attempt(
        self,
        attempt: AttemptRecord,
        verdicts: Sequence[VerdictRecord] = (),
        *,
        charge: bool = True,
    ) -> int:
        """Record an attempt and its verdicts (``verdicts``, else ``attempt.verdicts``).

        Counts the attempt and its latency on the task in the same transaction. With
        ``charge`` (for callers without a ledger of their own: imports, seeds) the worker
        call behind the attempt goes into the ledger too; the engine passes False, having
        reserved and settled that call itself. Returns the attempt id.
        """
        if attempt.outcome not in ATTEMPT_OUTCOMES:
            raise InputError(
                f"attempt outcome {attempt.outcome!r} is invalid; use one of "
                + ", ".join(ATTEMPT_OUTCOMES)
            )
        tid = self.resolve_id(attempt.task_id)
        created = utc_iso(attempt.created_at) if attempt.created_at else utc_now()
        with self._write() as db:
            n = attempt.n or _next_attempt_n(db, tid)
            cur = db.execute(
                "INSERT INTO attempts (task_id, n, model, provider, attempt_in_model, "
                "tokens_in, tokens_out, tokens_estimated, cost_usd, latency_ms, outcome, "
                "error_kind, error_message, confidence, feedback, diff, created_at, "
                "policy, policy_reason, brief_tokens, label) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    tid,
                    n,
                    attempt.model,
                    attempt.provider,
                    attempt.attempt_in_model,
                    attempt.tokens_in,
                    attempt.tokens_out,
                    int(attempt.tokens_estimated),
                    attempt.cost_usd,
                    attempt.latency_ms,
                    attempt.outcome,
                    attempt.error_kind,
                    _clean(attempt.error_message),
                    attempt.confidence,
                    _clean(attempt.feedback),
                    attempt.diff,
                    created,
                    attempt.policy,
                    attempt.policy_reason,
                    attempt.brief_tokens,
                    attempt.label,
                ),
            )
            attempt_id = _returned_id(cur)
            for v in verdicts or attempt.verdicts:
                _insert_verdict(db, attempt_id, v)
            if charge and (attempt.tokens_in or attempt.tokens_out or attempt.cost_usd):
                ledger.insert_done(db, _worker_call(tid, n, attempt, created))
            db.execute(  # spend is added by the ledger, never by attempts
                "UPDATE tasks SET attempts = attempts + 1, latency_ms = latency_ms + ?, "
                "updated_at = ? WHERE task_id = ?",
                (attempt.latency_ms, utc_now(), tid),
            )
        return attempt_id

    def attempts(self, task_id: str) -> list[AttemptRecord]:
        """A task's attempts in order, each with its verdicts."""
        tid = self.resolve_id(task_id)
        rows = self._query("SELECT * FROM attempts WHERE task_id = ? ORDER BY n", (tid,))
        verdict_rows = self._query(
            "SELECT v.* FROM verdicts v JOIN attempts a ON a.id = v.attempt_id "
            "WHERE a.task_id = ? ORDER BY v.id",
            (tid,),
        )
        by_attempt: dict[int, list[VerdictRecord]] = {}
        for vr in verdict_rows:
            by_attempt.setdefault(int(vr["attempt_id"]), []).append(_verdict_from_row(vr))
        return [_attempt_from_row(r, by_attempt.get(int(r["id"]), [])) for r in rows]

    def set_labels(self, task_id: str, labels: Mapping[int, str]) -> None:
        """Set the learning label of a task's attempts, by attempt number ``n``."""
        tid = self.resolve_id(task_id)
        with self._write() as db:
            db.executemany(
                "UPDATE attempts SET label = ? WHERE task_id = ? AND n = ?",
                [(label, tid, n) for n, label in labels.items()],
            )

    # ------------------------------------------------------------------ events

    def add_event(self, event: EventRecord) -> int:
        """Append to the audit log; an ``escalation`` also counts on the task."""
        if not event.kind:
            raise InputError("an event needs a kind, e.g. 'escalation' or 'approved'")
        tid = self.resolve_id(event.task_id)
        with self._write() as db:
            event_id = _insert_event(db, replace(event, task_id=tid))
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

    # ------------------------------------------------------------------ labels

    def add_label(self, label: LabelRecord) -> int:
        """Record a task type a person gave (an override or a correction)."""
        _check_task_type(label.task_type)
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
            return _returned_id(cur)  # read before the commit, as SQLite requires

    def labels(self) -> list[LabelRecord]:
        """Every label, oldest first."""
        rows = self._query("SELECT * FROM labels ORDER BY created_at, id")
        return [LabelRecord(**_row_fields(r, LabelRecord)) for r in rows]

    # ------------------------------------------------------------------ money

    def spent_today(self, task_type: str, now: datetime | None = None) -> float:
        """USD the ledger counts today (UTC) for tasks of ``task_type`` (calls still in
        flight at their worst case)."""
        with self._lock, log_errors(self.path):
            return ledger.spent_today(self._conn, task_type, now)

    def reserve_call(self, call: CallRecord, check: ledger.BudgetCheck) -> int:
        """Before a model call: ``check(spent_on_task, spent_today)`` against the ledger
        and the call's reservation, in one write transaction (``check`` raises to refuse:
        nothing is reserved then). Returns the call's id for ``settle_call``."""
        tid = self.resolve_id(call.task_id)
        with self._write() as db:
            task_type = db.execute(
                "SELECT task_type FROM tasks WHERE task_id = ?", (tid,)
            ).fetchall()[0][0]
            return ledger.insert_reserved(db, replace(call, task_id=tid), str(task_type), check)

    def settle_call(self, call_id: int, call: CallRecord) -> None:
        """After a model call: its real figures, added to the task's totals at once."""
        if call.state not in ledger.CALL_STATES:
            raise InputError(
                f"call state {call.state!r} is invalid; use one of " + ", ".join(ledger.CALL_STATES)
            )
        with self._write() as db:
            ledger.settle(db, call_id, call)

    def add_call(self, call: CallRecord) -> int:
        """Record a call that already happened (no budget check): imports, seeds, replays."""
        tid = self.resolve_id(call.task_id)
        with self._write() as db:
            return ledger.insert_done(db, replace(call, task_id=tid))

    def calls(self, task_id: str) -> list[CallRecord]:
        """A task's model calls in order: the ledger its spend is summed from."""
        tid = self.resolve_id(task_id)
        rows = self._query("SELECT * FROM calls WHERE task_id = ? ORDER BY id", (tid,))
        return [
            CallRecord(
                **{**_row_fields(r, CallRecord), "tokens_estimated": bool(r["tokens_estimated"])}
            )
            for r in rows
        ]

    def task_spend(self, task_id: str) -> ledger.Spend:
        """What the ledger says a task's calls cost."""
        tid = self.resolve_id(task_id)
        with self._lock, log_errors(self.path):
            return ledger.spend_of(self._conn, tid)

    def attempt_facts(self) -> list[Row]:
        """Per attempt: task type, task outcome, model, outcome, cost, latency (for analytics)."""
        return self._query(
            "SELECT a.task_id, t.task_type, t.outcome AS task_outcome, t.final_model, "
            "a.model, a.outcome, (SELECT coalesce(sum(c.cost_usd), 0) FROM calls c "
            "WHERE c.task_id = a.task_id AND c.attempt_n = a.n) AS cost_usd, "
            "a.latency_ms, a.tokens_in, a.tokens_out "
            "FROM attempts a JOIN tasks t ON t.task_id = a.task_id ORDER BY a.task_id, a.n"
        )

    def learning_facts(self, task_type: str | None = None) -> list[Row]:
        """Per attempt of a finished task, oldest task first: the task's type, outcome and
        final model, whether a review rejected or approved it, and the attempt's model, outcome,
        label, cost, tokens, latency and its validators' statuses (``statuses``:
        ``validator=status`` joined by commas)."""
        statuses = self._conn.concat_agg("v.validator || '=' || v.status")
        where = "WHERE t.outcome NOT IN ('running', 'awaiting_approval', 'interrupted')"
        params: list[Any] = []
        if task_type is not None:
            where += " AND t.task_type = ?"
            params.append(str(task_type))
        return self._query(
            "SELECT a.task_id, t.task_type, t.outcome AS task_outcome, t.final_model, "
            "EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.task_id "
            "AND e.kind = 'review_rejected') AS rejected, "
            "EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.task_id "
            "AND e.kind = 'review_approved') AS approved, "
            "a.n, a.model, a.outcome, a.label, a.error_kind, "
            "(SELECT coalesce(sum(c.cost_usd), 0) FROM calls c WHERE c.task_id = a.task_id "
            "AND c.attempt_n = a.n) AS cost_usd, a.tokens_in, "
            "a.tokens_out, a.latency_ms, a.policy, "
            f"(SELECT {statuses} FROM verdicts v "
            "WHERE v.attempt_id = a.id) AS statuses "
            f"FROM attempts a JOIN tasks t ON t.task_id = a.task_id {where} "
            "ORDER BY t.timestamp, t.rowid, a.n",
            params,
        )

    def chains_run(self) -> list[Row]:
        """Per task type and chain: how many tasks ran with that chain (from their plans)."""
        chain = self._conn.json_path("state", "plan", "chain")
        return self._query(
            f"SELECT task_type, {chain} AS chain, count(*) AS tasks "
            f"FROM tasks WHERE {chain} IS NOT NULL "
            "GROUP BY task_type, chain ORDER BY task_type, tasks DESC"
        )

    def arm_facts(self) -> list[Row]:
        """Per finished task that ran an A/B arm: type, arm, outcome, cost, latency."""
        return self._query(
            "SELECT task_type, arm, outcome, cost_usd, latency_ms FROM tasks "
            "WHERE arm IS NOT NULL "
            "AND outcome NOT IN ('running', 'awaiting_approval', 'interrupted')"
        )

    def task_facts(self) -> list[Row]:
        """Per task: the columns the analytics need (a bench's scores included)."""
        return self._query(
            "SELECT task_id, task_type, outcome, final_model, attempts, escalations, "
            "cost_usd, cloud_only_cost_usd, latency_ms, tokens_in, tokens_out, hidden_pass, "
            "baseline_model, baseline_cost_usd, baseline_hidden_pass FROM tasks"
        )


# ---------------------------------------------------------------------- row mapping


def _check_outcome(value: str) -> None:
    if value not in {o.value for o in Outcome}:
        raise InputError(
            f"unknown task outcome {value!r}; allowed: " + ", ".join(o.value for o in Outcome)
        )


def _check_task_type(value: str) -> None:
    try:
        TaskType.parse(str(value))
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _clean(text: str | None) -> str | None:
    """Secrets out of text that came from a sandboxed run (the module docstring)."""
    return None if text is None else redact(text)


def _column_value(name: str, value: Any) -> Any:
    if name == "description" and isinstance(value, str):
        return redact(value)
    if name in _JSON_TASK_COLUMNS:
        return json.dumps(list(value) if name == "files" else value, default=str)
    if name in _BOOL_TASK_COLUMNS and value is not None:
        return int(bool(value))
    if isinstance(value, TaskType | Outcome):
        return value.value
    return value


def _task_values(task: TaskRecord) -> dict[str, Any]:
    return {name: _column_value(name, getattr(task, name)) for name in _TASK_COLUMNS}


def _task_from_row(row: Row) -> TaskRecord:
    data = _row_fields(row, TaskRecord)
    data["files"] = tuple(json.loads(row["files"]))
    data["state"] = json.loads(row["state"])
    for name in _BOOL_TASK_COLUMNS & set(data):
        data[name] = None if data[name] is None else bool(data[name])
    return TaskRecord(**data)


def _next_attempt_n(db: SqlConnection, task_id: str) -> int:
    rows = db.execute("SELECT coalesce(max(n), 0) FROM attempts WHERE task_id = ?", (task_id,))
    return int(rows.fetchall()[0][0]) + 1


def _worker_call(task_id: str, n: int, attempt: AttemptRecord, created: str) -> CallRecord:
    return CallRecord(
        task_id=task_id,
        role="worker",
        model=attempt.model,
        provider=attempt.provider,
        attempt_n=n,
        tokens_in=attempt.tokens_in,
        tokens_out=attempt.tokens_out,
        tokens_estimated=attempt.tokens_estimated,
        cost_usd=attempt.cost_usd,
        latency_ms=attempt.latency_ms,
        created_at=created,
    )


def _insert_verdict(db: SqlConnection, attempt_id: int, v: VerdictRecord) -> None:
    db.execute(
        "INSERT INTO verdicts (attempt_id, validator, status, confidence, duration_ms, "
        "findings, feedback) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            attempt_id,
            v.validator,
            v.status,
            v.confidence,
            v.duration_ms,
            json.dumps(redact_data(v.findings), default=str),
            _clean(v.feedback),
        ),
    )


def _insert_event(db: SqlConnection, e: EventRecord) -> int:
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
    return _returned_id(cur)


def _returned_id(cur: Cursor) -> int:
    row = cur.fetchone()
    return int(row[0]) if row is not None else 0


def _row_fields(row: Row, record: type[Any]) -> dict[str, Any]:
    """The row's values for the record's fields (columns a later schema adds are left out)."""
    columns = set(row.keys())
    return {f.name: row[f.name] for f in fields(record) if f.name in columns}


def _verdict_from_row(row: Row) -> VerdictRecord:
    return VerdictRecord(
        **{**_row_fields(row, VerdictRecord), "findings": json.loads(row["findings"])}
    )


def _attempt_from_row(row: Row, verdicts: list[VerdictRecord]) -> AttemptRecord:
    data = _row_fields(row, AttemptRecord)
    data["tokens_estimated"] = bool(data["tokens_estimated"])
    return AttemptRecord(**data, verdicts=tuple(verdicts))


def _event_from_row(row: Row) -> EventRecord:
    return EventRecord(**{**_row_fields(row, EventRecord), "detail": json.loads(row["detail"])})
