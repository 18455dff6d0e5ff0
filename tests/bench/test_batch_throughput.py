"""Throughput of ``escalator batch`` on the replay fleet at concurrency 1, 2 and 4.

Figures, not assertions (``make bench``): tasks per minute for the same 12 bundled demo
problems, each on its own workspace, in one run. ``sleep_scale`` 0 measures Escalator and
the validators alone (pytest in the sandbox is most of it, bound by the cores); 1.0 adds
the replay fleet's simulated generation time, closer to a real local model.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from escalator.batch import BatchItem, run_batch
from escalator.bench.fleet import FleetSettings, ReplayServer
from escalator.bench.matrix import bench_config, default_chain
from escalator.bench.replay import ReplayBook
from escalator.bench.suite import load_suite
from escalator.bench.tasks import NAIVE_VALIDATORS, build_workspace, task_request
from escalator.cli.demo import demo_suite_path
from escalator.engine import RunOptions

pytestmark = pytest.mark.bench

PROBLEMS = 12


def _throughput(tmp_path: Path, concurrency: int, sleep_scale: float) -> float:
    suite = load_suite(demo_suite_path()).subset(PROBLEMS)
    root = tmp_path / f"c{concurrency}-s{sleep_scale}"
    items = [
        BatchItem(n, task_request(p, build_workspace(p, root), validators=NAIVE_VALIDATORS))
        for n, p in enumerate(suite.problems, start=1)
    ]
    with ReplayServer(ReplayBook(suite), FleetSettings(sleep_scale=sleep_scale)) as server:
        config = bench_config(
            suite, default_chain(suite), server.url, concurrency=concurrency,
            validators=NAIVE_VALIDATORS, db_path=root / "tasks.db",
        )  # fmt: skip
        started = time.monotonic()
        lines = asyncio.run(
            run_batch(
                items, config=config, options=RunOptions(approve_paid=True),
                concurrency=concurrency, progress_file=root / "progress.jsonl",
            )
        )  # fmt: skip
        wall = time.monotonic() - started
    assert len(lines) == PROBLEMS
    return PROBLEMS / wall * 60


@pytest.mark.parametrize("sleep_scale", [0.0, 1.0])
def test_batch_throughput(tmp_path: Path, sleep_scale: float) -> None:
    rates = {c: _throughput(tmp_path, c, sleep_scale) for c in (1, 2, 4)}
    print(f"\nbatch, {PROBLEMS} demo problems, sleep_scale {sleep_scale}: " + ", ".join(
        f"concurrency {c}: {r:.1f} tasks/min" for c, r in rates.items()
    ))  # fmt: skip
