"""The ledger of spend: reserve before a call, settle after it; every figure sums it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from escalator.errors import BudgetExceeded
from escalator.store import CallRecord, EventRecord, TaskLog, TaskRecord, open_log
from escalator.store.migrations import migrate
from escalator.store.sql import SqlConnection


def _task(log: TaskLog, task_type: str = "quick_edit") -> str:
    return log.create_task(TaskRecord(task_type=task_type, description="d"))


def _refuse_over(limit: float, worst: float):  # type: ignore[no-untyped-def]
    def check(spent_task: float, spent_today: float) -> None:
        if spent_today + worst > limit:
            raise BudgetExceeded("daily quick_edit", limit, spent_today + worst)

    return check


def test_a_reserved_call_counts_at_its_worst_case_until_settled(log: TaskLog) -> None:
    tid = _task(log)
    call = CallRecord(task_id=tid, role="worker", model="haiku", reserved_usd=0.01)
    call_id = log.reserve_call(call, _refuse_over(1.0, 0.01))
    assert log.spent_today("quick_edit") == pytest.approx(0.01)
    assert log.get_task(tid).cost_usd == 0.0  # nothing billed yet
    settled = CallRecord(
        task_id=tid, role="worker", model="haiku", state="done", cost_usd=0.002, tokens_in=10
    )
    log.settle_call(call_id, settled)
    assert log.spent_today("quick_edit") == pytest.approx(0.002)
    task = log.get_task(tid)
    assert task.cost_usd == pytest.approx(0.002) and task.tokens_in == 10
    assert log.task_spend(tid).cost_usd == pytest.approx(0.002)


def test_a_refused_call_reserves_nothing(log: TaskLog) -> None:
    tid = _task(log)
    log.add_call(CallRecord(task_id=tid, role="checker", model="m", cost_usd=0.009))
    with pytest.raises(BudgetExceeded):
        log.reserve_call(
            CallRecord(task_id=tid, role="worker", model="m", reserved_usd=0.002),
            _refuse_over(0.0105, 0.002),
        )
    assert [c.role for c in log.calls(tid)] == ["checker"]
    assert log.spent_today("quick_edit") == pytest.approx(0.009)


def test_checker_calls_count_against_the_daily_budget(log: TaskLog) -> None:
    tid = _task(log)
    log.add_call(CallRecord(task_id=tid, role="worker", model="w", cost_usd=0.004))
    log.add_call(CallRecord(task_id=tid, role="checker", model="c", cost_usd=0.004))
    other = _task(log, "critical")
    log.add_call(CallRecord(task_id=other, role="worker", model="w", cost_usd=1.0))
    assert log.spent_today("quick_edit") == pytest.approx(0.008)


def test_the_migration_carries_earlier_spend_into_the_ledger(tmp_path: Path) -> None:
    db = SqlConnection(sqlite3.connect(tmp_path / "old.db", isolation_level=None), "sqlite")
    migrate(db, upto="m007_classification_labels")
    db.execute(
        "INSERT INTO tasks (task_id, timestamp, task_type, description, outcome, cost_usd, "
        "checker, updated_at) VALUES ('t1', '2026-11-01T00:00:00+00:00', 'quick_edit', 'd', "
        "'passed', 0.012, 'sonnet', '2026-11-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO attempts (task_id, n, model, outcome, tokens_in, cost_usd, created_at) "
        "VALUES ('t1', 1, 'haiku', 'failed', 100, 0.005, '2026-11-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO events (task_id, at, kind, from_model, detail) VALUES ('t1', "
        "'2026-11-01T00:00:01+00:00', 'identical_retry', 'haiku', '{\"cost_usd\": 0.003}')"
    )
    db.close()
    with open_log(tmp_path / "old.db") as log:
        calls = log.calls("t1")
        assert [(c.role, round(c.cost_usd, 6)) for c in calls] == [
            ("worker", 0.005),
            ("worker", 0.003),
            ("unattributed", 0.004),
        ]
        assert log.task_spend("t1").cost_usd == pytest.approx(log.get_task("t1").cost_usd)


def test_events_do_not_carry_spend(log: TaskLog) -> None:
    tid = _task(log)
    log.add_event(EventRecord(tid, "identical_retry", detail={"cost_usd": 5.0}))
    assert log.spent_today("quick_edit") == 0.0
