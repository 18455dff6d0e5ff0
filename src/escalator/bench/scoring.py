"""Hidden-test scoring, following the suite README's exact recipe, load-independent.

Each program runs in a fresh subprocess: ``python -I _boot.py prog.py NONCE`` in a new
temp dir, in its own session, with an empty environment (plus the thread variables and
``PYTHONHASHSEED=0``) and stdin from /dev/null. ``_boot.py`` sets the resource limits
(RLIMIT_AS 4 GiB, RLIMIT_FSIZE 1 MiB, no core files, RLIMIT_CPU), silences fd 1/2 while
keeping a private copy of stdout, imports numpy when the program mentions it, applies the
human-eval reliability guard and ``exec``s the program. A pass is ``exec`` returning
normally and the boot script then printing ``OK:<NONCE>``, so ``os._exit(0)`` cannot fake
one.

Time limits follow CPU time, not wall time: the recipe's limit T(p) was a wall-clock limit
on an idle machine, where a program's wall time is the time it computes plus the time it
sleeps. Here a program is stopped once its CPU time plus the time it spent asleep (state
other than runnable in /proc, polled every ``POLL_S``) reaches T(p), however long a
loaded machine, where it waits for a CPU, makes that take; RLIMIT_CPU enforces the CPU
part in the kernel too. Such a stop is a timeout, as on the idle machine. A wall-clock
backstop of ``WALL_FACTOR`` x T(p) catches what /proc cannot see (other systems); a run it
stopped is inconclusive and re-run once with twice the backstop.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import platform
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from escalator.bench.suite import Problem

__all__ = [
    "BOOT_SOURCE",
    "ScoredRun",
    "hidden_program",
    "is_conclusive",
    "needs_rerun",
    "recipe_fingerprint",
    "run_program",
    "syntax_ok",
    "visible_program",
]

# Bump when the way a run is judged changes in a way the constants below do not show
# (a score cache keys on it).
RECIPE_VERSION = 1
MAX_TIMEOUT_S = 120.0
MIN_TIMEOUT_S = 20.0
VISIBLE_TIMEOUT_S = 10.0
# A backstop only: the wall-clock cap is this many times the limit, plus the slack.
WALL_FACTOR = 20.0
POLL_S = 0.1
WALL_SLACK_S = 2.0
# A program killed by a signal after this share of its CPU limit was stopped by that limit.
CPU_LIMIT_SHARE = 0.95

BOOT_SOURCE = r"""
import builtins, os, resource, sys

def _limits(timeout):
    gib4 = 4 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (gib4, gib4))
    cpu = max(1, int(-(-timeout // 1)))  # ceil: SIGXCPU after `timeout` CPU seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

def _guard():
    import faulthandler, shutil, subprocess
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    builtins.help = None
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir",
                 "setuid", "fork", "forkpty", "killpg", "rename", "renames", "truncate",
                 "replace", "unlink", "fchmod", "fchown", "chmod", "chown", "chroot",
                 "lchflags", "lchmod", "lchown", "getcwd", "chdir"):
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    for mod in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[mod] = None

def _die_with_parent():
    try:  # Linux: SIGKILL this program if the scorer that started it goes away
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)
    except Exception:
        pass

def _main():
    prog, nonce, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    del sys.argv[1:]
    _die_with_parent()
    _limits(timeout)
    with open(prog, encoding="utf-8") as fh:
        src = fh.read()
    write, exit_now = os.write, os._exit
    out = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        if "numpy" in src:
            import numpy  # noqa: F401
        code = compile(src, "prog.py", "exec")
        _guard()
        exec(code, {"__name__": "__candidate__", "__builtins__": builtins})
    except BaseException:
        exit_now(1)
    write(out, ("OK:" + nonce + "\n").encode())
    exit_now(0)

_main()
"""


@dataclass(frozen=True)
class ScoredRun:
    """How one program run ended."""

    passed: bool
    timed_out: bool
    seconds: float
    returncode: int | None
    cpu_s: float | None = None  # CPU seconds the program used (None: not run)
    over_limit: bool = False  # reached its time limit (CPU + sleep): a recipe timeout


def syntax_ok(program: str) -> bool:
    """The recipe's syntax check: compile only, never execute."""
    try:
        compile(program, "<candidate>", "exec")
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
        return False
    return True


def candidate_program(problem: Problem, code: str) -> str:
    """The recipe's candidate text: context, a newline, the code."""
    return problem.context + "\n" + code


def visible_program(problem: Problem, program: str) -> str:
    """A candidate program followed by all its visible asserts."""
    return program + "\n" + "\n".join(problem.visible_tests) + "\n"


def hidden_program(problem: Problem, program: str) -> str:
    """A candidate program followed by the hidden ``check`` and its call."""
    return program + "\n" + problem.hidden_test + f"\ncheck({problem.entry_point})\n"


def recipe_fingerprint() -> str:
    """Everything besides a program and its limit that decides how a scoring run ends:
    the boot script, the limits and their rules, the child's environment, the Python
    that runs it and the numpy the hidden tests import. A score cache keys on it."""
    try:
        numpy = importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        numpy = "none"
    parts = (
        f"recipe {RECIPE_VERSION}",
        BOOT_SOURCE,
        repr((MIN_TIMEOUT_S, MAX_TIMEOUT_S, VISIBLE_TIMEOUT_S, CPU_LIMIT_SHARE, POLL_S)),
        repr(sorted(_child_env().items())),
        sys.version,
        platform.machine(),
        f"numpy {numpy}",
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _child_env() -> dict[str, str]:
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**threads, "PYTHONHASHSEED": "0"}


def run_program(
    program: str,
    timeout_s: float,
    *,
    python: str | None = None,
    wall_factor: float | None = None,
) -> ScoredRun:
    """Run one program under the recipe's sandbox with a CPU-time limit of ``timeout_s``."""
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="esc-score-") as tmp:
        Path(tmp, "prog.py").write_text(program, encoding="utf-8")
        Path(tmp, "_boot.py").write_text(BOOT_SOURCE, encoding="utf-8")
        argv = [python or sys.executable, "-I", "_boot.py", "prog.py", nonce, str(timeout_s)]
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            cwd=tmp,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            factor = WALL_FACTOR if wall_factor is None else wall_factor
            ending = _supervise(proc.pid, timeout_s, factor * timeout_s + WALL_SLACK_S)
            if ending != "exited":
                _kill_group(proc.pid)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            _kill_group(proc.pid)
            if proc.returncode is None:
                proc.kill()
                proc.wait()
        seconds = time.monotonic() - start
        out = _read_available(proc)
    cpu = usage.ru_utime + usage.ru_stime
    code = proc.returncode
    if ending == "capped":
        return ScoredRun(False, True, seconds, None, cpu)
    if ending == "limit" or _stopped_by_cpu_limit(code, cpu, timeout_s):
        return ScoredRun(False, True, seconds, code, cpu, over_limit=True)
    lines = out.decode(errors="replace").split("\n")
    passed = code == 0 and lines[0] == f"OK:{nonce}"
    return ScoredRun(passed, False, seconds, code, cpu)


