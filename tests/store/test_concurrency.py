"""Several processes writing at once, and a writer killed mid-transaction."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from escalator.analytics import compute_stats
from escalator.store import AttemptRecord, open_log

WRITER = textwrap.dedent(
    """
    import sys
    from escalator.store import AttemptRecord, TaskRecord, VerdictRecord, open_log

    path, name, n_tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open_log(path) as log:
        for i in range(n_tasks):
            tid = log.create_task(TaskRecord(task_type="quick_edit", description=f"{name}-{i}"))
            for model, outcome in (("local-14b", "failed"), ("gemini-flash", "passed")):
                log.add_attempt(
                    AttemptRecord(task_id=tid, model=model, outcome=outcome, tokens_in=100,
                                  cost_usd=0.001),
                    [VerdictRecord("syntax", outcome)],
                )
            log.update_task(tid, outcome="passed", final_model="gemini-flash")
            print(tid, flush=True)
    """
)

STUCK_WRITER = textwrap.dedent(
    """
    import sys, time
    from escalator.store import TaskRecord, open_log

    log = open_log(sys.argv[1])
    tid = log.create_task(TaskRecord(task_type="critical", description="killed mid-write"))
    with log._write() as db:  # hold a write transaction open, half done
        db.execute(
            "INSERT INTO attempts (task_id, n, model, outcome, created_at) "
            "VALUES (?, 1, 'sonnet', 'passed', '2026-01-01T00:00:00+00:00')", (tid,)
        )
        db.execute("UPDATE tasks SET attempts = 1, outcome = 'passed' WHERE task_id = ?", (tid,))
        print(tid, flush=True)
        time.sleep(120)
    """
)

LOOP_WRITER = textwrap.dedent(
    """
    import sys
    from escalator.store import AttemptRecord, TaskRecord, VerdictRecord, open_log

    log = open_log(sys.argv[1])
    tid = log.create_task(TaskRecord(task_type="quick_edit", description="loop"))
    print(tid, flush=True)
    while True:
        log.add_attempt(
            AttemptRecord(task_id=tid, model="local-14b", outcome="failed", tokens_in=7,
                          cost_usd=0.5),
            [VerdictRecord(name, "failed") for name in ("syntax", "compile", "tests")],
        )
    """
)


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    procs = [_python(WRITER, str(path), f"w{i}", "15") for i in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    with open_log(path) as log:
        tasks = log.list_tasks(limit=1000)
        assert len(tasks) == 60
        assert all(t.outcome == "passed" and t.attempts == 2 for t in tasks)
        assert {t.description for t in tasks} == {f"w{i}-{j}" for i in range(4) for j in range(15)}
        stats = compute_stats(log).to_json()
    assert stats["by_model"]["gemini-flash"]["passes"] == 60
    assert stats["cost_usd"] == pytest.approx(0.12)


def test_writer_killed_mid_transaction_leaves_the_db_consistent(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    proc = _python(STUCK_WRITER, str(path))
    assert proc.stdout is not None
    tid = proc.stdout.readline().strip()
    assert len(tid) == 32, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    with open_log(path) as log:
        task = log.get_task(tid)
        assert task.outcome == "running" and task.attempts == 0  # the half-done write is gone
        assert log.attempts(tid) == []
        assert [t.task_id for t in log.interrupted()] == [tid]
        # the write lock died with the process: writing works at once
        log.add_attempt(AttemptRecord(task_id=tid, model="sonnet", outcome="error"))
        assert log.mark_interrupted(tid, "writer was killed").outcome == "interrupted"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_writer_killed_in_a_write_loop_never_leaves_partial_attempts(tmp_path: Path) -> None:
    path = tmp_path / "loop.db"
    proc = _python(LOOP_WRITER, str(path))
    assert proc.stdout is not None
    tid = proc.stdout.readline().strip()
    with open_log(path) as log:
        deadline = time.monotonic() + 60
        while log.get_task(tid).attempts < 40:
            assert proc.poll() is None and time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        task = log.get_task(tid)
        attempts = log.attempts(tid)
    assert task.attempts == len(attempts) >= 40
    assert task.tokens_in == 7 * len(attempts)
    assert task.cost_usd == 0.5 * len(attempts)
    assert all(len(a.verdicts) == 3 for a in attempts)
    assert [a.n for a in attempts] == list(range(1, len(attempts) + 1))
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
