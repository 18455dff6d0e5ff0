"""A process killed mid-task leaves a consistent log and an untouched workspace."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from escalator.store import open_log
from tests.engine.conftest import BUGGY, FIXED, whole
from tests.engine.test_cli_run import write_config
from tests.fakes import LMStudioFake, Reply

QWEN3 = "qwen/qwen3-30b-a3b"


def test_kill_mid_task(workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake) -> None:
    lmstudio_fake.script(QWEN3, Reply(whole(FIXED), delay_s=30))
    cfg = write_config(tmp_path, lmstudio_fake.url)
    env = {**os.environ, "ESCALATOR_CONFIG": str(cfg)}
    argv = [sys.executable, "-m", "escalator.cli.main", "run", "Fix add()", "--workspace"]
    argv += [str(workspace), "--files", "calc.py", "--type", "standard_development"]
    argv += ["--no-paid", "--json"]
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not lmstudio_fake.requests_for(QWEN3) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lmstudio_fake.requests_for(QWEN3), "the run never reached the model"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    assert (workspace / "calc.py").read_text() == BUGGY
    with sqlite3.connect(tmp_path / "tasks.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    log = open_log(tmp_path / "tasks.db", create=False)
    stale = log.interrupted()
    assert len(stale) == 1 and stale[0].outcome == "running"
    log.close()

    # the next run marks the orphan failed, with the reason in the audit log
    lmstudio_fake.script(QWEN3, whole(FIXED))
    done = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "passed"
    log = open_log(tmp_path / "tasks.db", create=False)
    orphan = log.get_task(stale[0].task_id)
    assert orphan.outcome == "interrupted"
    assert [e.kind for e in log.events(orphan.task_id)][-1] == "interrupted"
    log.close()
