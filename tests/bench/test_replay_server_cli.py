"""`escalator replay-server` as a real subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_replay_server_serves_and_stops_on_sigterm(tiny_suite_dir: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "escalator.cli.main",
            "replay-server",
            "--suite",
            str(tiny_suite_dir),
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "replay-server did not start"
                time.sleep(0.1)
        assert {m["id"] for m in models["data"]} == {"paid-strong", "free-weak", "free-multi"}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "replay fleet for suite tiny" in err


def test_replay_server_bad_suite_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "escalator.cli.main",
            "replay-server",
            "--suite",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr
