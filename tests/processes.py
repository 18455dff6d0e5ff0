"""Polling for processes to go away, instead of a fixed sleep before checking."""

from __future__ import annotations

import subprocess
import time

__all__ = ["still_running"]


def still_running(pattern: str, timeout_s: float = 10.0) -> bytes:
    """``pgrep -f pattern`` output once no process matches, or when ``timeout_s`` runs out
    (a killed process may take a moment to be reaped on a loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        out = subprocess.run(["pgrep", "-f", pattern], capture_output=True).stdout.strip()
        if not out or time.monotonic() >= deadline:
            return out
        time.sleep(0.05)
