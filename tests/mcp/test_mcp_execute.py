"""The execute and task tools against the HTTP fake of LM Studio (and Anthropic), in process:
the record equals `escalator run --json`'s, progress arrives as MCP notifications, a paid
step parks the task, and approving it through orchestrator_task resumes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.mcpserver import build_server
from escalator.store.db import open_log
from mcp import Client
from tests.engine.conftest import BUGGY, FIXED, TESTS, WRONG, search_replace, whole
from tests.fakes import AnthropicFake, LMStudioFake, config_for
from tests.mcp._support import text_of, write_config

pytestmark = pytest.mark.anyio

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"
HAIKU = "claude-haiku-5-5"
# Fields that differ between any two runs of the same task.
VOLATILE = ("task_id", "latency_ms")


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "test_calc.py").write_text(TESTS)
    return root


def _arguments(ws: Path) -> dict[str, Any]:
    return {
        "description": "Fix add() so that it returns the sum",
        "workspace": str(ws),
        "files": ["calc.py"],
        "test_command": "python -m pytest -q",
        "task_type": "standard_development",
    }


def _stable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


async def test_execute_returns_the_same_record_as_escalator_run(
    tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    db = tmp_path / "tasks.db"
    config = config_for(lmstudio_url=lmstudio_fake.url, db_path=db)
    ws_mcp = _project(tmp_path / "via-mcp")
    lmstudio_fake.script(QWEN3, whole(FIXED))
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    async with Client(build_server(config)) as client:
        result = await client.call_tool(
            "orchestrator_execute_with_escalation",
            _arguments(ws_mcp),
            progress_callback=on_progress,
        )
    assert not result.is_error, result.content
    record = result.structured_content
    assert record is not None
    assert record["outcome"] == "passed" and record["final_model"] == "qwen3-30b"
    assert (ws_mcp / "calc.py").read_text() == FIXED
    assert json.loads(text_of(result)) == record

    # progress: numbered notifications, in order, naming the steps
    assert [value for value, _ in seen] == list(range(1, len(seen) + 1))
    messages = [m or "" for _, m in seen]
    assert "] classified" in messages[0] and messages[0].startswith("[step 0/9, $0.0000")
    assert any("] outcome" in m or "passed" in m for m in messages[1:])
    assert "[step 1/9, " in messages[-1]  # one model call of at most 3 models x 3 attempts

    # the same task through the CLI gives the same record
    ws_cli = tmp_path / "via-cli"
    shutil.copytree(tmp_path / "via-mcp", ws_cli)
    (ws_cli / "calc.py").write_text(BUGGY)
    lmstudio_fake.script(QWEN3, whole(FIXED))
    cfg_file = write_config(
        tmp_path / "escalator.toml",
        {"providers": {"lmstudio": {"base_url": lmstudio_fake.url}}, "store": {"db_path": str(db)}},
    )
    args = _arguments(ws_cli)
    # (the CLI runs its own event loop, so it goes to a worker thread)
    cli_run = await anyio.to_thread.run_sync(
        CliRunner().invoke,
        cli,
        [
            "--config", str(cfg_file), "run", args["description"],
            "--workspace", args["workspace"], "--files", "calc.py",
            "--tests", args["test_command"], "--type", args["task_type"], "--json",
        ],
    )  # fmt: skip
    assert cli_run.exit_code == 0, cli_run.output
    cli_record = json.loads(cli_run.stdout)
    assert set(cli_record) == set(record)
    assert _stable(cli_record) == _stable(record)
    assert cli_record["task_id"] != record["task_id"]


async def test_paid_step_parks_then_approve_resumes(
    tmp_path: Path, lmstudio_fake: LMStudioFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
    with AnthropicFake() as claude:
        config = config_for(
            lmstudio_url=lmstudio_fake.url,
            anthropic_url=claude.url,
            db_path=tmp_path / "tasks.db",
            extra={
                "matrix": {"standard_development": {"attempts_per_model": 1}},
                "mcp": {"agents_may_approve": True},
            },
        )
        ws = _project(tmp_path / "ws")
        lmstudio_fake.script(QWEN3, whole(WRONG))
        lmstudio_fake.script(CODER, whole(WRONG))
        async with Client(build_server(config)) as client:
            parked = await client.call_tool("orchestrator_execute_with_escalation", _arguments(ws))
            assert not parked.is_error, parked.content
            record = parked.structured_content
            assert record is not None
            assert record["outcome"] == "awaiting_approval"
            assert claude.requests == []  # nothing paid was called
            task_id = record["task_id"]

            status = await client.call_tool(
                "orchestrator_task", {"action": "status", "task_id": task_id}
            )
            assert status.structured_content is not None
            assert status.structured_content["task"]["outcome"] == "awaiting_approval"

            claude.script(HAIKU, search_replace("    return a - b", "    return a + b"))
            approved = await client.call_tool(
                "orchestrator_task", {"action": "approve", "task_id": task_id[:10]}
            )
        assert not approved.is_error, approved.content
        data = approved.structured_content
        assert data is not None and data["action"] == "approve"
        assert data["result"]["task_id"] == task_id
        assert data["result"]["outcome"] == "passed"
        assert data["result"]["final_model"] == "haiku"
        assert len(claude.requests) == 1
        assert (ws / "calc.py").read_text() == FIXED


async def test_dry_run_returns_the_patch_and_leaves_the_workspace(
    tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    config = config_for(lmstudio_url=lmstudio_fake.url, db_path=tmp_path / "tasks.db")
    ws = _project(tmp_path / "ws")
    lmstudio_fake.script(QWEN3, whole(FIXED))
    async with Client(build_server(config)) as client:
        result = await client.call_tool(
            "orchestrator_execute_with_escalation", {**_arguments(ws), "dry_run": True}
        )
    record = result.structured_content
    assert record is not None and record["outcome"] == "passed"
    assert record["applied"] is False
    assert "+    return a + b" in record["patch"]
    assert (ws / "calc.py").read_text() == BUGGY


@pytest.mark.parametrize("action", ["approve", "resume"])
async def test_an_agent_may_not_approve_paid_spending_by_default(
    action: str, tmp_path: Path, lmstudio_fake: LMStudioFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
    with AnthropicFake() as claude:
        config = config_for(
            lmstudio_url=lmstudio_fake.url,
            anthropic_url=claude.url,
            db_path=tmp_path / "tasks.db",
            extra={"matrix": {"standard_development": {"attempts_per_model": 1}}},
        )
        ws = _project(tmp_path / "ws")
        lmstudio_fake.script(QWEN3, whole(WRONG))
        lmstudio_fake.script(CODER, whole(WRONG))
        claude.script(HAIKU, search_replace("    return a - b", "    return a + b"))
        async with Client(build_server(config)) as client:
            parked = await client.call_tool("orchestrator_execute_with_escalation", _arguments(ws))
            assert parked.structured_content is not None
            task_id = parked.structured_content["task_id"]
            refused = await client.call_tool(
                "orchestrator_task", {"action": action, "task_id": task_id}
            )
            status = await client.call_tool(
                "orchestrator_task", {"action": "status", "task_id": task_id}
            )
        assert refused.is_error
        message = text_of(refused)
        assert f"escalator resume {task_id}" in message and "escalator review" in message
        assert "agents_may_approve = true" in message
        assert claude.requests == []
        assert status.structured_content is not None
        assert status.structured_content["task"]["outcome"] == "awaiting_approval"
        with open_log(config.db_path, config=config, create=False) as store:
            kinds = [e.kind for e in store.events(task_id)]
        assert "denied" in kinds
        assert (ws / "calc.py").read_text() == BUGGY
