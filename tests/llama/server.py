"""Start and stop a real ``llama_cpp.server`` on 127.0.0.1 serving the tiny model."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["LlamaServer", "llama_cpp_missing", "start_llama_server"]


def llama_cpp_missing() -> str | None:
    """Why the real server cannot run here, or None when it can."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            return (
                f"{module} is not installed: pip install 'llama-cpp-python[server]==0.3.36' "
                "to run the tests against the real llama.cpp server"
            )
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """A running ``python -m llama_cpp.server``; ``url`` is its base URL."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path, n_ctx: int):
        self.process = process
        self.port = port
        self.log = log
        self.n_ctx = n_ctx

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama_cpp.server not ready in {timeout_s}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """Kill it hard (connections now get refused)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_llama_server(model: Path, log_dir: Path, *, n_ctx: int = 512) -> LlamaServer:
    """Start the server on a free port and wait until it answers ``/v1/models``."""
    port = _free_port()
    log = log_dir / f"llama-server-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--interrupt_requests",
        "False",
        "--n_threads",
        "1",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    server = LlamaServer(process, port, log, n_ctx)
    server.wait_ready()
    return server
