"""The PostgreSQL task log: migrations, writers serialised across processes, migrate from
SQLite. Every other store test also runs on PostgreSQL (the ``log`` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.analytics import compute_stats
from escalator.cli.main import cli
from escalator.store import AttemptRecord, EventRecord, TaskRecord, open_log
from escalator.store.migrations import MIGRATIONS, applied_migrations, migrate
from escalator.store.sql import SqlConnection

ROOT = Path(__file__).resolve().parents[2]
ALL = [m.__name__ for m in MIGRATIONS]


def test_all_migrations_run_on_postgres_and_are_idempotent(pg_url: str) -> None:
    db = SqlConnection.postgres(pg_url, timeout_s=5)
    assert migrate(db) == ALL
    assert {"tasks", "attempts", "verdicts", "events", "_migrations"} <= set(db.tables())
    assert applied_migrations(db) == ALL
    assert migrate(db) == []
    db.close()


def test_costs_keep_full_precision(pg_url: str) -> None:
    with open_log(pg_url) as log:
        tid = log.create_task(TaskRecord(task_type="quick_edit", description="x"))
        log.add_attempt(
            AttemptRecord(task_id=tid, model="m", outcome="passed", cost_usd=0.000123456789)
        )
        assert log.get_task(tid).cost_usd == 0.000123456789


_WRITER = """
import sys, time
from escalator.store import EventRecord, open_log
url, tid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_log(url) as log:
    for _ in range(n):
        with log._write() as db:
            seen = db.execute("SELECT count(*) FROM events WHERE task_id = ?", (tid,)).fetchall()
            time.sleep(0.005)  # widen the window a lost update would need
            db.execute(
                "INSERT INTO events (task_id, at, kind, detail) VALUES (?, ?, 'probe', ?)",
                (tid, "2026-01-01T00:00:00+00:00", str(seen[0][0])),
            )
"""


def test_writers_on_two_processes_never_interleave_a_check_and_its_insert(pg_url: str) -> None:
    """What makes a daily budget safe across machines: read-then-write is one unit."""
    with open_log(pg_url) as log:
        tid = log.create_task(TaskRecord(task_type="quick_edit", description="x"))
    argv = [sys.executable, "-c", _WRITER, pg_url, tid, "25"]
    procs = [subprocess.Popen(argv, cwd=ROOT) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with open_log(pg_url) as log:
        seen = sorted(int(e.detail) for e in log.events(tid) if e.kind == "probe")  # type: ignore[call-overload]
    assert seen == list(range(50)), "two writers saw the same count: a lost update"


def test_log_migrate_copies_a_sqlite_log_into_postgres(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "tasks.db"
    with open_log(source) as log:
        ids = []
        for n in range(3):
            tid = log.create_task(TaskRecord(task_type="standard_development", description=f"t{n}"))
            log.add_attempt(
                AttemptRecord(task_id=tid, model="qwen3-30b", outcome="failed", cost_usd=0.0)
            )
            log.add_attempt(
                AttemptRecord(task_id=tid, model="haiku", outcome="passed", cost_usd=0.01)
            )
            log.add_event(EventRecord(tid, "escalation", from_model="qwen3-30b", to_model="haiku"))
            log.update_task(tid, outcome="passed", final_model="haiku")
            ids.append(tid)
        before = compute_stats(log).to_json()
        listing = [t.task_id for t in log.list_tasks()]
    argv = ["log", "migrate", "--db", str(source), "--to", pg_url]
    result = CliRunner().invoke(cli, [*argv, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["copied"]["tasks"] == 3 and report["copied"]["attempts"] == 6
    with open_log(pg_url) as log:
        assert compute_stats(log).to_json() == before
        assert [t.task_id for t in log.list_tasks()] == listing
        assert [a.model for a in log.attempts(ids[0])] == ["qwen3-30b", "haiku"]
        assert log.get_task(ids[1]).escalations == 1
        # new rows after the copy get fresh ids (the sequences were moved past the copies)
        log.add_attempt(AttemptRecord(task_id=ids[0], model="sonnet", outcome="passed"))
    again = CliRunner().invoke(cli, argv)
    assert again.exit_code == 2 and "not empty" in again.output


@pytest.mark.parametrize("target", ["notes.txt", "postgresql://nobody@127.0.0.1:9/none"])
def test_log_migrate_refuses_a_bad_target(tmp_path: Path, target: str) -> None:
    source = tmp_path / "tasks.db"
    open_log(source).close()
    result = CliRunner().invoke(cli, ["log", "migrate", "--db", str(source), "--to", target])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.startswith("error:")


def test_the_same_log_reads_the_same_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    """stats, the report's chains and tune/replay's learning facts agree across backends."""
    from escalator.config import default_config
    from tests.store.seed import seed

    config = default_config()
    results = []
    for target in (tmp_path / "tasks.db", pg_url):
        with open_log(target, config=config) as log:
            seed(log, config)
            facts = [
                {k: v for k, v in dict(r).items() if k not in ("task_id", "rejected", "approved")}
                for r in log.learning_facts()
            ]
            chains = sorted((str(r["task_type"]), json.loads(r["chain"])) for r in log.chains_run())
            results.append((compute_stats(log).to_json(), facts, chains))
    assert results[0] == results[1]
