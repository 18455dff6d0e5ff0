"""The fault-injection suite: real ``escalator`` commands against misbehaving servers and
files, each judged by its end state (exit status, JSON, task-log rows, workspace bytes,
requests the fakes saw, spend against budgets, leftover processes).

Commands run in-process through click (fast) unless a scenario needs a process of its
own (signals, kill -9, resource limits, another user's view of file permissions).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from escalator.config import Config, parse_config
from tests.engine.conftest import BUGGY, TESTS
from tests.fakes import config_data_for, to_toml
from tests.fakes.fixtures import anthropic_fake, gemini_fake, lmstudio_fake  # noqa: F401

# Short phase timeouts so a hang costs a second, not minutes.
QUICK: dict[str, Any] = {
    "timeout_s": 8.0,
    "connect_timeout_s": 0.5,
    "liveness_probe_s": 0.3,
    "first_token_timeout_s": 4.0,
    "idle_timeout_s": 0.6,
    "max_retries": 1,
}

QWEN3 = "qwen/qwen3-30b-a3b"
LOCAL_14B = "qwen2.5-14b-instruct"
LOCAL_32B = "qwen2.5-coder-32b-instruct"
HAIKU = "claude-haiku-5-5"


@dataclass(frozen=True)
class CliRun:
    """What a command left behind on its way out."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def one_line_error(self, code: int = 2) -> str:
        """The single ``error:`` line of a clean failure (no traceback, nothing on stdout)."""
        assert self.code == code, (self.code, self.stdout, self.stderr)
        assert "Traceback" not in self.stderr, self.stderr
        errors = [line for line in self.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, self.stderr  # progress lines may come before it
        if self.stdout.strip():  # under --json: the same error as one JSON object
            doc = json.loads(self.stdout)
            assert doc["exit_code"] == code and f"error: {doc['error']}" == errors[0], doc
        return errors[0]


def fault_config(
    tmp_path: Path,
    *,
    lmstudio_url: str | None = None,
    anthropic_url: str | None = None,
    gemini_url: str | None = None,
    provider: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Config, Path]:
    """A config (and its TOML file) with every provider on QUICK timeouts and the log in
    ``tmp_path/tasks.db``."""
    quick = {**QUICK, **(provider or {})}
    over: dict[str, Any] = {
        "providers": {name: dict(quick) for name in ("lmstudio", "anthropic", "gemini")}
    }
    for key, value in (extra or {}).items():
        over[key] = value
    data = config_data_for(
        lmstudio_url=lmstudio_url,
        anthropic_url=anthropic_url,
        gemini_url=gemini_url,
        db_path=tmp_path / "tasks.db",
        extra=over,
    )
    path = tmp_path / "escalator.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    return parse_config(data, source=str(path)), path


def cli(config: Config | None, *args: str) -> CliRun:
    """``escalator ARGS`` in this process (click's runner), with ``config`` loaded."""
    from escalator.cli.main import cli as group

    obj = {"config": config} if config is not None else None
    result = CliRunner().invoke(group, list(args), obj=obj)
    return CliRun(result.exit_code, result.stdout, result.stderr)


def escalator_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "escalator.cli.main", *args]


def cli_process(
    config_path: Path | None,
    *args: str,
    prefix: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> CliRun:
    """``escalator ARGS`` as its own process (``prefix`` e.g. ``unshare -U``)."""
    full_env = {**os.environ, **(env or {})}
    if config_path is not None:
        full_env["ESCALATOR_CONFIG"] = str(config_path)
    done = subprocess.run(
        [*prefix, *escalator_argv(*args)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def without_dac_override() -> tuple[str, ...]:
    """A prefix that makes file permissions bite even for root (a user namespace: root
    there has no rights over the host's files beyond their owner bits)."""
    if os.geteuid() != 0:
        return ()
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root without unshare(1): file permissions cannot bite")
    probe = subprocess.run([unshare, "-U", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root and user namespaces are off: permissions cannot bite")
    return (unshare, "-U")


def rows(db: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    """Read the task log directly (what any other tool would see)."""
    with sqlite3.connect(db) as raw:
        raw.row_factory = sqlite3.Row
        return raw.execute(sql, params).fetchall()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "calc.py").write_text(BUGGY)
    (ws / "test_calc.py").write_text(TESTS)
    return ws


def snapshot(ws: Path) -> dict[str, bytes]:
    """Every file of a workspace, byte for byte."""
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in ws.rglob("*") if p.is_file()}


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ESCALATOR_DEBUG", raising=False)
    yield


def processes_under(root: Path) -> list[int]:
    """Pids of live processes whose working directory lies under ``root`` (sandboxes made
    under it leave none behind when they are cleaned up)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if cwd.startswith(str(root)) and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def sandboxes_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make this test's sandboxes under its own temp dir, to look for leftovers there."""
    root = tmp_path / "sandboxes"
    root.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(root))
    return root
