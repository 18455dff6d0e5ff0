"""Schema of the task log as ordered, numbered migrations (the simonw/llm pattern).

Each migration is a function ``mNNN_name(db)`` registered in ``MIGRATIONS`` in order;
the names of those applied live in the ``_migrations`` table. ``migrate`` applies the
missing ones inside one ``BEGIN IMMEDIATE`` transaction, so two processes opening a
fresh database at the same moment do not both migrate it. Never edit a released
migration: add a new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress

from escalator.errors import UserError
from escalator.store.records import utc_now
from escalator.store.sql import DbErrors, SqlConnection

__all__ = ["MIGRATIONS", "applied_migrations", "migrate"]

Migration = Callable[[SqlConnection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a migration; they run in the order they are defined."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: SqlConnection) -> None:
    db.execute(
        """
        CREATE TABLE tasks (
            task_id TEXT PRIMARY KEY,
            timestamp TEXT NOT NULL,
            task_type TEXT NOT NULL,
            description TEXT NOT NULL,
            complexity_score INTEGER,
            classification_confidence REAL,
            worker TEXT,
            checker TEXT,
            outcome TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            escalations INTEGER NOT NULL DEFAULT 0,
            validation_method TEXT NOT NULL DEFAULT '',
            latency_ms REAL NOT NULL DEFAULT 0,
            tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            cloud_only_cost_usd REAL NOT NULL DEFAULT 0,
            workspace TEXT,
            files TEXT NOT NULL DEFAULT '[]',
            test_command TEXT,
            budget_usd REAL,
            final_model TEXT,
            patch TEXT,
            state TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            model TEXT NOT NULL,
            provider TEXT NOT NULL DEFAULT '',
            attempt_in_model INTEGER NOT NULL DEFAULT 1,
            tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0,
            tokens_estimated INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL,
            error_kind TEXT,
            error_message TEXT,
            confidence REAL,
            feedback TEXT,
            diff TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (task_id, n)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE verdicts (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
            validator TEXT NOT NULL,
            status TEXT NOT NULL,
            confidence REAL,
            duration_ms REAL NOT NULL DEFAULT 0,
            findings TEXT NOT NULL DEFAULT '[]',
            feedback TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            from_model TEXT,
            to_model TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        )
        """
    )


@migration
def m002_indexes(db: SqlConnection) -> None:
    """Indexes for the listing, the daily budget check and per-task lookups."""
    db.execute("CREATE INDEX idx_tasks_timestamp ON tasks(timestamp)")
    db.execute("CREATE INDEX idx_tasks_outcome ON tasks(outcome)")
    db.execute("CREATE INDEX idx_attempts_created ON attempts(created_at)")
    db.execute("CREATE INDEX idx_verdicts_attempt ON verdicts(attempt_id)")
    db.execute("CREATE INDEX idx_events_task ON events(task_id)")


@migration
def m003_task_owner(db: SqlConnection) -> None:
    """Which host and process run a task, so a task left ``running`` by a dead process
    can be told from one that is still running."""
    db.execute("ALTER TABLE tasks ADD COLUMN host TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN pid INTEGER")


@migration
def m004_attempt_policy(db: SqlConnection) -> None:
    """Per attempt: which policy chose the model and why, the size of the escalation
    brief it was given, and the learning label the engine gave its answer at the end."""
    db.execute("ALTER TABLE attempts ADD COLUMN policy TEXT")
    db.execute("ALTER TABLE attempts ADD COLUMN policy_reason TEXT")
    db.execute("ALTER TABLE attempts ADD COLUMN brief_tokens INTEGER")
    db.execute("ALTER TABLE attempts ADD COLUMN label TEXT")


@migration
def m005_health_probe(db: SqlConnection) -> None:
    """One row that ``TaskLog.check_writable`` rewrites before a task's first model call,
    so a log that cannot be written fails before anything is paid."""
    db.execute(
        "CREATE TABLE _health (id INTEGER PRIMARY KEY CHECK (id = 1), probed_at TEXT NOT NULL)"
    )


@migration
def m006_task_arm(db: SqlConnection) -> None:
    """Which A/B arm of the matrix a task ran (``qwen3-30b=local-14b``), for ``stats``."""
    db.execute("ALTER TABLE tasks ADD COLUMN arm TEXT")


@migration
def m007_classification_labels(db: SqlConnection) -> None:
    """Task types a person gave: a ``run --type`` that overrode the classifier, or a
    ``classify --correct``; ``classify --retrain`` refits the user's classifier on them."""
    db.execute(
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            task_id TEXT REFERENCES tasks(task_id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            task_type TEXT NOT NULL,
            predicted TEXT,
            origin TEXT NOT NULL,
            project TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_labels_created ON labels(created_at)")


@migration
def m008_spend_ledger(db: SqlConnection) -> None:
    """The ledger of spend: one row per model call (store/ledger.py). Earlier spend is
    carried over: each attempt's call, each repeated answer (then an event), and what a
    task's total held beyond those (its checker calls) as one ``unattributed`` row."""
    db.execute(
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            model TEXT NOT NULL,
            provider TEXT NOT NULL DEFAULT '',
            attempt_n INTEGER,
            state TEXT NOT NULL,
            reserved_usd REAL NOT NULL DEFAULT 0,
            tokens_in INTEGER NOT NULL DEFAULT 0,
            tokens_out INTEGER NOT NULL DEFAULT 0,
            tokens_estimated INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            latency_ms REAL NOT NULL DEFAULT 0,
            finish_reason TEXT,
            created_at TEXT NOT NULL,
            settled_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_calls_created ON calls(created_at)")
    db.execute("CREATE INDEX idx_calls_task ON calls(task_id)")
    db.execute(
        "INSERT INTO calls (task_id, role, model, provider, attempt_n, state, tokens_in, "
        "tokens_out, tokens_estimated, cost_usd, latency_ms, created_at, settled_at) "
        "SELECT task_id, 'worker', model, provider, n, 'done', tokens_in, tokens_out, "
        "tokens_estimated, cost_usd, latency_ms, created_at, created_at FROM attempts "
        "WHERE tokens_in > 0 OR tokens_out > 0 OR cost_usd > 0"
    )
    repeats = db.execute(
        "SELECT task_id, from_model, detail, at FROM events WHERE kind = 'identical_retry' "
        "ORDER BY id"
    ).fetchall()
    for task_id, model, detail, at in repeats:
        d = json.loads(detail or "{}")
        if not d.get("cost_usd") and not d.get("tokens_out"):
            continue  # newer logs record a repeated answer as an attempt (carried above)
        db.execute(
            "INSERT INTO calls (task_id, role, model, state, tokens_in, tokens_out, cost_usd, "
            "latency_ms, created_at, settled_at) VALUES (?, 'worker', ?, 'done', ?, ?, ?, ?, ?, ?)",
            (
                task_id,
                model or "",
                int(d.get("tokens_in") or 0),
                int(d.get("tokens_out") or 0),
                float(d.get("cost_usd") or 0.0),
                float(d.get("latency_ms") or 0.0),
                at,
                at,
            ),
        )
    db.execute(
        "INSERT INTO calls (task_id, role, model, state, cost_usd, created_at, settled_at) "
        "SELECT t.task_id, 'unattributed', coalesce(t.checker, ''), 'done', "
        "t.cost_usd - coalesce(s.cost, 0), t.updated_at, t.updated_at "
        "FROM tasks t LEFT JOIN (SELECT task_id, sum(cost_usd) AS cost FROM calls "
        "GROUP BY task_id) s ON s.task_id = t.task_id "
        "WHERE t.cost_usd - coalesce(s.cost, 0) > 1e-12"
    )


@migration
def m009_bench_scores(db: SqlConnection) -> None:
    """What a bench learned about a task after the engine decided (``bench.record``):
    whether its accepted code passed the hidden tests, and the strongest-alone baseline
    (which model, what it would have cost answering the task alone, whether that answer
    passed the hidden tests). NULL for tasks no bench scored (every ``run`` task). The
    learned policy never reads these columns (``learning_facts`` leaves them out)."""
    db.execute("ALTER TABLE tasks ADD COLUMN hidden_pass INTEGER")
    db.execute("ALTER TABLE tasks ADD COLUMN baseline_model TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN baseline_cost_usd REAL")
    db.execute("ALTER TABLE tasks ADD COLUMN baseline_hidden_pass INTEGER")


def _ensure_table(db: SqlConnection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )


def applied_migrations(db: SqlConnection) -> list[str]:
    """Names of the migrations this database has, in the order they were applied."""
    _ensure_table(db)
    rows = db.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    return [str(r[0]) for r in rows]


def migrate(db: SqlConnection, *, upto: str | None = None) -> list[str]:
    """Apply the missing migrations (up to and including ``upto``); returns their names.

    The same migrations run on SQLite and PostgreSQL (``store.sql`` translates the DDL).
    Raises ``UserError``
    when the database was written by a newer Escalator with migrations this one lacks.
    """
    known = [m.__name__ for m in MIGRATIONS]
    db.begin_write()
    try:
        done = applied_migrations(db)
        unknown = [name for name in done if name not in known]
        if unknown:
            raise UserError(
                f"the task log has migration {unknown[0]!r}, which this Escalator does not "
                "know: it was written by a newer version; upgrade escalator or use another "
                "--db"
            )
        applied: list[str] = []
        for fn in MIGRATIONS:
            if fn.__name__ not in done:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, utc_now()),
                )
                applied.append(fn.__name__)
            if fn.__name__ == upto:
                break
        db.commit()
    except BaseException:
        if db.in_transaction:
            with suppress(*DbErrors.of(db.dialect)):
                db.rollback()
        raise
    return applied
