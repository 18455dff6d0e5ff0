"""The failure boundary: whatever stops a task (a signal, a cancellation, a change it
cannot apply, a workspace gone, a task log that stops taking writes, a cut-off answer),
it ends in a recorded state with the reason and an event, and nothing is lost."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from escalator.engine import ProgressEvent, RunOptions, run_task
from escalator.store import open_log
from escalator.task import TaskRequest, TaskType
from tests.engine.conftest import BUGGY, FIXED, whole
from tests.fakes import LMStudioFake, RecordedRequest, Reply
from tests.faults.conftest import (
    LOCAL_14B,
    QWEN3,
    cli,
    escalator_argv,
    fault_config,
    snapshot,
)

RUN = ("run", "Fix add()", "--files", "calc.py", "--type", "quick_edit", "--no-paid", "--json")


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert predicate(), "timed out waiting"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_mid_call_interrupts_and_resume_finishes(
    tmp_path: Path, workspace: Path, sig: signal.Signals
) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, Reply(whole(FIXED), delay_s=5))
        config, path = fault_config(tmp_path, lmstudio_url=lms.url)
        env = {**os.environ, "ESCALATOR_CONFIG": str(path)}
        argv = escalator_argv(*RUN, "--workspace", str(workspace), "--chain", "qwen3-30b")
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        _wait_for(lambda: lms.requests_for(QWEN3))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "interrupted" in err and "escalator resume" in err
        assert (workspace / "calc.py").read_text() == BUGGY
        with open_log(config.db_path, create=False) as log:
            (task,) = log.list_tasks()
            assert task.outcome == "interrupted"
            assert [e.kind for e in log.events(task.task_id)][-1] == "interrupted"
            assert [c.state for c in log.calls(task.task_id)] == ["failed"]  # nothing billed
        lms.script(QWEN3, whole(FIXED))
        resumed = cli(config, "resume", task.task_id[:10], "--json")
    assert resumed.code == 0, resumed.stderr
    assert resumed.json["outcome"] == "passed"
    assert (workspace / "calc.py").read_text() == FIXED


def test_a_cancelled_coroutine_leaves_no_running_row(tmp_path: Path, workspace: Path) -> None:
    """The long-lived MCP server's case: the task's coroutine dies, the server lives on."""
    with LMStudioFake() as lms:
        lms.script(QWEN3, Reply(whole(FIXED), delay_s=5))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        request = TaskRequest("Fix add()", workspace, ("calc.py",), task_type=TaskType.QUICK_EDIT)

        async def scenario() -> None:
            options = RunOptions(approve_paid=False, chain=("qwen3-30b",))
            task = asyncio.ensure_future(run_task(request, config=config, options=options))
            while not lms.requests_for(QWEN3):
                await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(scenario())
    with open_log(config.db_path, create=False) as log:
        assert log.interrupted(include_live=True) == []  # this process is alive: still not running
        (task,) = log.list_tasks()
        assert task.outcome == "interrupted"


def test_a_validated_fix_that_cannot_be_applied_is_parked_with_its_patch(
    tmp_path: Path, workspace: Path
) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, whole(FIXED))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        original = (workspace / "calc.py").read_bytes()
        workspace.chmod(0o555)  # the fix validates in the sandbox, then cannot be written
        try:
            from tests.faults.conftest import without_dac_override

            prefix = without_dac_override()
            from tests.faults.conftest import cli_process

            run = cli_process(
                tmp_path / "escalator.toml",
                *RUN,
                "--workspace",
                str(workspace),
                "--chain",
                "qwen3-30b",
                prefix=prefix,
            )
        finally:
            workspace.chmod(0o755)
    assert run.code == 1, run.stderr
    assert run.json["outcome"] == "needs_review", run.json["reason"]
    assert "could not be applied" in run.json["reason"]
    assert "return a + b" in run.json["patch"]
    assert (workspace / "calc.py").read_bytes() == original
    with open_log(config.db_path, create=False) as log:
        task = log.get_task(run.json["task_id"])
        assert "apply_failed" in [e.kind for e in log.events(task.task_id)]
        assert task.state["best"]["files"]["calc.py"] == FIXED  # 'review approve' can apply it


def test_the_workspace_deleted_mid_attempt_ends_the_task_failed(
    tmp_path: Path, workspace: Path
) -> None:
    def delete_it(request: RecordedRequest) -> Reply:
        shutil.rmtree(workspace)
        return Reply(whole(FIXED))

    with LMStudioFake(responder=delete_it) as lms:
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = cli(config, *RUN, "--workspace", str(workspace), "--chain", "qwen3-30b")
    assert run.code == 1, run.stderr
    assert run.json["outcome"] == "failed" and "workspace" in run.json["reason"]
    assert not workspace.exists()  # nothing recreated by an apply
    with open_log(config.db_path, create=False) as log:
        assert log.get_task(run.json["task_id"]).outcome == "failed"
        assert "crashed" in [e.kind for e in log.events(run.json["task_id"])]


def test_a_task_log_that_stops_taking_writes_mid_task(tmp_path: Path, workspace: Path) -> None:
    holder: list[sqlite3.Connection] = []

    def lock_the_log(request: RecordedRequest) -> Reply:
        conn = sqlite3.connect(
            tmp_path / "tasks.db", isolation_level=None, timeout=0.1, check_same_thread=False
        )
        conn.execute("BEGIN IMMEDIATE")  # another writer holds the log past the busy timeout
        holder.append(conn)
        return Reply(whole(FIXED))

    with LMStudioFake(responder=lock_the_log) as lms:
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        before = snapshot(workspace)
        run = cli(config, *RUN, "--workspace", str(workspace), "--chain", "qwen3-30b,local-14b")
        seen = len(lms.requests_to("chat"))
    for conn in holder:
        conn.execute("ROLLBACK")
        conn.close()
    line = run.one_line_error(code=2)
    assert "lock" in line and "nothing more was spent" in line and "saved in" in line
    recovery = Path(line.split("saved in ")[1].split()[0].rstrip(".;"))
    assert FIXED.splitlines()[2] in recovery.read_text()  # the paid answer is kept
    assert snapshot(workspace) == before
    assert seen == 1  # nothing further asked of any model
    recovery.unlink()


def test_a_truncated_answer_escalates_without_paying_twice(tmp_path: Path, workspace: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, Reply(whole(FIXED)[:40], finish_reason="length"))
        lms.script(QWEN3, whole(FIXED))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = cli(config, *RUN, "--workspace", str(workspace), "--chain", "local-14b,qwen3-30b")
        asked = len(lms.requests_for(LOCAL_14B))
    assert run.json["outcome"] == "passed" and run.json["final_model"] == "qwen3-30b"
    assert asked == 1  # the same prompt is not sent again to the model that was cut off
    with open_log(config.db_path, create=False) as log:
        first = log.attempts(run.json["task_id"])[0]
        assert (first.model, first.error_kind) == ("local-14b", "truncated")


def test_two_tasks_in_one_process_progress_together(tmp_path: Path) -> None:
    with LMStudioFake(chunk_delay_s=0.0) as lms:
        lms.default = Reply(whole(FIXED), delay_s=0.3)
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        events: list[tuple[str, str]] = []

        def on_progress(ev: ProgressEvent) -> None:
            events.append((ev.task_id, ev.kind))

        async def both() -> None:
            runs = []
            for i in range(2):
                ws = tmp_path / f"ws{i}"
                ws.mkdir()
                (ws / "calc.py").write_text(BUGGY)
                req = TaskRequest("Fix add()", ws, ("calc.py",), task_type=TaskType.QUICK_EDIT)
                opts = RunOptions(approve_paid=False, chain=("qwen3-30b",), on_progress=on_progress)
                runs.append(run_task(req, config=config, options=opts))
            await asyncio.gather(*runs)

        asyncio.run(both())
    order = [tid for tid, _ in events]
    first, second = order[0], next(t for t in order if t != order[0])
    # the second task started before the first one ended: the streams interleave
    assert order.index(second) < len(order) - 1 - order[::-1].index(first)
