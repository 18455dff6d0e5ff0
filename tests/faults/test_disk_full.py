"""The disk fills while a task runs (a file-size limit set on the running process from
outside: every write that grows a file fails from then on, as on a full disk)."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

from tests.engine.conftest import BUGGY, FIXED, whole
from tests.fakes import LMStudioFake, RecordedRequest, Reply
from tests.faults.conftest import CliRun, cli, escalator_argv, fault_config

RUN = ("run", "Fix add()", "--files", "calc.py", "--type", "quick_edit", "--no-paid", "--json")


def test_the_disk_fills_during_the_model_call(tmp_path: Path, workspace: Path) -> None:
    procs: list[subprocess.Popen[str]] = []

    def fill_the_disk(request: RecordedRequest) -> Reply:
        pid = procs[0].pid
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, 1))  # type: ignore[attr-defined]
        return Reply(whole(FIXED))

    with LMStudioFake(responder=fill_the_disk) as lms:
        config, path = fault_config(tmp_path, lmstudio_url=lms.url)
        env = {**os.environ, "ESCALATOR_CONFIG": str(path)}
        argv = escalator_argv(*RUN, "--workspace", str(workspace), "--chain", "qwen3-30b,local-14b")
        procs.append(
            subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
        out, err = procs[0].communicate(timeout=120)
        asked = len(lms.requests_to("chat"))
    line = CliRun(procs[0].returncode, out, err).one_line_error(code=2)
    assert str(config.db_path) in line and "disk" in line and "nothing more was spent" in line
    assert asked == 1  # nothing further asked of any model
    assert (workspace / "calc.py").read_text() == BUGGY  # the paid fix was not half-applied
    listed = cli(config, "log", "--json")  # the row it could not finish is not left running
    assert [t["outcome"] for t in listed.json["tasks"]] == ["interrupted"]
