"""Speed of the task log: figures printed, never asserted against a clock."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from escalator.analytics import compute_stats
from escalator.config import Config
from escalator.store import TaskLog, open_log
from tests.store.seed import Step, run_task

TASKS = 300


def _fill(log: TaskLog, config: Config) -> None:
    steps = [Step("qwen3-30b", "failed"), Step("qwen3-30b", "failed"), Step("haiku", "passed")]
    for i in range(TASKS):
        run_task(log, config, "standard_development", f"task {i}", steps, "passed")


@pytest.mark.bench
def test_bench_task_log(benchmark: Any, tmp_path: Path, config: Config) -> None:
    with open_log(tmp_path / "bench.db", config=config) as log:
        start = time.perf_counter()
        _fill(log, config)
        write_s = time.perf_counter() - start
        stats = benchmark(compute_stats, log)
        start = time.perf_counter()
        for _ in range(20):
            compute_stats(log)
        stats_ms = (time.perf_counter() - start) / 20 * 1000
        tid = log.list_tasks(limit=1)[0].task_id
        start = time.perf_counter()
        for _ in range(200):
            log.get_task(tid[:8])
            log.spent_today("standard_development")
        lookup_us = (time.perf_counter() - start) / 200 * 1e6
    assert stats.by_type["standard_development"].tasks == TASKS
    # per task: create, 3 attempts with 2 verdicts each, 1 escalation event, 1 update
    print(
        f"\ntask log (file, WAL): {TASKS} tasks written in {write_s:.2f} s "
        f"({TASKS / write_s:.0f} tasks/s, {6 * TASKS / write_s:.0f} write transactions/s); "
        f"stats over {TASKS} tasks / {3 * TASKS} attempts: {stats_ms:.1f} ms; "
        f"get_task(prefix) + spent_today: {lookup_us:.0f} us"
    )
