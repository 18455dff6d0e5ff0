"""The engine's typed contracts: the result's JSON, the MCP model derived from it, the
pure decision after an attempt, and the saved state's round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escalator.config import default_config
from escalator.engine import TaskResult
from escalator.engine.attempt import ProviderFailed, Rejected, Repeated, Validated
from escalator.engine.decide import Accept, Escalate, Retry, decide
from escalator.engine.state import (
    STATE_VERSION,
    Candidate,
    TaskState,
    saved_best,
    saved_change,
)
from escalator.errors import BadRequest, CircuitOpen, ProviderError, RateLimited
from escalator.mcpserver.outputs import TaskResultOut
from escalator.plan import make_plan
from escalator.task import Outcome, TaskRequest, TaskType
from escalator.validate import ValidationReport
from escalator.work.prompts import PriorAttempt

# The keys of `escalator run --json` that users and agents rely on.
RESULT_KEYS = [
    "task_id",
    "outcome",
    "task_type",
    "complexity",
    "attempts",
    "escalations",
    "final_model",
    "cost_usd",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "models_tried",
    "patch",
    "reason",
    "stopped_by",
    "applied",
    "conflicts",
    "confidence",
]


def _result() -> TaskResult:
    return TaskResult(
        "t1",
        Outcome.PASSED,
        TaskType.QUICK_EDIT,
        3,
        cost_usd=0.123456789,
        latency_ms=12.3456,
        confidence=0.987654,
        files={"a.py": "x = 1\n"},
    )


def test_result_json_keeps_its_keys_values_and_rounding() -> None:
    data = _result().to_json()
    assert list(data) == RESULT_KEYS
    assert (data["outcome"], data["task_type"]) == ("passed", "quick_edit")
    assert (data["cost_usd"], data["latency_ms"], data["confidence"]) == (0.123457, 12.3, 0.9877)


def test_mcp_output_model_is_the_result_json() -> None:
    assert list(TaskResultOut.model_fields) == RESULT_KEYS
    data = _result().to_json()
    assert TaskResultOut.model_validate(data).model_dump() == data


def _candidate(model: str = "m") -> Candidate:
    return Candidate(model, 1, {"a.py": "x"}, "diff", {"a.py": "h"}, 0.5, False, 1)


def _validated(passed: bool, consensus: bool = False) -> Validated:
    from escalator.validate import agreement

    report = ValidationReport(verdicts=[], passed=passed, confidence=0.5, feedback="tests failed")
    decision = (
        agreement.AgreementDecision(accept=False, reason="disagree", confidence=0.5, support=1)
        if consensus
        else None
    )
    return Validated("out", _candidate(), report, _candidate("strong"), decision)


def _error(cls: type[ProviderError]) -> ProviderError:
    return cls("boom", provider="p")


def test_decide_escalates_on_provider_error_types_and_retries_the_rest() -> None:
    assert decide(ProviderFailed(_error(CircuitOpen))) == Escalate()  # an EndpointUnreachable
    assert decide(ProviderFailed(_error(RateLimited))) == Escalate()
    assert decide(ProviderFailed(_error(BadRequest))) == Retry(None)


def test_decide_accepts_retries_or_escalates_after_validation() -> None:
    assert decide(_validated(True)) == Accept(_candidate("strong"))
    assert decide(_validated(False, consensus=True)) == Escalate()
    retry = decide(_validated(False))
    assert isinstance(retry, Retry) and retry.prior == PriorAttempt("m", 1, "diff", "tests failed")
    prior = PriorAttempt("m", 2, "", "no code block", "edit_parse")
    assert decide(Rejected("out", prior)) == Retry("out", prior)
    assert decide(Repeated("out")) == Escalate()


def test_task_state_round_trips_best_and_pool(tmp_path: Path) -> None:
    config = default_config()
    plan = make_plan(config, TaskType.QUICK_EDIT, 3)
    state = TaskState(TaskRequest("fix it", tmp_path, files=("a.py",)), plan, next_index=1)
    state.spent.cost_usd, state.models_tried = 0.25, ["local-14b"]
    state.best, state.pool = _candidate(), [_candidate(), _candidate("other")]
    state.accepted = _candidate("other")
    data = state.to_json()
    assert data["version"] == STATE_VERSION
    again = TaskState.from_json(data)
    assert again == state
    assert again.plan == plan


def test_a_state_saved_before_versions_still_loads(tmp_path: Path) -> None:
    plan = make_plan(default_config(), TaskType.QUICK_EDIT, 3).to_json()
    del plan["min_agreement"], plan["trusted"]
    request: dict[str, Any] = {
        "description": "d",
        "workspace": str(tmp_path),
        "files": [],
        "test_command": None,
    }
    old = {"request": {**request, "budget_usd": None}, "plan": plan, "next_index": 0}
    old["best"] = {"model": "m", "files": {"a.py": "x"}, "diff": "d", "original_hashes": {}}
    state = TaskState.from_json(old)
    assert state.pool == [] and state.best is not None and state.best.model == "m"
    assert saved_best({}) is None and saved_change({}) is None
    assert saved_change(old) == state.best  # nothing accepted: review applies the best
