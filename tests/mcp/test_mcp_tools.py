"""The validate, models (with check) and review tools in process, on real sandboxes, real
validators, a real task log and the LM Studio fake."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest

from escalator.apply import file_hash
from escalator.config import VALIDATOR_NAMES, Config
from escalator.mcpserver import build_server
from escalator.mcpserver.outputs import VALIDATOR_NAMES as OUT_VALIDATORS
from escalator.mcpserver.outputs import ValidatorName
from escalator.store import AttemptRecord, TaskRecord, VerdictRecord, open_log
from mcp import Client
from tests.engine.conftest import BUGGY, FIXED, TESTS
from tests.fakes import LMStudioFake, config_for
from tests.mcp._support import text_of

pytestmark = pytest.mark.anyio


def _project(root: Path, calc: str = BUGGY) -> Path:
    root.mkdir(exist_ok=True)
    (root / "calc.py").write_text(calc)
    (root / "test_calc.py").write_text(TESTS)
    return root


async def _call(config: Config, tool: str, args: dict[str, Any]) -> Any:
    async with Client(build_server(config)) as client:
        return await client.call_tool(tool, args)


def test_validator_names_match_the_config() -> None:
    assert OUT_VALIDATORS == VALIDATOR_NAMES
    assert typing.get_args(ValidatorName) == VALIDATOR_NAMES


async def test_validate_fails_with_feedback_then_passes(config: Config, tmp_path: Path) -> None:
    ws = _project(tmp_path / "proj")
    args = {
        "workspace": str(ws),
        "validators": ["syntax", "tests"],
        "test_command": "python -m pytest -q",
    }
    failing = await _call(config, "orchestrator_validate_outcome", args)
    assert not failing.is_error, failing.content
    data = failing.structured_content
    assert data["passed"] is False and data["status"] == "failed"
    verdicts = {v["validator"]: v for v in data["verdicts"]}
    assert verdicts["syntax"]["status"] == "passed"
    assert verdicts["tests"]["status"] == "failed"
    assert "test_add" in verdicts["tests"]["feedback"]
    assert "[tests]" in data["feedback"]
    assert (ws / "calc.py").read_text() == BUGGY  # the workspace itself is never touched

    (ws / "calc.py").write_text(FIXED)
    passing = await _call(config, "orchestrator_validate_outcome", args)
    assert passing.structured_content["passed"] is True
    assert passing.structured_content["confidence"] > 0.5


async def test_validate_by_task_type_uses_the_matrix_row(config: Config, tmp_path: Path) -> None:
    ws = _project(tmp_path / "proj", calc="def add(a, b):\n    return (a +\n")
    result = await _call(
        config,
        "orchestrator_validate_outcome",
        {"workspace": str(ws), "files": ["calc.py"], "task_type": "quick_edit"},
    )
    data = result.structured_content
    assert [v["validator"] for v in data["verdicts"]] == ["syntax"]
    assert data["passed"] is False
    assert "calc.py" in data["verdicts"][0]["feedback"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"files": ["nope.py"]}, "does not exist in the workspace"),
        ({"files": ["../x.py"]}, "outside the workspace"),
        ({"validators": ["syntax"], "task_type": "critical"}, "not both"),
        ({"validators": ["lint"]}, "validators"),
    ],
)
async def test_validate_input_errors(
    config: Config, tmp_path: Path, args: dict[str, Any], message: str
) -> None:
    ws = _project(tmp_path / "proj")
    result = await _call(config, "orchestrator_validate_outcome", {"workspace": str(ws), **args})
    assert result.is_error
    assert message in text_of(result)


async def test_models_check_asks_the_endpoints(tmp_path: Path, lmstudio_fake: LMStudioFake) -> None:
    config = config_for(lmstudio_url=lmstudio_fake.url, db_path=tmp_path / "tasks.db")
    result = await _call(config, "orchestrator_models", {"check": True})
    assert not result.is_error, result.content
    data = result.structured_content
    assert data["checked"] is True
    models = {m["key"]: m for m in data["models"]}
    assert models["qwen3-30b"]["reachable"] is True
    assert models["haiku"]["reachable"] is None  # not checked without a key
    assert models["haiku"]["api_key_present"] is False
    assert "ANTHROPIC_API_KEY" in models["haiku"]["detail"]
    assert any(r.path.startswith(("/api", "/v1")) for r in lmstudio_fake.requests)


def _review_task(
    config: Config,
    ws: Path,
    *,
    with_candidate: bool,
    hashes: dict[str, str] | None = None,
    candidate_passed: bool = True,
) -> str:
    state: dict[str, Any] = {}
    if with_candidate:
        state["best"] = {
            "model": "local-32b",
            "files": {"calc.py": FIXED},
            "original_hashes": hashes or {},
            "diff": "--- a/calc.py\n+++ b/calc.py\n",
            "confidence": 0.6,
        }
    with open_log(config.db_path, config=config) as log:
        tid = log.create_task(
            TaskRecord(
                task_type="complex_architecture",
                description="restructure calc",
                outcome="needs_review",
                workspace=str(ws),
                files=("calc.py",),
                state=state,
            )
        )
        if with_candidate:  # the attempt that produced the candidate, with its verdicts
            outcome = "passed" if candidate_passed else "failed"
            log.add_attempt(
                AttemptRecord(tid, "local-32b", outcome, diff=state["best"]["diff"]),
                [VerdictRecord("tests", outcome, 1.0, feedback="FAILED test_add")],
            )
    return tid


async def test_review_reject_and_skip_record_the_decision(config: Config, tmp_path: Path) -> None:
    ws = _project(tmp_path / "proj")
    first = _review_task(config, ws, with_candidate=False)
    second = _review_task(config, ws, with_candidate=False)
    async with Client(build_server(config)) as client:
        rejected = await client.call_tool(
            "orchestrator_task", {"action": "reject", "task_id": first, "reason": "wrong idea"}
        )
        skipped = await client.call_tool("orchestrator_task", {"action": "skip", "task_id": second})
        again = await client.call_tool("orchestrator_task", {"action": "skip", "task_id": second})
    assert rejected.structured_content["task"]["outcome"] == "rejected"
    assert rejected.structured_content["detail"]["action"] == "reject"
    assert skipped.structured_content["task"]["outcome"] == "skipped"
    assert again.is_error and "only needs_review, awaiting_approval" in text_of(again)
    with open_log(config.db_path, config=config) as log:
        kinds = [e.kind for e in log.events(first)]
        assert "review_rejected" in kinds
        assert log.events(first)[-1].detail == {"reason": "wrong idea"}


async def test_review_approve_applies_the_best_candidate(config: Config, tmp_path: Path) -> None:
    ws = _project(tmp_path / "proj")
    hashes = {"calc.py": file_hash(ws / "calc.py")}
    tid = _review_task(config, ws, with_candidate=True, hashes=hashes)
    result = await _call(config, "orchestrator_task", {"action": "approve", "task_id": tid})
    assert not result.is_error, result.content
    data = result.structured_content
    assert data["detail"]["applied"] is True
    assert data["task"]["outcome"] == "passed"
    assert (ws / "calc.py").read_text() == FIXED
    assert json.loads(text_of(result))["action"] == "approve"


async def test_review_approve_of_a_failing_change_is_left_to_a_person(
    config: Config, tmp_path: Path
) -> None:
    ws = _project(tmp_path / "proj")
    hashes = {"calc.py": file_hash(ws / "calc.py")}
    tid = _review_task(config, ws, with_candidate=True, hashes=hashes, candidate_passed=False)
    result = await _call(config, "orchestrator_task", {"action": "approve", "task_id": tid})
    assert result.is_error
    assert "did not pass its checks (tests failed)" in text_of(result)
    assert "--force" in text_of(result)
    assert (ws / "calc.py").read_text() != FIXED


async def test_review_approve_refuses_when_the_workspace_changed(
    config: Config, tmp_path: Path
) -> None:
    ws = _project(tmp_path / "proj")
    hashes = {"calc.py": file_hash(ws / "calc.py")}
    tid = _review_task(config, ws, with_candidate=True, hashes=hashes)
    (ws / "calc.py").write_text("# edited by hand meanwhile\n")
    result = await _call(config, "orchestrator_task", {"action": "approve", "task_id": tid})
    assert not result.is_error, result.content
    data = result.structured_content
    assert data["detail"]["applied"] is False
    assert data["detail"]["conflicts"] == ["calc.py"]
    assert data["task"]["outcome"] == "needs_review"
    assert "nothing was written" in data["message"]
    assert (ws / "calc.py").read_text() == "# edited by hand meanwhile\n"


async def test_classify_uses_the_users_refit_model_like_the_cli(config: Config) -> None:
    """The classify tool answers as `escalator classify` and `run` do: with the user's
    refit model beside their task log when there is one, not only the shipped model."""
    from escalator.classify import load_model
    from escalator.classify._corrections import refit
    from escalator.classify._methods import user_model_path
    from escalator.classify._train import write_model

    text = {"text": "Fix the frobnicator widget"}
    shipped = (await _call(config, "orchestrator_classify_task", text)).structured_content
    assert not shipped["reasons"][0].startswith("your model")
    labels = [{"text": text["text"], "type": "critical", "group": "p"}] * 3
    write_model(refit(labels, load_model()), user_model_path(config.db_path))
    mine = (await _call(config, "orchestrator_classify_task", text)).structured_content
    assert mine["reasons"][0].startswith("your model: ")
