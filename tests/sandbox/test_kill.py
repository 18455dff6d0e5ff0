"""kill -9 of the Escalator process mid-validation: nothing of the sandbox survives, and
the next Escalator removes the sandbox it left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from escalator import reaper
from escalator.confine import detect_isolation

_OWNER = """
import sys
from pathlib import Path
from escalator.sandbox import Sandbox
box = Sandbox.create(Path(sys.argv[1]))
print(box.root.parent, flush=True)
box.run(sys.argv[2])
"""


def _with_token(token: str) -> list[int]:
    """Pids of the sandbox's sleepers (``sleep``/``python3`` whose arguments hold ``token``)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline and not cmdline.startswith((b"/bin/sh", b"/usr/bin/")):
            out.append(int(pid))
    return out


def _poll(condition: object, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find processes")
@pytest.mark.skipif(not detect_isolation().namespaces, reason=detect_isolation().note)
def test_kill_9_leaves_no_process_and_the_next_run_reaps_the_dir(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("x = 1\n")
    token = f"{random.randint(1000, 9999)}.{random.randint(100, 999)}"
    sleeper = f"python3 -c 'import time; time.sleep({token})'"
    command = f"sleep {token} & (sleep {token}; true) & {sleeper}; wait"
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, str(ws), command], stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    base = Path(owner.stdout.readline().strip())
    assert base.is_dir() and base.name.startswith(reaper.PREFIX)
    _poll(lambda: len(_with_token(token)) >= 3, "the sandbox's processes to start")
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    _poll(lambda: not _with_token(token), "every sandbox process to die")
    assert reaper.is_stale(base)
    assert base in reaper.reap_stale(base.parent)
    assert not base.exists()


def test_live_sandboxes_are_left_alone(tmp_path: Path) -> None:
    base = tmp_path / (reaper.PREFIX + "live")
    base.mkdir()
    reaper.write_owner(base)
    assert not reaper.is_stale(base)
    assert reaper.reap_stale(tmp_path) == []
    (base / "owner").write_text(f"{os.getpid()} 1\n")  # same pid, other start: reused pid
    assert reaper.is_stale(base)
