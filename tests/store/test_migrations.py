from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from escalator.errors import UserError
from escalator.store import open_log
from escalator.store.migrations import MIGRATIONS, applied_migrations, migrate
from escalator.store.sql import SqlConnection

ALL = [m.__name__ for m in MIGRATIONS]


def _sqlite(target: str | Path) -> SqlConnection:
    return SqlConnection(sqlite3.connect(target, isolation_level=None), "sqlite")


def _tables(db: SqlConnection) -> set[str]:
    return set(db.tables())


def _columns(db: SqlConnection, table: str) -> set[str]:
    return {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})").fetchall()}


def test_migration_names_are_numbered_in_order() -> None:
    numbers = [int(re.fullmatch(r"m(\d{3})_\w+", name).group(1)) for name in ALL]  # type: ignore[union-attr]
    assert numbers == list(range(1, len(ALL) + 1))


def test_all_migrations_run_on_an_in_memory_db() -> None:
    db = _sqlite(":memory:")
    assert migrate(db) == ALL
    assert {"tasks", "attempts", "verdicts", "events", "_migrations"} <= _tables(db)
    assert {"task_id", "cloud_only_cost_usd", "state", "patch", "host", "pid"} <= _columns(
        db, "tasks"
    )
    assert {"tokens_estimated", "error_kind", "diff"} <= _columns(db, "attempts")
    assert applied_migrations(db) == ALL
    assert migrate(db) == []  # idempotent


def test_existing_db_at_an_older_version_is_upgraded_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = _sqlite(path)
    assert migrate(db, upto="m001_initial") == ["m001_initial"]
    assert "host" not in _columns(db, "tasks")
    # A row written by the older Escalator (its API is gone, so this one is raw SQL).
    db.execute(
        "INSERT INTO tasks (task_id, timestamp, task_type, description, outcome, updated_at) "
        "VALUES ('0123456789abcdef0123456789abcdef', '2026-01-02T03:04:05.000+00:00', "
        "'quick_edit', 'old task', 'passed', '2026-01-02T03:04:05.000+00:00')"
    )
    db.close()

    with open_log(path) as log:
        task = log.get_task("01234567")
        assert task.description == "old task"
        assert task.host is None and task.pid is None
        assert task.files == () and task.state == {}
        assert log.interrupted() == []
    db = _sqlite(path)
    assert applied_migrations(db) == ALL
    assert "idx_tasks_timestamp" in {
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    }


def test_a_db_from_a_newer_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = _sqlite(path)
    migrate(db)
    db.execute("INSERT INTO _migrations VALUES ('m999_future', '2030-01-01T00:00:00+00:00')")
    db.close()
    with pytest.raises(UserError, match="newer version; upgrade escalator"):
        open_log(path)


def test_a_failing_migration_leaves_the_db_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    def m004_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    db = _sqlite(":memory:")
    migrate(db)
    monkeypatch.setattr("escalator.store.migrations.MIGRATIONS", [*MIGRATIONS, m004_broken])
    with pytest.raises(RuntimeError):
        migrate(db)
    assert "half_done" not in _tables(db)
    assert applied_migrations(db) == ALL