def _supervise(pid: int, limit_s: float, wall_cap_s: float) -> str:
    """Wait for the child: "exited"; "limit" when its CPU time plus the time it slept
    (blocked, not waiting for a CPU) reached ``limit_s``, i.e. what its wall time would
    have been on an idle machine; "capped" at the wall-clock backstop."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return "exited" if _poll_exit(pid, wall_cap_s) else "capped"
    try:
        start = last = time.monotonic()
        asleep = 0.0
        while True:
            ready, _, _ = select.select([fd], [], [], POLL_S)
            if ready:
                return "exited"
            now = time.monotonic()
            state, cpu = _proc_state(pid)
            if state is not None and state not in "R":
                asleep += now - last  # sleeping or waiting on I/O, not waiting for a CPU
            last = now
            if cpu is not None and cpu + asleep > limit_s + POLL_S:
                return "limit"
            if now - start > wall_cap_s:
                return "capped"
    finally:
        os.close(fd)


def _proc_state(pid: int) -> tuple[str | None, float | None]:
    """The process state letter and its CPU seconds, from /proc (None where unavailable)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None, None
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError):
        return None, None


def _poll_exit(pid: int, seconds: float) -> bool:
    """Where pidfd is unavailable: poll without reaping (waitid with WNOWAIT)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.02)
    return False


def _stopped_by_cpu_limit(returncode: int | None, cpu_s: float, limit_s: float) -> bool:
    if returncode is None or returncode >= 0:
        return False
    if -returncode == signal.SIGXCPU:
        return True
    return -returncode == signal.SIGKILL and cpu_s >= CPU_LIMIT_SHARE * limit_s


def _read_available(proc: subprocess.Popen[bytes]) -> bytes:
    """What the boot script wrote (the program is gone; never block on a stray writer)."""
    if proc.stdout is None:
        return b""
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 65536)
    except (BlockingIOError, OSError):
        return b""
    finally:
        proc.stdout.close()


def needs_rerun(result: ScoredRun, timeout_s: float) -> bool:
    """A run stopped by the wall-clock backstop (not by its time limit) is re-run once."""
    return result.timed_out and not result.over_limit


# Signals another process sends (a user, a supervisor, the OOM killer): a run they ended
# says nothing about the program. The limits' own stops are ``over_limit`` runs.
_OUTSIDE_SIGNALS = frozenset(
    {signal.SIGTERM, signal.SIGKILL, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT}
)


def is_conclusive(result: ScoredRun) -> bool:
    """Whether a run's end is the program's own doing, the same on any later run: it
    exited, crashed by itself, or reached its time limit. Not conclusive: a run the
    wall-clock backstop stopped, or one killed from outside (SIGTERM, SIGKILL, ...)."""
    if result.over_limit:
        return True
    if result.timed_out:
        return False
    code = result.returncode
    return code is None or code >= 0 or -code not in _OUTSIDE_SIGNALS


def _kill_group(pgid: int) -> None:
    """Kill whatever the program left in its session."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def timeout_for(t_ref: float | None) -> float:
    """T(p) = min(120, max(20, 3 * t_ref + 5)); 20 s when there is no reference time."""
    if t_ref is None:
        return MIN_TIMEOUT_S
    return min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, 3 * t_ref + 5))
