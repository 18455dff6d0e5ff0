"""What the task log costs per task on SQLite and on PostgreSQL (figures, not assertions).

``make bench`` (or ``pytest tests/store/test_log_bench.py -m bench --benchmark-enable``)
prints the median time to record one task the way the engine does: the task row, three
attempts with two verdicts each, an escalation event and the final update.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.store import AttemptRecord, EventRecord, TaskLog, TaskRecord, VerdictRecord, open_log

pytestmark = pytest.mark.bench


def _one_task(log: TaskLog) -> None:
    tid = log.create_task(TaskRecord(task_type="standard_development", description="bench"))
    for n, model in enumerate(("qwen3-30b", "qwen3-30b", "haiku"), start=1):
        verdicts = (
            VerdictRecord("syntax", "passed", 1.0),
            VerdictRecord("tests", "passed" if n == 3 else "failed", 0.9),
        )
        log.add_attempt(AttemptRecord(task_id=tid, model=model, outcome="passed"), verdicts)
    log.add_event(EventRecord(tid, "escalation", from_model="qwen3-30b", to_model="haiku"))
    log.update_task(tid, outcome="passed", final_model="haiku")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_record_one_task(
    benchmark: object, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = tmp_path / "tasks.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    with open_log(target) as log:
        benchmark(_one_task, log)  # type: ignore[operator]
        assert log.count_tasks() >= 1
