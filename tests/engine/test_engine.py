"""The whole loop against real HTTP fakes, real sandboxes, real pytest and a real task log."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.config import Config
from escalator.engine import ProgressEvent, RunOptions, TaskResult, resume_task, run_task
from escalator.store import TaskLog, open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BROKEN, BUGGY, FIXED, WRONG, search_replace, whole
from tests.fakes import UNREACHABLE_URL, AnthropicFake, LMStudioFake, Reply, config_for

pytestmark = pytest.mark.anyio

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"
HAIKU = "claude-haiku-5-5"


def request(ws: Path, **kw: object) -> TaskRequest:
    base: dict[str, object] = dict(
        description="Fix add() so that it returns the sum of its arguments",
        workspace=ws,
        files=("calc.py",),
        test_command="python -m pytest -q",
        task_type=TaskType.STANDARD_DEVELOPMENT,
        complexity=3,
    )
    base.update(kw)
    return TaskRequest(**base)  # type: ignore[arg-type]


def make_log(tmp_path: Path, cfg: Config) -> TaskLog:
    return open_log(tmp_path / "tasks.db", config=cfg)


async def run(cfg: Config, log: TaskLog, req: TaskRequest, **opts: object) -> TaskResult:
    return await run_task(req, config=cfg, options=RunOptions(**opts), log=log)  # type: ignore[arg-type]


async def test_escalates_local_to_paid_and_applies_the_patch(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(BROKEN), whole(BROKEN))
    lmstudio_fake.script(CODER, whole(WRONG), whole(WRONG))
    anthropic_fake.script(
        HAIKU,
        Reply(
            search_replace("    return a - b", "    return a + b"), tokens_in=1000, tokens_out=100
        ),
    )
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    events: list[ProgressEvent] = []
    result = await run(cfg, log, request(workspace), approve_paid=True, on_progress=events.append)

    assert result.outcome == Outcome.PASSED, result.reason
    assert result.final_model == "haiku"
    assert result.models_tried == ["qwen3-30b", "local-32b", "haiku"]
    assert result.escalations == 2
    # the identical second answer of each local model escalates at once; every model call
    # counts as an attempt (the repeat is recorded as failed: identical_retry)
    assert result.attempts == 5
    assert (workspace / "calc.py").read_text() == FIXED
    assert result.applied and "+    return a + b" in (result.patch or "")
    # cost: only the paid model costs, at its configured price ($0.10 / $0.50 per 1M)
    assert result.cost_usd == pytest.approx((1000 * 0.10 + 100 * 0.50) / 1e6)

    # feedback reached the models: the retry saw the syntax error, the next model the test failure
    qwen_retry = lmstudio_fake.requests_for(QWEN3)[1].prompt_text()  # the identical retry
    assert "syntax" in qwen_retry.lower()
    coder_first = lmstudio_fake.requests_for(CODER)[0].prompt_text()
    assert "qwen3-30b" in coder_first or "cheaper model" in coder_first.lower()
    haiku_prompt = anthropic_fake.requests_for(HAIKU)[0].prompt_text()
    assert "assert" in haiku_prompt or "test_add" in haiku_prompt

    attempts = log.attempts(result.task_id)
    assert [a.model for a in attempts] == ["qwen3-30b"] * 2 + ["local-32b"] * 2 + ["haiku"]
    assert [a.error_kind for a in attempts].count("identical_retry") == 2
    assert attempts[-1].outcome == "passed"
    assert log.get_task(result.task_id).attempts == 5
    assert (
        attempts[0].verdicts[0].validator == "syntax" and attempts[0].verdicts[0].status == "failed"
    )
    kinds = [e.kind for e in log.events(result.task_id)]
    assert kinds.count("escalation") == 2
    assert "approved" in kinds and "applied" in kinds
    assert kinds.count("identical_retry") == 2
    task = log.get_task(result.task_id)
    assert task.outcome == "passed" and task.cost_usd == pytest.approx(result.cost_usd)
    assert any(e.kind == "escalate" for e in events)


async def test_no_paid_never_sends_a_paid_request(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(WRONG), whole(BROKEN), whole(WRONG))
    lmstudio_fake.script(CODER, whole(WRONG))
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    result = await run(cfg, log, request(workspace), approve_paid=False)
    assert result.outcome == Outcome.SKIPPED
    assert anthropic_fake.requests == []
    assert (workspace / "calc.py").read_text() == BUGGY
    assert "denied" in [e.kind for e in log.events(result.task_id)]


async def test_policy_ask_parks_the_task_and_resume_continues_it(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(WRONG))
    lmstudio_fake.script(CODER, whole(WRONG))
    anthropic_fake.script(HAIKU, search_replace("    return a - b", "    return a + b"))
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    parked = await run(cfg, log, request(workspace))  # no --yes, nobody to ask: policy "ask"
    assert parked.outcome == Outcome.AWAITING_APPROVAL
    assert anthropic_fake.requests == []
    assert log.get_task(parked.task_id).outcome == "awaiting_approval"

    resumed = await resume_task(parked.task_id, config=cfg, log=log)
    assert resumed.outcome == Outcome.PASSED
    assert resumed.final_model == "haiku"
    assert resumed.models_tried[-1] == "haiku"
    assert (workspace / "calc.py").read_text() == FIXED
    assert len(anthropic_fake.requests_for(HAIKU)) == 1


async def test_budget_stops_before_a_call_that_could_exceed_it(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(WRONG))
    lmstudio_fake.script(CODER, whole(WRONG))
    anthropic_fake.script(HAIKU, search_replace("    return a - b", "    return a + b"))
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    # haiku's worst case (prompt + 8192 output tokens at $0.50/M) is above $0.001
    result = await run(cfg, log, request(workspace, budget_usd=0.001), approve_paid=True)
    assert result.outcome == Outcome.BUDGET_STOPPED
    assert result.stopped_by == "per-task"
    assert "per-task budget" in result.reason
    assert anthropic_fake.requests == []
    assert result.cost_usd == 0


async def test_unreachable_local_server_escalates_to_the_next_model(
    workspace: Path, tmp_path: Path, anthropic_fake: AnthropicFake
) -> None:
    anthropic_fake.script(HAIKU, search_replace("    return a - b", "    return a + b"))
    cfg = config_for(lmstudio_url=UNREACHABLE_URL, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    result = await run(cfg, log, request(workspace), approve_paid=True)
    assert result.outcome == Outcome.PASSED
    assert result.final_model == "haiku"
    errors = [a for a in log.attempts(result.task_id) if a.outcome == "error"]
    assert {a.model for a in errors} == {"qwen3-30b", "local-32b"}
    assert all(a.error_kind in ("endpoint_unreachable", "circuit_open") for a in errors)


async def test_context_overflow_skips_to_the_next_model(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    overflow = {
        "error": "The number of tokens to keep from the initial prompt is greater than the "
        "context length (n_keep: 13055>= n_ctx: 4096)"
    }
    lmstudio_fake.script(QWEN3, Reply.error(400, overflow))
    lmstudio_fake.script(CODER, whole(FIXED))
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    log = make_log(tmp_path, cfg)
    result = await run(cfg, log, request(workspace), approve_paid=False)
    assert result.outcome == Outcome.PASSED
    assert result.final_model == "local-32b"
    first = log.attempts(result.task_id)[0]
    assert first.error_kind == "context_overflow"
    assert len(lmstudio_fake.requests_for(QWEN3)) == 1


async def test_dry_run_returns_the_patch_and_leaves_the_workspace(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(FIXED))
    cfg = config_for(lmstudio_url=lmstudio_fake.url)
    log = make_log(tmp_path, cfg)
    result = await run(cfg, log, request(workspace, dry_run=True))
    assert result.outcome == Outcome.PASSED
    assert not result.applied
    assert "+    return a + b" in (result.patch or "")
    assert (workspace / "calc.py").read_text() == BUGGY


async def test_a_workspace_changed_meanwhile_is_not_overwritten(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(FIXED))
    cfg = config_for(lmstudio_url=lmstudio_fake.url)
    log = make_log(tmp_path, cfg)

    def meddle(event: ProgressEvent) -> None:
        if event.kind == "attempt_done":
            (workspace / "calc.py").write_text(BUGGY + "\n# someone else's edit\n")

    result = await run(cfg, log, request(workspace), on_progress=meddle)
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.conflicts == ["calc.py"]
    assert (workspace / "calc.py").read_text().endswith("# someone else's edit\n")


async def test_unparseable_answers_fail_with_feedback_about_the_format(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, "I think you should change the minus to a plus.", whole(FIXED))
    cfg = config_for(lmstudio_url=lmstudio_fake.url)
    log = make_log(tmp_path, cfg)
    result = await run(cfg, log, request(workspace))
    assert result.outcome == Outcome.PASSED
    first = log.attempts(result.task_id)[0]
    assert first.error_kind == "edit_parse" and first.feedback
    retry_prompt = lmstudio_fake.requests_for(QWEN3)[1].prompt_text()
    assert first.feedback.splitlines()[0][:40] in retry_prompt


async def test_an_answer_that_edits_the_tests_it_is_judged_by_is_rejected(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    cheat = whole(BUGGY) + "\n" + whole("def test_add():\n    pass\n", "test_calc.py")
    lmstudio_fake.script(QWEN3, cheat, whole(FIXED))
    cfg = config_for(lmstudio_url=lmstudio_fake.url)
    log = make_log(tmp_path, cfg)
    # no --files: the engine shows the model the whole workspace, tests included
    result = await run(cfg, log, request(workspace, files=()))
    assert result.outcome == Outcome.PASSED
    first = log.attempts(result.task_id)[0]
    assert first.error_kind == "edited_tests" and "test_calc.py" in (first.feedback or "")
    assert "def test_add_negative" in (workspace / "test_calc.py").read_text()
    assert (workspace / "calc.py").read_text() == FIXED


async def test_each_paid_model_is_approved_on_its_own_at_its_own_worst_case(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    """One 'yes' approves one paid model: the next, dearer one is asked for again with its
    own worst case, and a 'no' there stops paid escalation (nothing more is called)."""
    from escalator.engine import ApprovalRequest

    lmstudio_fake.script(QWEN3, whole(BROKEN), whole(BROKEN), whole(BROKEN))
    anthropic_fake.script(HAIKU, whole(WRONG), whole(WRONG), whole(WRONG))
    cfg = config_for(lmstudio_url=lmstudio_fake.url, anthropic_url=anthropic_fake.url)
    asked: list[ApprovalRequest] = []

    def approver(req: ApprovalRequest) -> bool:
        asked.append(req)
        return req.model == "haiku"  # yes to haiku, no to the dearer sonnet

    result = await run(
        cfg,
        make_log(tmp_path, cfg),
        request(workspace),
        chain=("qwen3-30b", "haiku", "sonnet"),
        approver=approver,
    )
    assert [r.model for r in asked] == ["haiku", "sonnet"]
    haiku, sonnet = asked
    assert haiku.paid_models == ("haiku",) and sonnet.paid_models == ("sonnet",)
    assert sonnet.worst_case_usd > haiku.worst_case_usd  # each at its own price
    assert "qwen3-30b" in haiku.reason and "haiku" in sonnet.reason
    assert result.outcome is not Outcome.PASSED
    assert "sonnet" not in result.models_tried
    assert anthropic_fake.requests_for(HAIKU)
    assert anthropic_fake.requests_for("claude-sonnet-5-5") == []  # never called
