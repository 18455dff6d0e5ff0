"""The server through a real MCP client, in process: tools, schemas, the log-backed tools
and error handling."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from escalator.config import Config
from escalator.mcpserver import TOOL_NAMES, build_server
from escalator.mcpserver.outputs import TASK_TYPE_NAMES, TaskTypeName
from escalator.store import AttemptRecord, EventRecord, TaskRecord, open_log
from escalator.task import TaskType
from mcp import Client
from tests.fakes import config_for
from tests.mcp._support import text_of

pytestmark = pytest.mark.anyio


def _seed(config: Config) -> str:
    """One task with two attempts: local-14b fails, gemini-flash passes."""
    with open_log(config.db_path, config=config) as log:
        tid = log.create_task(
            TaskRecord(
                task_type="quick_edit",
                description="fix the sign in add()",
                complexity_score=1,
                worker="local-14b",
                workspace="/tmp/ws",
                files=("calc.py",),
            )
        )
        log.add_attempt(AttemptRecord(tid, "local-14b", "failed", cost_usd=0.0, diff="- x"))
        log.add_event(EventRecord(tid, "escalation", "local-14b", "gemini-flash"))
        log.add_attempt(AttemptRecord(tid, "gemini-flash", "passed", cost_usd=0.0025))
        log.update_task(tid, outcome="passed", final_model="gemini-flash", escalations=1)
    return tid


async def test_lists_the_tools_with_short_descriptions_and_schemas(config: Config) -> None:
    async with Client(build_server(config)) as client:
        listed = (await client.list_tools()).tools
    assert {t.name for t in listed} == set(TOOL_NAMES)
    for tool in listed:
        assert tool.description and len(tool.description) <= 250, tool.name
        assert "\n" not in tool.description
        assert tool.output_schema is not None, tool.name
        assert "title" not in tool.input_schema
    size = sum(len(json.dumps(t.model_dump(mode="json", exclude_none=True))) for t in listed)
    print(f"\ntools/list: {len(listed)} tools, {size} bytes of JSON")
    assert size < 16000


async def test_execute_schema_requires_only_description_and_workspace(config: Config) -> None:
    async with Client(build_server(config)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    schema = tools["orchestrator_execute_with_escalation"].input_schema
    assert sorted(schema["required"]) == ["description", "workspace"]
    assert "ctx" not in schema["properties"]
    types = schema["properties"]["task_type"]["enum"]
    assert types == [t.value for t in TaskType]


def test_task_type_names_match_the_enum() -> None:
    assert tuple(t.value for t in TaskType) == TASK_TYPE_NAMES
    assert typing.get_args(TaskTypeName) == TASK_TYPE_NAMES


async def test_models_reports_registry_and_log_stats(config: Config) -> None:
    _seed(config)
    async with Client(build_server(config)) as client:
        result = await client.call_tool("orchestrator_models", {})
    assert not result.is_error
    data = result.structured_content
    assert data is not None
    models = {m["key"]: m for m in data["models"]}
    assert set(models) == set(config.models)
    flash = models["gemini-flash"]
    assert flash["local"] is False and flash["price_in_per_mtok"] == 0.75
    assert flash["chains"] == ["quick_edit"]
    assert flash["stats"] == {"attempts": 1, "passed": 1, "pass_rate": 1.0, "cost_usd": 0.0025}
    assert models["local-14b"]["stats"]["pass_rate"] == 0.0
    assert models["opus"]["stats"] is None
    assert data["checked"] is False


async def test_models_without_a_log_has_no_stats(config: Config) -> None:
    async with Client(build_server(config)) as client:
        result = await client.call_tool("orchestrator_models", {})
    assert not result.is_error
    assert result.structured_content is not None
    assert all(m["stats"] is None for m in result.structured_content["models"])
    assert not Path(config.db_path).exists()  # reading stats does not create a log


async def test_task_list_and_status(config: Config) -> None:
    tid = _seed(config)
    async with Client(build_server(config)) as client:
        listed = await client.call_tool("orchestrator_task", {"action": "list"})
        status = await client.call_tool(
            "orchestrator_task", {"action": "status", "task_id": tid[:8]}
        )
    assert listed.structured_content is not None
    tasks = listed.structured_content["tasks"]
    assert [t["task_id"] for t in tasks] == [tid]
    assert tasks[0]["outcome"] == "passed" and "state" not in tasks[0]
    data = status.structured_content
    assert data is not None
    assert data["task"]["task_id"] == tid and data["task"]["final_model"] == "gemini-flash"
    attempts = data["detail"]["attempts"]
    assert [a["model"] for a in attempts] == ["local-14b", "gemini-flash"]
    assert "diff" not in attempts[0]
    assert [e["kind"] for e in data["detail"]["events"]] == ["escalation"]


async def test_task_errors_name_the_fix_and_the_server_keeps_serving(config: Config) -> None:
    _seed(config)
    async with Client(build_server(config)) as client:
        no_id = await client.call_tool("orchestrator_task", {"action": "status"})
        unknown = await client.call_tool(
            "orchestrator_task", {"action": "status", "task_id": "ffffffff"}
        )
        bad_action = await client.call_tool("orchestrator_task", {"action": "explode"})
        after = await client.call_tool("orchestrator_task", {"action": "list"})
    assert no_id.is_error and "needs task_id" in text_of(no_id)
    assert unknown.is_error and "no task with id 'ffffffff'" in text_of(unknown)
    assert bad_action.is_error and "action" in text_of(bad_action)
    assert not after.is_error


async def test_bad_workspace_is_a_tool_error_and_the_server_keeps_serving(
    config: Config, tmp_path: Path
) -> None:
    async with Client(build_server(config)) as client:
        bad = await client.call_tool(
            "orchestrator_execute_with_escalation",
            {"description": "fix it", "workspace": str(tmp_path / "missing")},
        )
        ok = await client.call_tool("orchestrator_models", {})
    assert bad.is_error
    assert "does not exist" in text_of(bad)
    assert not ok.is_error


async def test_workspace_roots_are_enforced_by_the_tools(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    cfg = config_for(
        db_path=tmp_path / "tasks.db", extra={"mcp": {"workspace_roots": [str(allowed)]}}
    )
    async with Client(build_server(cfg)) as client:
        result = await client.call_tool(
            "orchestrator_execute_with_escalation",
            {"description": "fix it", "workspace": str(outside), "files": ["a.py"]},
        )
        escape = await client.call_tool(
            "orchestrator_execute_with_escalation",
            {"description": "fix it", "workspace": str(allowed), "files": ["../outside/a.py"]},
        )
    assert result.is_error and "outside the allowed roots" in text_of(result)
    assert escape.is_error and "outside the workspace" in text_of(escape)


async def test_schema_violations_are_tool_errors(config: Config, workspace: Path) -> None:
    async with Client(build_server(config)) as client:
        result = await client.call_tool(
            "orchestrator_execute_with_escalation",
            {"description": "x", "workspace": str(workspace), "complexity": 99},
        )
    assert result.is_error
    assert "complexity" in text_of(result)


async def test_resume_of_a_finished_task_is_a_clean_input_error(config: Config) -> None:
    tid = _seed(config)
    async with Client(build_server(config)) as client:
        result = await client.call_tool("orchestrator_task", {"action": "resume", "task_id": tid})
    assert result.is_error
    assert "invalid input" in text_of(result)
    assert "not awaiting_approval" in text_of(result)
