"""The child side of the agreement validator, run as ``python -I -m`` this module JOB.

It reads one JSON job from the file JOB (and deletes it), sets resource limits, silences
fd 1/2 (keeping a private copy of stdout for results), disables process-killing and
file-deleting calls, loads the candidate's modules under their package names and calls
each target function once per input, with a per-input timer. Each result is one line
``NONCE<TAB>index<TAB>json`` written as soon as it is known, so a crash, ``os._exit`` or a
kill keeps the results so far. The nonce only stops accidental output from being read as
a result; the boundary is the sandbox the process runs in (``escalator.sandbox``).

Only the standard library is imported here: the process starts once per candidate.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import importlib.util
import json
import os
import resource
import signal
import sys

TYPE_CHECKING = False  # not typing's: this process starts once per candidate
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, ModuleType
    from typing import Any, TextIO

MAX_REPR = 2000
_DISABLED_OS = (
    "system", "kill", "killpg", "fork", "forkpty", "remove", "unlink", "removedirs", "rmdir",
    "rename", "renames", "replace", "truncate", "fchdir", "setuid", "execv", "execve",
    "execvp", "execvpe", "spawnv", "spawnve", "posix_spawn", "posix_spawnp",
)  # fmt: skip


class InputTimeout(BaseException):
    """Raised by the per-input timer; a BaseException so `except Exception` won't hide it."""


def set_limits(job: dict[str, Any]) -> None:
    """Memory, CPU, written-file size and no core files for this process."""
    mem = int(job["memory_mb"]) * 1024 * 1024
    cpu = int(job["cpu_s"])
    fsize = int(job.get("fsize", 1 << 20))
    for res, soft, hard in (
        (resource.RLIMIT_AS, mem, mem),
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_FSIZE, fsize, fsize),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(res, (soft, hard))


def guard() -> None:
    """Disable exiting and the obvious process-killing and file-deleting calls."""
    import shutil
    import subprocess

    os.environ.clear()
    builtins.exit = None  # type: ignore[assignment]
    builtins.quit = None  # type: ignore[assignment]
    # Not putenv/unsetenv/chmod: numpy and friends call them while importing.
    for name in _DISABLED_OS:
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = None  # type: ignore[assignment]
    shutil.move = None  # type: ignore[assignment]
    subprocess.Popen = None  # type: ignore[assignment, misc]


def norm(x: object, depth: int = 0) -> str:
    """A canonical text for a value: equal under == (mostly) -> equal text."""
    if depth > 30:
        return "..."
    if x is None or isinstance(x, bool):
        return repr(x)
    if isinstance(x, int):
        return _norm_int(x)
    if isinstance(x, float):
        return _norm_float(x)
    if isinstance(x, str | bytes | complex):
        return repr(x)
    if isinstance(x, list):
        return "[" + ",".join(norm(v, depth + 1) for v in x) + "]"
    if isinstance(x, tuple):
        return "(" + ",".join(norm(v, depth + 1) for v in x) + ",)"
    if isinstance(x, dict):
        items = sorted(norm(k, depth + 1) + ":" + norm(v, depth + 1) for k, v in x.items())
        return "{" + ",".join(items) + "}"
    if isinstance(x, set | frozenset):
        return "set{" + ",".join(sorted(norm(v, depth + 1) for v in x)) + "}"
    return norm_other(x, depth)


def _norm_int(x: int) -> str:
    try:
        return repr(x)
    except ValueError:  # too many digits to print
        raw = x.to_bytes((x.bit_length() + 8) // 8, "big", signed=True)
        return "int#" + hashlib.sha256(raw).hexdigest()[:16]


def _norm_float(x: float) -> str:
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return repr(x)
    if x == int(x) and abs(x) < 1e15:
        return repr(int(x))
    return format(x, ".10g")


def norm_other(x: object, depth: int) -> str:
    """numpy values through ``tolist()``; other objects by repr without addresses."""
    tolist = getattr(x, "tolist", None)
    if callable(tolist):
        try:
            return norm(tolist(), depth + 1)
        except Exception:
            pass
    try:
        text = repr(x)
    except Exception:
        return "<" + type(x).__name__ + ">"
    if " at 0x" in text:
        return "<" + type(x).__name__ + ">"
    return text


def module_name(rel: str) -> str | None:
    """The import name of a workspace file (``src/`` layouts included), if it has one."""
    parts = rel[:-3].split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and all(p.isidentifier() for p in parts):
        return ".".join(parts)
    return None


def load(root: str, rel: str) -> ModuleType:
    """Import one candidate file under its package name (relative imports work)."""
    path = os.path.join(root, rel)
    name = module_name(rel) or "__candidate__"
    if name == "__main__":
        name = "__candidate__"
    search = [os.path.dirname(path)] if rel.endswith("__init__.py") else None
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {rel}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def on_alarm(signum: int, frame: FrameType | None) -> None:
    raise InputTimeout()


def call_one(fn: Callable[..., object], source: str, per_input_s: float) -> str:
    """The canonical output of one call, or ``!<ExceptionType>`` / ``!Timeout``."""
    args, kwargs = ast.literal_eval(source)
    signal.setitimer(signal.ITIMER_REAL, per_input_s)
    try:
        text = "=" + norm(fn(*args, **kwargs))
    except InputTimeout:
        return "!Timeout"
    except BaseException as exc:  # SystemExit, KeyboardInterrupt, RecursionError...
        return "!" + type(exc).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if len(text) > MAX_REPR:
        text = "#" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:24]
    return text


def read_job(path: str) -> dict[str, Any]:
    """The job, read once; the file is removed so the candidate never sees the nonce."""
    with open(path, encoding="utf-8") as handle:
        job: dict[str, Any] = json.load(handle)
    with contextlib.suppress(OSError):
        os.remove(path)
    return job


def private_stdout() -> TextIO:
    """A copy of stdout for results; fds 0, 1 and 2 then point at /dev/null."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    return out


def load_targets(job: dict[str, Any]) -> list[object]:
    """The target functions, in the job's order (BaseException when a module fails)."""
    root = job["root"]
    modules: dict[str, ModuleType] = {}
    functions: list[object] = []
    for rel, name in job["targets"]:
        if rel not in modules:
            modules[rel] = load(root, rel)
        functions.append(getattr(modules[rel], name, None))
    return functions


def main(argv: list[str]) -> None:
    job = read_job(argv[1])
    nonce = job["nonce"]
    out = private_stdout()

    def emit(*fields: str) -> None:
        out.write(nonce + "\t" + "\t".join(fields) + "\n")
        out.flush()

    set_limits(job)
    root = job["root"]
    sys.path[:0] = [root, os.path.join(root, "src")]
    os.chdir(root)
    signal.signal(signal.SIGALRM, on_alarm)
    guard()
    try:
        functions = load_targets(job)
    except BaseException as exc:
        emit("load", json.dumps(type(exc).__name__ + ": " + str(exc)[:300]))
        os._exit(0)
    for index, fn in enumerate(functions):
        if not callable(fn):
            emit("missing", str(index))
            os._exit(0)
    for index, (target, source) in enumerate(job["calls"]):
        fn = functions[target]
        assert callable(fn)
        emit(str(index), json.dumps(call_one(fn, source, job["per_input_s"])))
    emit("done")
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
