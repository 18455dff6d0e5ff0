"""`escalator mcp` follows its config file: on change and on SIGHUP, refusing bad files."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import stdio_client

from escalator.live_config import LiveConfig
from mcp import Client, StdioServerParameters
from tests.mcp._support import child_env, escalator_argv, write_config

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]

UNREACHABLE = "http://127.0.0.1:9"


def _data(tmp_path: Path, qwen_id: str, price: float = 0.0) -> dict[str, Any]:
    return {
        "providers": {n: {"base_url": UNREACHABLE} for n in ("lmstudio", "anthropic", "gemini")},
        "models": {"qwen3-30b": {"model_id": qwen_id, "price_in_per_mtok": price}},
        "store": {"db_path": str(tmp_path / "tasks.db")},
    }


def _rewrite(path: Path, text: str) -> None:
    """Write the file and make sure its mtime moves even on a coarse clock."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


async def _qwen_id(client: Client) -> str:
    result = await client.call_tool("orchestrator_models", {})
    assert not result.is_error, result.content
    data = result.structured_content
    assert data is not None
    return str(next(m["model_id"] for m in data["models"] if m["key"] == "qwen3-30b"))


async def test_a_changed_file_applies_without_restart_and_a_bad_one_is_refused(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "escalator.toml", _data(tmp_path, "qwen/old"))
    argv = escalator_argv(config, "mcp")
    errlog = (tmp_path / "stderr.txt").open("w")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_env())
    async with Client(stdio_client(params, errlog=errlog)) as client:
        assert await _qwen_id(client) == "qwen/old"
        good = config.read_text()
        _rewrite(config, good.replace("qwen/old", "qwen/new"))
        assert await _qwen_id(client) == "qwen/new"
        _rewrite(config, good.replace("qwen/old", "qwen/broken") + "\n[nonsense]\nx = 1\n")
        assert await _qwen_id(client) == "qwen/new", "a bad file must not replace the config"
    errlog.close()
    assert "config reload refused" in (tmp_path / "stderr.txt").read_text()


def test_sighup_reloads_a_file_whose_stamp_did_not_change(tmp_path: Path) -> None:
    """SIGHUP forces a reload (a file replaced with the same size and mtime)."""
    config = write_config(tmp_path / "escalator.toml", _data(tmp_path, "qwen/aaa"))
    st = config.stat()
    live = LiveConfig(_load(config))
    assert live.current().registry.get("qwen3-30b").model_id == "qwen/aaa"
    config.write_text(config.read_text().replace("qwen/aaa", "qwen/bbb"), encoding="utf-8")
    os.utime(config, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert live.current().registry.get("qwen3-30b").model_id == "qwen/aaa"
    previous = signal.signal(signal.SIGHUP, lambda *_: live.request_reload())
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 5
        while live.current().registry.get("qwen3-30b").model_id != "qwen/bbb":
            assert time.monotonic() < deadline, "SIGHUP did not reload"
            time.sleep(0.01)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert live.generation == 1


def _load(path: Path) -> Any:
    from escalator.config import load_config

    return load_config(path)


async def test_a_running_task_keeps_the_config_it_started_with(tmp_path: Path) -> None:
    """Tool calls read the live config once; the Config object a task holds never changes."""
    from escalator.mcpserver.tools import Toolbox

    config = write_config(tmp_path / "escalator.toml", _data(tmp_path, "qwen/old"))
    toolbox = Toolbox(_load(config))
    started_with = toolbox.config
    _rewrite(config, config.read_text().replace("qwen/old", "qwen/new"))
    assert toolbox.config.registry.get("qwen3-30b").model_id == "qwen/new"
    assert started_with.registry.get("qwen3-30b").model_id == "qwen/old"
