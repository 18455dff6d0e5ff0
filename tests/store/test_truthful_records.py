"""Records that agree: a forced approval is not a pass, an accepted answer counts for the
model that wrote it, and the chains shown are the ones the tasks ran."""

from __future__ import annotations

import json

from click.testing import CliRunner

from escalator.analytics import compute_stats
from escalator.cli.main import cli
from escalator.config import Config
from escalator.store import AttemptRecord, TaskLog, TaskRecord

PLAN = {"plan": {"chain": ["small-a", "small-b", "big"]}}


def _task(log: TaskLog, outcome: str, final: str | None, steps: list[tuple[str, str]]) -> str:
    tid = log.create_task(
        TaskRecord(task_type="standard_development", description="t", state=dict(PLAN))
    )
    for model, result in steps:
        log.add_attempt(AttemptRecord(tid, model, result, latency_ms=100.0))
    log.update_task(tid, outcome=outcome, final_model=final, latency_ms=9000.0)
    return tid


def test_forced_approvals_accepted_answers_and_chains_run(log: TaskLog, config: Config) -> None:
    # agreement defers the small models' passing answers ("skipped") and accepts one of them
    _task(log, "passed", "small-a", [("small-a", "skipped"), ("small-b", "skipped")])
    _task(log, "passed", "big", [("small-a", "failed"), ("big", "passed")])
    _task(log, "approved_by_reviewer", "small-b", [("small-a", "failed"), ("small-b", "failed")])
    stats = compute_stats(log)
    assert (stats.tasks, stats.passed, stats.approved_by_reviewer) == (3, 2, 1)
    assert stats.pass_rate == round(2 / 3, 4)
    assert stats.by_type["standard_development"].outcomes == {
        "approved_by_reviewer": 1,
        "passed": 2,
    }
    small_a = stats.by_model["small-a"]
    assert (small_a.tasks, small_a.tasks_passed, small_a.tasks_accepted) == (3, 1, 1)
    assert stats.by_model["small-b"].tasks_accepted == 0  # a forced approval is not accepted
    assert stats.by_model["big"].tasks_accepted == 1
    assert stats.chains_run == {
        "standard_development": [{"chain": ["small-a", "small-b", "big"], "tasks": 3}]
    }
    assert stats.cloud_only_definition.startswith("cloud-only: ")


def test_log_and_stats_label_latency_and_wall_time(log: TaskLog, config: Config) -> None:
    tid = _task(log, "passed", "big", [("small-a", "failed"), ("big", "passed")])
    out = CliRunner().invoke(cli, ["log", "--db", log.path]).stdout
    assert "wall time" in out and "9.0 s" in out
    shown = CliRunner().invoke(cli, ["log", tid[:8], "--db", log.path]).stdout
    assert "model ms" in shown and "checks ms" in shown and "wall time 9.0 s" in shown
    stats = CliRunner().invoke(cli, ["stats", "--db", log.path]).stdout
    assert "model latency (mean per call)" in stats and "answers accepted" in stats
    data = json.loads(CliRunner().invoke(cli, ["stats", "--db", log.path, "--json"]).stdout)
    assert data["by_model"]["big"]["tasks_accepted"] == 1
