"""``escalator run`` as a person sees it: a live display in a real pseudo-terminal, plain
lines when not a terminal, and the summary at the end."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.cli.result_text import diffstat
from tests.engine.conftest import BUGGY, FIXED, TESTS, WRONG, whole
from tests.fakes import LMStudioFake
from tests.mcp._support import child_env

QWEN3 = "qwen/qwen3-30b-a3b"


def _setup(tmp_path: Path, url: str) -> tuple[Path, Path]:
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "calc.py").write_text(BUGGY)
    (ws / "test_calc.py").write_text(TESTS)
    cfg = tmp_path / "escalator.toml"
    cfg.write_text(
        f'[providers.lmstudio]\nbase_url = "{url}"\nbackoff_base_s = 0.0\n'
        f'[store]\ndb_path = "{tmp_path / "tasks.db"}"\n'
    )
    return ws, cfg


def _args(cfg: Path, ws: Path, *extra: str) -> list[str]:
    return [
        "--config", str(cfg), "run", "Fix add() so that it returns the sum",
        "--workspace", str(ws), "--files", "calc.py", "--tests", "python -m pytest -q",
        "--type", "standard_development", "--no-paid", *extra,
    ]  # fmt: skip


def _run_in_pty(argv: list[str], timeout_s: float = 240.0) -> tuple[int, str]:
    """Run argv with stdin, stdout and stderr on a real pseudo-terminal; all it wrote."""
    master, slave = pty.openpty()
    env = child_env({"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "40"})
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", errors="replace")


def test_live_display_in_a_terminal(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(QWEN3, whole(WRONG), whole(FIXED))
        ws, cfg = _setup(tmp_path, lms.url)
        argv = [sys.executable, "-m", "escalator.cli.main", *_args(cfg, ws)]
        code, screen = _run_in_pty(argv)
    assert code == 0, screen
    assert "\x1b[" in screen  # the live line draws with terminal control sequences
    assert "qwen3-30b · attempt 1 of at most 9" in screen
    assert "last failure: test_calc::test_add" in screen  # after the failed attempt
    assert "$0.0000" in screen
    assert "PASSED: validated by" in screen
    assert "models tried: qwen3-30b" in screen
    assert "for the strongest model of the chain alone" in screen
    assert "calc.py" in screen and "+1 -1" in screen
    assert "task id: " in screen
    assert (ws / "calc.py").read_text() == FIXED


def test_plain_lines_when_not_a_terminal_and_quiet_or_verbose(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        ws, cfg = _setup(tmp_path, lms.url)
        lms.script(QWEN3, whole(WRONG), whole(FIXED))
        normal = CliRunner().invoke(cli, _args(cfg, ws))
        assert normal.exit_code == 0, normal.output
        assert "\x1b[" not in normal.stderr
        lines = normal.stderr.splitlines()
        assert lines[0].startswith("[") and "standard_development" in lines[0]
        assert any(
            "qwen3-30b: failed" in ln and "failing: test_calc::test_add" in ln for ln in lines
        )
        assert "attempt_start" not in normal.stderr  # words, not raw event names
        (ws / "calc.py").write_text(BUGGY)
        lms.script(QWEN3, whole(WRONG), whole(FIXED))
        quiet = CliRunner().invoke(cli, _args(cfg, ws, "-q"))
        assert quiet.exit_code == 0 and quiet.stderr == ""
        assert "PASSED" in quiet.stdout
        (ws / "calc.py").write_text(BUGGY)
        lms.script(QWEN3, whole(WRONG), whole(FIXED))
        verbose = CliRunner().invoke(cli, _args(cfg, ws, "-v"))
        assert "tests: failed" in verbose.stderr and "assert" in verbose.stderr
        both = CliRunner().invoke(cli, _args(cfg, ws, "-q", "-v"))
        assert both.exit_code == 2


def test_diffstat_counts_lines_per_file() -> None:
    patch = (
        "--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n-    return a - b\n+    return a + b\n"
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n"
    )
    assert diffstat(patch) == [("calc.py", 1, 1), ("new.py", 2, 0)]
