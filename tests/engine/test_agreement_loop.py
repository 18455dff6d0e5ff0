"""Agreement between models as part of the loop: a lone answer that passes weak tests is
not accepted while other models' answers behave differently."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.config import Config
from escalator.engine import ApprovalRequest, RunOptions, run_task
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import whole
from tests.fakes import AnthropicFake, LMStudioFake, config_for

pytestmark = pytest.mark.anyio

STUB = 'def is_even(n):\n    """Return True when n is even."""\n    raise NotImplementedError\n'
TESTS = (
    "from parity import is_even\n\n\n"
    "def test_examples():\n    assert is_even(2)\n    assert not is_even(3)\n"
)
OVERFIT = 'def is_even(n):\n    """Return True when n is even."""\n    return n in (0, 2, 4)\n'
RIGHT = 'def is_even(n):\n    """Return True when n is even."""\n    return n % 2 == 0\n'
RIGHT_TOO = 'def is_even(n):\n    """Return True when n is even."""\n    return not n & 1\n'


@pytest.fixture
def parity(tmp_path: Path) -> Path:
    ws = tmp_path / "parity_ws"
    ws.mkdir()
    (ws / "parity.py").write_text(STUB)
    (ws / "test_parity.py").write_text(TESTS)
    return ws


def request(ws: Path) -> TaskRequest:
    return TaskRequest(
        description="Implement is_even",
        workspace=ws,
        files=("parity.py",),
        test_command="python -m pytest -q",
        task_type=TaskType.STANDARD_DEVELOPMENT,
        complexity=3,
    )


def agreement_config(
    lms: str,
    claude: str,
    db: Path,
    chain: tuple[str, ...] = ("qwen3-30b", "local-32b", "haiku"),
    *,
    confirm: bool = True,
) -> Config:
    matrix = {
        "standard_development": {
            "chain": list(chain),
            "validators": ["syntax", "tests", "agreement"],
            "attempts_per_model": 1,
            "min_agreement": 2,
            "confirm_agreement": confirm,
        }
    }
    models = {"haiku": {"edit_format": "whole"}, "sonnet": {"edit_format": "whole"}}
    return config_for(
        lmstudio_url=lms,
        anthropic_url=claude,
        db_path=db,
        extra={"matrix": matrix, "models": models},
    )


async def test_disagreeing_answers_escalate_until_two_models_agree(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script("qwen/qwen3-30b-a3b", whole(OVERFIT, "parity.py"))
    lmstudio_fake.script("qwen2.5-coder-32b-instruct", whole(RIGHT, "parity.py"))
    anthropic_fake.script("claude-haiku-5-5", whole(RIGHT_TOO, "parity.py"))
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db")
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=True), log=log
    )
    assert result.outcome == Outcome.PASSED
    assert result.final_model == "haiku"
    assert result.models_tried == ["qwen3-30b", "local-32b", "haiku"]
    assert "n & 1" in (parity / "parity.py").read_text()
    attempts = log.attempts(result.task_id)
    first_agreement = next(v for v in attempts[0].verdicts if v.validator == "agreement")
    assert first_agreement.status == "skipped"  # deferred: another local model comes next
    assert attempts[0].outcome == "skipped"
    second_agreement = next(v for v in attempts[1].verdicts if v.validator == "agreement")
    assert second_agreement.status == "failed"  # the two local answers disagree
    last_agreement = next(v for v in attempts[-1].verdicts if v.validator == "agreement")
    assert last_agreement.status == "passed"


async def test_end_of_chain_prefers_the_stronger_model_when_two_disagree(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script("qwen/qwen3-30b-a3b", whole(OVERFIT, "parity.py"))
    lmstudio_fake.script("qwen2.5-coder-32b-instruct", whole(RIGHT, "parity.py"))
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db")
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=False), log=log
    )
    assert anthropic_fake.requests == []
    assert result.outcome == Outcome.PASSED
    assert result.final_model == "local-32b"
    assert "n % 2" in (parity / "parity.py").read_text()
    assert "agreement_choice" in [e.kind for e in log.events(result.task_id)]


async def test_local_models_that_agree_win_without_a_paid_call_when_not_confirming(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    lmstudio_fake.script("qwen2.5-14b-instruct", whole(RIGHT, "parity.py"))
    lmstudio_fake.script("qwen/qwen3-30b-a3b", whole(RIGHT_TOO, "parity.py"))
    lmstudio_fake.script("qwen2.5-coder-32b-instruct", whole(OVERFIT, "parity.py"))
    chain = ("local-14b", "qwen3-30b", "local-32b", "haiku")
    cfg = agreement_config(
        lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db", chain, confirm=False
    )
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=True), log=log
    )
    assert anthropic_fake.requests == []
    assert result.outcome == Outcome.PASSED
    assert result.models_tried == ["local-14b", "qwen3-30b", "local-32b"]
    assert result.final_model == "qwen3-30b"  # the stronger model of the agreeing pair
    assert "n & 1" in (parity / "parity.py").read_text()
    choice = [e for e in log.events(result.task_id) if e.kind == "agreement_choice"]
    assert choice and choice[0].detail["stage"] == "local models"


LOCAL_CHAIN = ("local-14b", "qwen3-30b", "local-32b", "haiku", "sonnet")


def script_locals(lmstudio_fake: LMStudioFake, agreed: str, other: str) -> None:
    """local-14b and qwen3-30b agree on ``agreed``; local-32b answers ``other``."""
    lmstudio_fake.script("qwen2.5-14b-instruct", whole(agreed, "parity.py"))
    lmstudio_fake.script("qwen/qwen3-30b-a3b", whole(agreed.replace("Return", "Say"), "parity.py"))
    lmstudio_fake.script("qwen2.5-coder-32b-instruct", whole(other, "parity.py"))


async def test_a_paid_model_confirms_the_local_agreement_and_the_local_answer_is_kept(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    """Free models alone agreeing is not enough: the next (paid) model is asked, and when
    its answer behaves the same, the local answer is applied and the paid one is labelled
    ``confirmed`` (not counted towards its trust)."""
    script_locals(lmstudio_fake, RIGHT, OVERFIT)
    anthropic_fake.script("claude-haiku-5-5", whole(RIGHT_TOO, "parity.py"))
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db", LOCAL_CHAIN)
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=True), log=log
    )
    assert result.outcome == Outcome.PASSED
    assert result.models_tried == ["local-14b", "qwen3-30b", "local-32b", "haiku"]
    assert [r.model for r in anthropic_fake.requests] == ["claude-haiku-5-5"]
    assert result.final_model == "qwen3-30b"  # the confirmed local answer, not haiku's
    assert "n % 2" in (parity / "parity.py").read_text()
    labels = {a.model: a.label for a in log.attempts(result.task_id)}
    assert labels["haiku"] == "confirmed"
    assert labels["local-14b"] == labels["qwen3-30b"] == "verified"


async def test_a_disputed_local_agreement_goes_to_the_next_paid_model(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    """Two local models agree on an overfitted answer; haiku's passing answer disputes it
    (it alone does not decide); sonnet agrees with haiku, and two paid votes outweigh two
    free ones."""
    script_locals(lmstudio_fake, OVERFIT, RIGHT.replace("n % 2 == 0", "n % 2 != 1"))
    anthropic_fake.script("claude-haiku-5-5", whole(RIGHT, "parity.py"))
    anthropic_fake.script("claude-sonnet-5-5", whole(RIGHT_TOO, "parity.py"))
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db", LOCAL_CHAIN)
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=True), log=log
    )
    assert result.outcome == Outcome.PASSED
    assert result.models_tried == list(LOCAL_CHAIN)
    assert result.final_model == "sonnet"
    assert "n & 1" in (parity / "parity.py").read_text()
    haiku = next(a for a in log.attempts(result.task_id) if a.model == "haiku")
    agreement = next(v for v in haiku.verdicts if v.validator == "agreement")
    assert agreement.status == "failed" and "disputes" in (agreement.feedback or "")


async def test_asking_to_confirm_says_so_and_a_refusal_keeps_the_local_answer(
    parity: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    script_locals(lmstudio_fake, RIGHT, OVERFIT)
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db", LOCAL_CHAIN)
    log = open_log(tmp_path / "t.db", config=cfg)
    asked: list[ApprovalRequest] = []

    def approver(req: ApprovalRequest) -> bool:
        asked.append(req)
        return False

    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approver=approver), log=log
    )
    assert [r.model for r in asked] == ["haiku"]
    assert "would confirm" in asked[0].reason
    assert anthropic_fake.requests == []
    assert result.outcome == Outcome.PASSED
    assert "n % 2" in (parity / "parity.py").read_text()


@pytest.mark.parametrize("paid", [False, None])
async def test_a_local_agreement_is_accepted_when_no_paid_model_may_confirm_it(
    parity: Path,
    tmp_path: Path,
    lmstudio_fake: LMStudioFake,
    anthropic_fake: AnthropicFake,
    paid: bool | None,
) -> None:
    """Refused (--no-paid) or needing an approval nobody can give (the cost guard would
    park the task): the local agreement is accepted as it was, never parked."""
    script_locals(lmstudio_fake, RIGHT, OVERFIT)
    cfg = agreement_config(lmstudio_fake.url, anthropic_fake.url, tmp_path / "t.db", LOCAL_CHAIN)
    log = open_log(tmp_path / "t.db", config=cfg)
    result = await run_task(
        request(parity), config=cfg, options=RunOptions(approve_paid=paid), log=log
    )
    assert anthropic_fake.requests == []
    assert result.outcome == Outcome.PASSED
    assert "n % 2" in (parity / "parity.py").read_text()
