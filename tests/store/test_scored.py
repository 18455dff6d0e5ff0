"""A bench's scores in the task log (migration m009) and the figures ``stats`` makes of
them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from escalator.analytics import compute_stats
from escalator.store import AttemptRecord, TaskLog, TaskRecord


def _task(log: TaskLog, outcome: str, cost: float) -> str:
    tid = log.create_task(TaskRecord(task_type="quick_edit", description="x", outcome="running"))
    log.add_attempt(AttemptRecord(tid, "haiku", "passed", cost_usd=cost))
    log.update_task(tid, outcome=outcome, final_model="haiku")
    return tid


def test_scores_round_trip_and_give_the_scored_figures(log: TaskLog) -> None:
    a = _task(log, "passed", 0.01)
    b = _task(log, "passed", 0.02)
    c = _task(log, "failed", 0.04)
    _task(log, "passed", 0.08)  # a `run` task: no bench scored it
    assert compute_stats(log).scored is None  # nothing scored yet
    scores = {a: (True, 0.10, True), b: (False, 0.20, True), c: (False, 0.30, False)}
    for tid, (hidden, baseline, alone) in scores.items():
        log.update_task(
            tid,
            hidden_pass=hidden,
            baseline_model="opus",
            baseline_cost_usd=baseline,
            baseline_hidden_pass=alone,
        )
    task = log.get_task(b)
    assert (task.hidden_pass, task.baseline_hidden_pass) == (False, True)
    assert task.baseline_model == "opus" and task.baseline_cost_usd == pytest.approx(0.2)
    assert log.get_task(a).hidden_pass is True

    stats = compute_stats(log)
    s = stats.scored
    assert s is not None and not stats.all_scored
    assert (s.tasks, s.passed_validation, s.hidden_passed, s.false_accepts) == (3, 2, 1, 1)
    assert s.hidden_pass_rate == pytest.approx(1 / 3, abs=1e-4)
    assert s.validation_pass_rate == pytest.approx(2 / 3, abs=1e-4)
    assert s.cost_usd == pytest.approx(0.07)
    assert s.baseline_cost_usd == pytest.approx(0.60)
    assert (s.baseline_model, s.baseline_hidden_passed) == ("opus", 2)
    assert s.savings_usd == pytest.approx(0.53)
    assert s.savings_pct == pytest.approx(100 * 0.53 / 0.60, abs=0.01)
    assert "opus" in s.baseline_definition
    assert stats.to_json()["scored"]["false_accepts"] == 1


def test_a_log_without_scores_has_none(log: TaskLog) -> None:
    _task(log, "passed", 0.01)
    stats = compute_stats(log)
    assert stats.scored is None and not stats.all_scored
    assert stats.to_json()["scored"] is None
