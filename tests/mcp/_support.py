"""Helpers for the MCP tests: a TOML writer for configs and a subprocess server runner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _table(path: tuple[str, ...], table: Mapping[str, Any], out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    if path and (scalars or not table):
        out.append("[" + ".".join(json.dumps(p) for p in path) + "]")
    out.extend(f"{json.dumps(k)} = {_scalar(v)}" for k, v in scalars.items())
    for key, value in table.items():
        if isinstance(value, Mapping):
            _table((*path, key), value, out)


def to_toml(data: Mapping[str, Any]) -> str:
    """A TOML document for a dict of tables, scalars and lists (enough for configs)."""
    out: list[str] = []
    _table((), data, out)
    return "\n".join(out) + "\n"


def write_config(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def escalator_argv(config: Path, *args: str) -> list[str]:
    """argv that runs the real CLI in a fresh interpreter."""
    return [sys.executable, "-m", "escalator.cli.main", "--config", str(config), *args]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env.update(extra or {})
    return env


@dataclass
class HttpServer:
    process: subprocess.Popen[str]
    url: str


_URL = re.compile(r"listening on (http://\S+)")


@contextmanager
def http_server(
    config: Path, *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 30.0
) -> Iterator[HttpServer]:
    """Start ``escalator mcp --transport http --port 0 ...`` and yield it once it listens."""
    argv = escalator_argv(config, "mcp", "--transport", "http", "--port", "0", *args)
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(env)
    )
    try:
        url = _wait_for_url(proc, timeout_s)
        yield HttpServer(proc, url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_url(proc: subprocess.Popen[str], timeout_s: float) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        match = _URL.search(line)
        if match:
            return match.group(1)
    raise AssertionError(f"server did not start (rc={proc.poll()}): {''.join(seen)}")


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined (error messages arrive this way)."""
    return " ".join(getattr(block, "text", "") for block in result.content)
