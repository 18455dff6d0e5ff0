"""The sandbox's added start-up time per validator run: a benchmark that prints figures.

Compares, on the same machine and interleaved so load affects all alike, the median wall
time of one ``Sandbox.run`` of ``/bin/true`` and of ``python -c pass`` in each mode this
machine permits, against the launcher Escalator used before the filesystem view (util-
linux ``unshare`` with a shell wrapper that only made the workspace read-only).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import escalator.sandbox as sandbox_module
from escalator import confine
from escalator.confine import Isolation
from escalator.sandbox import Sandbox

_OLD_WRAPPER = (
    'if [ -n "$1" ]; then mount --bind "$1" "$1" 2>/dev/null && '
    'mount -o remount,bind,ro "$1" "$1" 2>/dev/null; fi; '
    'ulimit -v "$2" 2>/dev/null; ulimit -t "$3" 2>/dev/null; shift 3; exec "$@"'
)
ROUNDS = 15


def _old_launcher(box: Sandbox, argv: list[str]) -> Callable[[], None]:
    """The previous launcher, as it was: unshare + the read-only-workspace wrapper."""
    flags = ["-r", "-m", "-p", "--fork", "--kill-child", "--mount-proc", "-n"]
    full = ["unshare", *flags, "--", "/bin/sh", "-c", _OLD_WRAPPER, "sh"]
    full += [str(box.workspace), str(2048 * 1024), "300", *argv]

    def run() -> None:
        subprocess.run(full, cwd=box.root, env=box.env(), capture_output=True, check=False)

    return run


def _modes() -> dict[str, Isolation]:
    modes = {"none": Isolation("none", "no isolation")}
    unshare = shutil.which("unshare")
    probe = [unshare or "unshare", *confine._unshare_flags(False), "--", "/bin/true"]
    if unshare and confine._probe(probe) is None:
        modes["unshare"] = Isolation("unshare", "unshare")
    if confine.detect_isolation().mode == "bwrap":
        modes["bwrap"] = confine.detect_isolation()
    return modes


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


@pytest.mark.bench
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the modes are Linux's")
def test_bench_sandbox_startup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("x = 1\n")
    modes = _modes()
    samples: dict[str, list[float]] = {}
    with Sandbox.create(ws) as box:
        for label, argv in (("true", ["/bin/true"]), ("python", [sys.executable, "-c", "pass"])):
            runners: dict[str, Callable[[], Any]] = {}
            if shutil.which("unshare") and "unshare" in modes:
                runners["before (old unshare launcher)"] = _old_launcher(box, argv)
            for name, iso in modes.items():

                def run(iso: Isolation = iso, argv: list[str] = argv) -> None:
                    monkeypatch.setattr(sandbox_module, "detect_isolation", lambda: iso)
                    result = box.run(argv)
                    assert result.exit_code == 0, result.output

                runners[name] = run
            for fn in runners.values():
                fn()  # warm caches
            for _ in range(ROUNDS):
                for name, fn in runners.items():
                    samples.setdefault(f"{label}: {name}", []).append(_timed(fn))
    print(f"\nsandbox start-up, median of {ROUNDS} interleaved runs (ms):")
    for key, values in samples.items():
        print(f"  {key:<42} {statistics.median(values):8.1f}")
    for label in ("true", "python"):
        base = samples.get(f"{label}: before (old unshare launcher)")
        for mode in ("bwrap", "unshare"):
            now = samples.get(f"{label}: {mode}")
            if base and now:
                added = statistics.median(now) - statistics.median(base)
                print(f"  {label}: {mode} minus before: {added:+.1f} ms")
