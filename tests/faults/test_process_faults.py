"""Processes that die or crowd: kill -9 in the middle of a model call, several runs
writing one task log at once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from escalator.store import open_log
from tests.engine.conftest import BUGGY, FIXED, whole
from tests.fakes import LMStudioFake, Reply
from tests.faults.conftest import QWEN3, cli, escalator_argv, fault_config, rows

RUN = ("run", "Fix add()", "--files", "calc.py", "--type", "quick_edit", "--chain", "qwen3-30b")


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert predicate(), "timed out waiting"


def test_kill_9_during_a_model_call(tmp_path: Path, workspace: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, Reply(whole(FIXED), delay_s=6))
        config, path = fault_config(tmp_path, lmstudio_url=lms.url)
        env = {**os.environ, "ESCALATOR_CONFIG": str(path)}
        argv = escalator_argv(*RUN, "--workspace", str(workspace), "--no-paid", "--json")
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: lms.requests_for(QWEN3))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=10)
    assert (workspace / "calc.py").read_text() == BUGGY
    with sqlite3.connect(config.db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    listed = cli(config, "log", "--json")  # never shows a task nobody works on as running
    (task,) = listed.json["tasks"]
    assert task["outcome"] == "interrupted"
    (event,) = [r for r in rows(config.db_path, "SELECT kind FROM events") if r[0] == "interrupted"]
    assert event


def test_concurrent_runs_share_one_task_log(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, *[Reply(whole(FIXED), delay_s=0.2)] * 6)
        config, path = fault_config(tmp_path, lmstudio_url=lms.url)
        env = {**os.environ, "ESCALATOR_CONFIG": str(path)}
        procs = []
        for i in range(4):
            ws = tmp_path / f"ws{i}"
            ws.mkdir()
            (ws / "calc.py").write_text(BUGGY)
            argv = escalator_argv(*RUN, "--workspace", str(ws), "--no-paid", "--json")
            procs.append(
                subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            )
        outs = [p.communicate(timeout=120) for p in procs]
    results = [json.loads(out) for out, _ in outs]
    assert [r["outcome"] for r in results] == ["passed"] * 4, [e for _, e in outs]
    with open_log(config.db_path, create=False) as log:
        tasks = log.list_tasks(limit=10)
        assert sorted(t.task_id for t in tasks) == sorted(r["task_id"] for r in results)
        assert all(len(log.attempts(t.task_id)) == 1 for t in tasks)
    for i in range(4):
        assert (tmp_path / f"ws{i}" / "calc.py").read_text() == FIXED
