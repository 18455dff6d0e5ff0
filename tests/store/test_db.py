from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from escalator.config import Config
from escalator.errors import InputError
from escalator.store import (
    AttemptRecord,
    EventRecord,
    TaskLog,
    TaskRecord,
    VerdictRecord,
    open_log,
)
from escalator.store.sql import IntegrityErrors


def _task(**kw: object) -> TaskRecord:
    base: dict[str, object] = {
        "task_type": "standard_development",
        "description": "add a --limit option to the log command",
    }
    return TaskRecord(**{**base, **kw})  # type: ignore[arg-type]


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


def test_task_round_trips_with_json_fields(log: TaskLog) -> None:
    tid = log.create_task(
        _task(
            complexity_score=4,
            classification_confidence=0.7,
            files=("src/a.py", "src/b.py"),
            state={"chain_pos": 1, "tried": ["qwen3-30b"]},
            workspace="/w",
            budget_usd=0.5,
        )
    )
    assert len(tid) == 32 and int(tid, 16) >= 0
    task = log.get_task(tid)
    assert task.files == ("src/a.py", "src/b.py")
    assert task.state == {"chain_pos": 1, "tried": ["qwen3-30b"]}
    assert task.outcome == "running" and task.complexity_score == 4
    assert task.timestamp.endswith("+00:00") and task.pid == os.getpid()
    data = task.to_json()
    assert data["files"] == ["src/a.py", "src/b.py"] and data["task_id"] == tid


def test_timestamps_are_normalised_to_utc(log: TaskLog) -> None:
    tid = log.create_task(_task(timestamp="2026-03-01T01:30:00+02:00"))
    assert log.get_task(tid).timestamp == "2026-02-28T23:30:00.000+00:00"


def test_lookup_by_unique_prefix_and_errors_that_name_the_fix(log: TaskLog) -> None:
    a = log.create_task(_task(task_id="abc1" + "0" * 28))
    log.create_task(_task(task_id="abc2" + "0" * 28))
    assert log.get_task("abc1").task_id == a
    assert log.get_task("ABC1").task_id == a
    with pytest.raises(InputError, match=r"ambiguous.*more characters"):
        log.get_task("abc")
    with pytest.raises(InputError, match="run 'escalator log'"):
        log.get_task("ffff")
    with pytest.raises(InputError, match="already in the log"):
        log.create_task(_task(task_id=a))


def test_update_task_validates_fields_and_outcomes(log: TaskLog) -> None:
    tid = log.create_task(_task())
    updated = log.update_task(tid, outcome="passed", final_model="qwen3-30b", patch="diff")
    assert (updated.outcome, updated.final_model, updated.patch) == ("passed", "qwen3-30b", "diff")
    assert updated.updated_at >= updated.timestamp
    with pytest.raises(InputError, match="cannot update task field 'colour'"):
        log.update_task(tid, colour="red")
    with pytest.raises(InputError, match="unknown task outcome 'great'"):
        log.update_task(tid, outcome="great")
    with pytest.raises(InputError, match="unknown task type"):
        log.create_task(_task(task_type="poetry"))


def test_add_attempt_keeps_task_totals_and_verdicts(log: TaskLog) -> None:
    tid = log.create_task(_task())
    first = log.add_attempt(
        AttemptRecord(
            task_id=tid,
            model="qwen3-30b",
            outcome="failed",
            tokens_in=1000,
            tokens_out=300,
            latency_ms=5000,
            feedback="test_x failed",
        ),
        [
            VerdictRecord("syntax", "passed", 1.0, 10.0),
            VerdictRecord("tests", "failed", 0.9, 900.0, [{"test": "test_x", "line": 12}], "fix"),
        ],
    )
    log.add_attempt(
        AttemptRecord(
            task_id=tid[:8],
            model="haiku",
            outcome="passed",
            tokens_in=1100,
            tokens_out=250,
            cost_usd=0.000235,
            latency_ms=1500,
            tokens_estimated=True,
        )
    )
    task = log.get_task(tid)
    assert (task.attempts, task.tokens_in, task.tokens_out) == (2, 2100, 550)
    assert task.cost_usd == pytest.approx(0.000235)
    assert task.latency_ms == pytest.approx(6500)
    attempts = log.attempts(tid)
    assert [a.n for a in attempts] == [1, 2]
    assert attempts[0].id == first and attempts[1].tokens_estimated is True
    assert [v.validator for v in attempts[0].verdicts] == ["syntax", "tests"]
    assert attempts[0].verdicts[1].findings == [{"test": "test_x", "line": 12}]
    assert attempts[1].verdicts == ()
    assert attempts[0].to_json()["verdicts"][1]["feedback"] == "fix"


def test_add_attempt_rejects_bad_input_without_writing(log: TaskLog) -> None:
    tid = log.create_task(_task())
    with pytest.raises(InputError, match="passed, failed, error, skipped"):
        log.add_attempt(AttemptRecord(task_id=tid, model="m", outcome="ok"))
    with pytest.raises(InputError, match="no task"):
        log.add_attempt(AttemptRecord(task_id="deadbeef", model="m", outcome="passed"))
    with pytest.raises(IntegrityErrors.of(log._conn.dialect)):
        log.add_attempt(AttemptRecord(task_id=tid, model="m", outcome="passed", n=1))
        log.add_attempt(AttemptRecord(task_id=tid, model="m", outcome="passed", n=1))
    assert log.get_task(tid).attempts == 1  # the duplicate rolled back, totals too


