"""Hostile answers: code that forks a storm of sleepers or eats memory when the tests
import it. The sandbox contains it: the workspace is untouched, no process is left."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.engine.conftest import BUGGY, whole
from tests.fakes import LMStudioFake
from tests.faults.conftest import QWEN3, cli, fault_config, processes_under, snapshot

FORK_STORM = (
    "import os, time\n"
    "for _ in range(48):\n"
    "    if os.fork() == 0:\n"
    "        time.sleep(600)\n"
    "        os._exit(0)\n" + BUGGY.replace("a - b", "a + b")
)
MEMORY_BOMB = "hog = bytearray(64 * 1024**3)\n" + BUGGY.replace("a - b", "a + b")


@pytest.mark.parametrize("answer", [FORK_STORM, MEMORY_BOMB], ids=["fork-storm", "memory-bomb"])
def test_hostile_code_is_contained(
    tmp_path: Path, workspace: Path, sandboxes_here: Path, answer: str
) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, whole(answer))
        extra = {"validation": {"timeout_s": 4.0, "memory_mb": 512}}
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url, extra=extra)
        before = snapshot(workspace)
        run = cli(
            config,
            "run",
            "Fix add()",
            "--workspace",
            str(workspace),
            "--files",
            "calc.py",
            "--tests",
            "python -m pytest -q -p no:cacheprovider",
            "--type",
            "standard_development",
            "--chain",
            "qwen3-30b",
            "--no-paid",
            "--dry-run",
            "--json",
        )
    assert run.code in (0, 1), run.stderr
    assert snapshot(workspace) == before  # dry run or not, hostile code never lands here
    deadline = time.monotonic() + 5
    while processes_under(sandboxes_here) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_under(sandboxes_here) == []
    left = [p.name for p in sandboxes_here.iterdir() if p.name.startswith("escalator-sandbox-")]
    assert left == []  # sandboxes removed
