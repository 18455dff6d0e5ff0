"""MCP as an agent sees it, through a real MCP client: what the tool list costs in
context, one-line argument errors, summaries in lists, feedback on failure, and how a
parked task gets approved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalator.config import Config
from escalator.mcpserver import build_server
from escalator.providers.tokens import count_tokens
from escalator.store import TaskRecord, open_log
from mcp import Client
from tests.engine.conftest import BUGGY, TESTS, WRONG, whole
from tests.fakes import AnthropicFake, LMStudioFake, config_for
from tests.mcp._support import text_of

pytestmark = pytest.mark.anyio

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "test_calc.py").write_text(TESTS)
    return root


def _arguments(ws: Path) -> dict[str, object]:
    return {
        "description": "Fix add() so that it returns the sum",
        "workspace": str(ws),
        "files": ["calc.py"],
        "test_command": "python -m pytest -q",
        "task_type": "standard_development",
    }


async def test_the_tool_list_costs_about_a_thousand_tokens(config: Config) -> None:
    async with Client(build_server(config)) as client:
        tools = (await client.list_tools()).tools
    listed = [t.model_dump(by_alias=True, exclude_none=True) for t in tools]
    described = sum(
        count_tokens(t["description"]) + count_tokens(json.dumps(t["inputSchema"])) for t in listed
    )
    everything = sum(count_tokens(json.dumps(t)) for t in listed)
    print(f"\ntool descriptions + input schemas: {described} tokens; whole list {everything}")
    assert described <= 1000
    assert everything <= 1100
    text = json.dumps(listed)
    assert '"title"' not in text and '"anyOf"' not in text


async def test_argument_errors_are_one_line_naming_the_field(config: Config) -> None:
    async with Client(build_server(config)) as client:
        missing = await client.call_tool("orchestrator_validate_outcome", {})
        bad = await client.call_tool("orchestrator_task", {"action": "explode"})
    assert missing.is_error and bad.is_error
    for result in (missing, bad):
        message = text_of(result)
        assert "\n" not in message and "pydantic" not in message and "http" not in message
    assert text_of(missing) == (
        "invalid arguments for orchestrator_validate_outcome: workspace: is required"
    )
    assert text_of(bad).startswith("invalid arguments for orchestrator_task: action: input")
    assert "'status'" in text_of(bad)


async def test_list_returns_summaries_without_patches(config: Config) -> None:
    with open_log(config.db_path, config=config) as log:
        log.create_task(
            TaskRecord(
                task_type="quick_edit",
                description="x" * 5000,
                outcome="passed",
                patch="--- a/f\n+++ b/f\n" + "+line\n" * 2000,
                state={"best": {"diff": "huge"}},
            )
        )
    async with Client(build_server(config)) as client:
        listed = await client.call_tool("orchestrator_task", {"action": "list"})
    task = listed.structured_content["tasks"][0]
    assert "patch" not in task and "state" not in task and "files" not in task
    assert len(task["description"]) == 200 and task["outcome"] == "passed"
    assert count_tokens(text_of(listed)) < 400


async def test_a_failed_task_carries_the_validators_feedback(
    tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    config = config_for(
        lmstudio_url=lmstudio_fake.url,
        db_path=tmp_path / "tasks.db",
        extra={
            "matrix": {"standard_development": {"chain": ["qwen3-30b"], "attempts_per_model": 1}}
        },
    )
    lmstudio_fake.script(QWEN3, whole(WRONG))
    async with Client(build_server(config)) as client:
        result = await client.call_tool(
            "orchestrator_execute_with_escalation", _arguments(_project(tmp_path / "ws"))
        )
    record = result.structured_content
    assert record["outcome"] == "skipped"
    assert "test_add" in record["feedback"] and "assert" in record["feedback"]
    assert {"validator": "tests", "status": "failed"} in record["failed_verdicts"]
    assert record["feedback_from"] == "qwen3-30b attempt 1"


async def test_a_parked_task_says_how_a_person_approves_and_the_worst_case(
    tmp_path: Path, lmstudio_fake: LMStudioFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
    with AnthropicFake() as claude:
        config = config_for(
            lmstudio_url=lmstudio_fake.url,
            anthropic_url=claude.url,
            db_path=tmp_path / "tasks.db",
            extra={"matrix": {"standard_development": {"attempts_per_model": 1}}},
        )
        lmstudio_fake.script(QWEN3, whole(WRONG))
        lmstudio_fake.script(CODER, whole(WRONG))
        async with Client(build_server(config)) as client:
            parked = await client.call_tool(
                "orchestrator_execute_with_escalation", _arguments(_project(tmp_path / "ws"))
            )
    record = parked.structured_content
    assert record["outcome"] == "awaiting_approval"
    approval = record["approval"]
    assert approval["model"] == "haiku" and approval["worst_case_usd"] > 0
    assert f"escalator resume {record['task_id'][:12]}" in approval["how"]
    assert "orchestrator_task" in approval["how"] and "a person decides" in approval["how"]
    assert "test_add" in record["feedback"]  # why the free models did not do it
