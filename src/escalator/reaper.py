"""Leftover sandboxes: remove those whose Escalator process is gone, with their processes.

Each sandbox dir (``escalator-sandbox-*`` in the temp dir) holds an ``owner`` file with
the owning process's pid and start time (so a reused pid is not mistaken for the owner)
and a ``sessions`` file with the session id of each command it started. When the owner is
gone (killed with ``kill -9``, a power cut), the next Escalator that creates a sandbox
kills what is left of those sessions (processes that started after the sandbox was made
and are in one of its sessions, or whose working directory is inside it) and deletes the
dir. A dir without an owner file (made by an older Escalator) is left alone for a day.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

__all__ = ["PREFIX", "is_stale", "process_alive", "reap_stale", "record_session", "write_owner"]

PREFIX = "escalator-sandbox-"
_OWNER = "owner"
_SESSIONS = "sessions"
_LEGACY_AGE_S = 24 * 3600.0


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" where /proc is absent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def write_owner(base: Path) -> None:
    """Record this process as the owner of the sandbox at ``base``."""
    (base / _OWNER).write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")


def record_session(base: Path, sid: int) -> None:
    """Remember a session started for the sandbox (its processes are reaped with it)."""
    with (base / _SESSIONS).open("a") as out:
        out.write(f"{sid}\n")


def is_stale(base: Path) -> bool:
    """True when the sandbox's owner process no longer exists."""
    try:
        pid_text, _, started = (base / _OWNER).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            return time.time() - base.stat().st_mtime > _LEGACY_AGE_S
        return False
    if not process_alive(pid):
        return True
    return bool(started) and _start_time(pid) not in ("", started)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(temp_root: Path | None = None) -> list[Path]:
    """Kill the processes of stale sandboxes and delete them; the dirs removed."""
    root = temp_root or Path(tempfile.gettempdir())
    removed = []
    for base in sorted(root.glob(PREFIX + "*")):
        if not base.is_dir() or not is_stale(base):
            continue
        _kill_leftovers(base)
        shutil.rmtree(base, ignore_errors=True)
        if not base.exists():
            removed.append(base)
    return removed


def _kill_leftovers(base: Path) -> None:
    try:
        sessions = {int(s) for s in (base / _SESSIONS).read_text().split()}
    except (OSError, ValueError):
        sessions = set()
    since = _owner_start(base)
    for pid in _pids():
        if pid == os.getpid():
            continue
        if _in_session(pid, sessions, since) or _cwd_inside(pid, base):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _owner_start(base: Path) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((base / _OWNER).read_text().split()[1])
    return 0


def _pids() -> list[int]:
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []


def _in_session(pid: int, sessions: set[int], since: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return False
    return int(fields[3]) in sessions and int(fields[19]) >= since


def _cwd_inside(pid: int, base: Path) -> bool:
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return cwd == str(base) or cwd.startswith(str(base) + os.sep)
