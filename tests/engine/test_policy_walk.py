"""The walk asks the policy: a learned policy skips what the log says does not pay, and
records why; ``--policy static`` walks the configured chain as written. Real HTTP fakes,
real sandboxes, real pytest, a real task log."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.config import Config, PolicyMode
from escalator.engine import RunOptions, run_task
from escalator.store import AttemptRecord, TaskLog, TaskRecord, open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BROKEN, search_replace, whole
from tests.fakes import AnthropicFake, LMStudioFake, Reply, config_for

pytestmark = pytest.mark.anyio

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"
HAIKU = "claude-haiku-5-5"
T = TaskType.STANDARD_DEVELOPMENT


def request(ws: Path) -> TaskRequest:
    return TaskRequest(
        description="Fix add() so that it returns the sum of its arguments",
        workspace=ws,
        files=("calc.py",),
        test_command="python -m pytest -q",
        task_type=T,
        complexity=3,
    )


def slow_middle_log(path: Path, cfg: Config) -> TaskLog:
    """Ten finished tasks: qwen3-30b failed, local-32b failed after a minute, haiku passed."""
    log = open_log(path, config=cfg)
    for _ in range(10):
        tid = log.create_task(TaskRecord(task_type=T.value, description="x"))
        for model, label, latency, cost in (
            ("qwen3-30b", "failed", 20, 0.0),
            ("local-32b", "failed", 60_000, 0.0),
            ("haiku", "verified", 3_000, 0.0002),
        ):
            log.add_attempt(
                AttemptRecord(
                    task_id=tid,
                    model=model,
                    label=label,
                    latency_ms=latency,
                    cost_usd=cost,
                    outcome="passed" if label == "verified" else "failed",
                )
            )
        log.update_task(tid, outcome="passed", final_model="haiku")
    return log


def script(lmstudio: LMStudioFake, anthropic: AnthropicFake) -> None:
    lmstudio.script(QWEN3, whole(BROKEN), whole(BROKEN), whole(BROKEN))
    lmstudio.script(CODER, whole(BROKEN), whole(BROKEN), whole(BROKEN))
    fix = search_replace("    return a - b", "    return a + b")
    anthropic.script(HAIKU, Reply(fix, tokens_in=1000, tokens_out=100))


async def test_learned_policy_skips_a_slow_model_that_never_helps(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    script(lmstudio_fake, anthropic_fake)
    cfg = config_for(
        lmstudio_url=lmstudio_fake.url,
        anthropic_url=anthropic_fake.url,
        extra={"policy": {"usd_per_second": 0.01, "explore": False}},
    )
    with slow_middle_log(tmp_path / "tasks.db", cfg) as log:
        result = await run_task(
            request(workspace), config=cfg, options=RunOptions(approve_paid=True), log=log
        )
        attempts = log.attempts(result.task_id)
        events = [e for e in log.events(result.task_id) if e.kind == "policy_choice"]
    assert result.outcome == Outcome.PASSED, result.reason
    assert result.models_tried == ["qwen3-30b", "haiku"]
    assert lmstudio_fake.requests_for(CODER) == []
    assert {a.policy for a in attempts} == {"learned"}
    qwen, haiku = attempts[0], attempts[-1]  # qwen3-30b's identical retry is logged too
    assert "skipping local-32b" in (qwen.policy_reason or "")
    assert "P(success | after_local)" in (haiku.policy_reason or "")
    assert qwen.brief_tokens is None  # the first prompt has no brief
    assert haiku.brief_tokens is not None and haiku.brief_tokens > 0
    assert any(e.detail["dropped"] == ["local-32b"] for e in events)
    assert {(a.model, a.label) for a in attempts} == {
        ("qwen3-30b", "failed"),
        ("haiku", "verified"),
    }


async def test_static_policy_walks_the_chain_as_configured(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    script(lmstudio_fake, anthropic_fake)
    cfg = config_for(
        lmstudio_url=lmstudio_fake.url,
        anthropic_url=anthropic_fake.url,
        extra={"policy": {"usd_per_second": 0.01}},
    )
    with slow_middle_log(tmp_path / "tasks.db", cfg) as log:
        options = RunOptions(approve_paid=True, policy_mode=PolicyMode.STATIC)
        result = await run_task(request(workspace), config=cfg, options=options, log=log)
        attempts = log.attempts(result.task_id)
    assert result.outcome == Outcome.PASSED, result.reason
    assert result.models_tried == ["qwen3-30b", "local-32b", "haiku"]
    assert {a.policy for a in attempts} == {"static"}