def test_events_form_the_audit_log_and_count_escalations(log: TaskLog) -> None:
    tid = log.create_task(_task())
    log.add_event(EventRecord(tid, "escalation", "qwen3-30b", "local-32b", {"reason": "tests"}))
    log.add_event(
        EventRecord(tid, "approval_requested", to_model="haiku", detail={"worst_case_usd": 0.004})
    )
    log.add_event(EventRecord(tid, "approved", detail={"by": "cli"}))
    events = log.events(tid)
    assert [e.kind for e in events] == ["escalation", "approval_requested", "approved"]
    assert events[0].detail == {"reason": "tests"} and events[1].to_model == "haiku"
    assert log.get_task(tid).escalations == 1
    with pytest.raises(InputError, match="needs a kind"):
        log.add_event(EventRecord(tid, ""))


def test_list_tasks_filters_newest_first(log: TaskLog) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for i, (kind, outcome) in enumerate(
        [("quick_edit", "passed"), ("critical", "failed"), ("quick_edit", "skipped")]
    ):
        tid = log.create_task(
            _task(
                task_type=kind,
                timestamp=(base + timedelta(hours=i)).isoformat(),
                description=f"t{i}",
            )
        )
        log.update_task(tid, outcome=outcome)
    assert [t.description for t in log.list_tasks()] == ["t2", "t1", "t0"]
    assert [t.description for t in log.list_tasks(limit=1)] == ["t2"]
    assert [t.description for t in log.list_tasks(task_type="quick_edit")] == ["t2", "t0"]
    assert [t.description for t in log.list_tasks(outcome="failed")] == ["t1"]
    assert log.count_tasks() == 3


def test_review_queue_holds_tasks_waiting_for_a_person(log: TaskLog) -> None:
    waiting = []
    for outcome in ("passed", "needs_review", "awaiting_approval", "failed"):
        tid = log.create_task(_task(description=outcome))
        log.update_task(tid, outcome=outcome)
        if outcome in ("needs_review", "awaiting_approval"):
            waiting.append(tid)
    assert [t.task_id for t in log.review_queue()] == waiting


def test_spent_today_counts_todays_attempts_of_the_type(log: TaskLog) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    std = log.create_task(_task())
    quick = log.create_task(_task(task_type="quick_edit"))

    def spend(tid: str, usd: float, at: datetime) -> None:
        log.add_attempt(
            AttemptRecord(
                task_id=tid,
                model="haiku",
                outcome="failed",
                cost_usd=usd,
                created_at=at.isoformat(),
            )
        )

    spend(std, 0.25, now - timedelta(hours=9))  # 01:00 today
    spend(std, 0.5, now)
    spend(std, 4.0, now - timedelta(hours=11))  # 23:00 yesterday
    spend(quick, 1.0, now)
    # 03:30 at +02:00 is 01:30 UTC today
    spend(std, 0.125, datetime(2026, 11, 25, 3, 30, tzinfo=timezone(timedelta(hours=2))))
    assert log.spent_today("standard_development", now=now) == pytest.approx(0.875)
    assert log.spent_today("quick_edit", now=now) == pytest.approx(1.0)
    assert log.spent_today("standard_development", now=now - timedelta(days=1)) == pytest.approx(
        4.0
    )
    assert log.spent_today("critical", now=now) == 0.0


def test_interrupted_finds_tasks_left_running_by_dead_processes(log: TaskLog) -> None:
    mine = log.create_task(_task(description="still running here"))
    dead = log.create_task(_task(description="killed", pid=_dead_pid()))
    elsewhere = log.create_task(_task(description="other host", host="build-box-7", pid=1))
    done = log.create_task(_task(description="done"))
    log.update_task(done, outcome="passed")
    assert [t.task_id for t in log.interrupted()] == [dead]  # the other host's is fresh
    assert [t.task_id for t in log.interrupted(include_live=True)] == [mine, dead, elsewhere]
    later = datetime.now(UTC) + timedelta(hours=2)
    assert [t.task_id for t in log.interrupted(now=later)] == [dead, elsewhere]
    assert [t.task_id for t in log.interrupted(now=later, stale_after_s=3 * 3600)] == [dead]
    marked = log.mark_interrupted(dead, "process died mid-task")
    assert marked.outcome == "interrupted"
    assert log.events(dead)[-1].detail == {"reason": "process died mid-task"}
    assert [t.task_id for t in log.interrupted(now=later)] == [elsewhere]


def test_file_log_uses_wal_busy_timeout_and_foreign_keys(db_path: Path, config: Config) -> None:
    log = open_log(db_path, config=config)
    assert db_path.is_file()
    conn = log._conn  # the pragmas are per connection: check the log's own
    pragmas = {
        name: conn.execute(f"PRAGMA {name}").fetchone()
        for name in ("journal_mode", "busy_timeout", "foreign_keys")
    }
    assert {name: row[0] for name, row in pragmas.items() if row is not None} == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }
    log.close()


def test_default_path_is_in_the_user_data_dir(isolated_user_dirs: Path, config: Config) -> None:
    assert str(config.db_path).startswith(str(isolated_user_dirs / "data"))
    assert not config.db_path.parent.exists()
    with open_log(config=config) as log:
        log.create_task(_task())
    assert config.db_path.is_file()


def test_open_without_create_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no task log at .*pass --db"):
        open_log(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_one_log_is_safe_across_threads(log: TaskLog) -> None:
    tid = log.create_task(_task())
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                log.add_attempt(
                    AttemptRecord(task_id=tid, model="local-14b", outcome="failed", tokens_in=10),
                    [VerdictRecord("syntax", "failed")],
                )
                log.get_task(tid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    attempts = log.attempts(tid)
    assert sorted(a.n for a in attempts) == list(range(1, 201))
    assert all(len(a.verdicts) == 1 for a in attempts)
    assert log.get_task(tid).tokens_in == 2000
