"""The HTTP transport bound to a real non-loopback address, inside a private network
namespace (root and ``unshare -n`` needed; skipped otherwise). The address exists only
in that namespace, so nothing leaves the machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from escalator.mcpserver import TOOL_NAMES
from tests.mcp._support import ROOT, child_env, write_config

pytestmark = pytest.mark.timeout(180)

ADDRESS = "10.77.0.1"
DRIVER = Path(__file__).with_name("netns_driver.py")


def _netns_usable() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root for a network namespace"
    if not (shutil.which("unshare") and shutil.which("ip")):
        return "needs unshare and ip"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=20)
    return None if probe.returncode == 0 else "unshare -n is not permitted here"


def test_non_loopback_bind_demands_the_bearer_token(tmp_path: Path) -> None:
    why = _netns_usable()
    if why:
        pytest.skip(why)
    cfg = write_config(tmp_path / "c.toml", {"store": {"db_path": str(tmp_path / "t.db")}})
    setup = f"ip link set lo up && ip addr add {ADDRESS}/32 dev lo"
    script = f'{setup} && exec "$0" "$@"'
    argv = ["unshare", "-n", "sh", "-c", script, sys.executable, str(DRIVER), str(cfg), ADDRESS]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=150
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["no_token_rc"] == 2
    assert "ESCALATOR_MCP_TOKEN is empty" in out["no_token_stderr"]
    assert out["url"].startswith(f"http://{ADDRESS}:")
    assert out["missing"] == 401 and out["wrong"] == 401
    assert out["tools"] == sorted(TOOL_NAMES)
