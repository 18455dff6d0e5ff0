"""``escalator run --json`` against servers that refuse, drop, fail, throttle, hang or
answer oddly: the task escalates past the broken model and ends right, and the task log,
the workspace and the requests the fakes saw say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.store import open_log
from tests.engine.conftest import BUGGY, FIXED, whole
from tests.fakes import AnthropicFake, LMStudioFake, Reply, SilentServer
from tests.faults.conftest import HAIKU, LOCAL_14B, QWEN3, CliRun, cli, fault_config, snapshot

NO_MODELS = {"error": "No models loaded. Please load a model in the developer page."}
OVERFLOW = {
    "error": "Trying to keep the first 13055 tokens when context the overflows. However, the "
    "model is loaded with context length of only 4096 tokens, which is not enough."
}


def run_fix(config_and_ws: tuple[object, Path], *extra: str) -> CliRun:
    config, ws = config_and_ws
    return cli(
        config,  # type: ignore[arg-type]
        "run",
        "Fix add() so that it returns the sum",
        "--workspace",
        str(ws),
        "--files",
        "calc.py",
        "--type",
        "quick_edit",
        "--json",
        *extra,
    )


def _attempts(db: Path, task_id: str) -> list[tuple[str, str, str | None]]:
    with open_log(db, create=False) as log:
        return [(a.model, a.outcome, a.error_kind) for a in log.attempts(task_id)]


@pytest.mark.parametrize(
    ("replies", "kind", "calls"),
    [
        pytest.param(
            [Reply.disconnect(), Reply.disconnect()], "endpoint_unreachable", 2, id="drop"
        ),
        pytest.param([Reply.error(500, {"error": "boom"})] * 2, "overloaded", 2, id="http-500"),
        pytest.param([Reply.error(503, {"error": "busy"})] * 2, "overloaded", 2, id="http-503"),
        pytest.param([Reply.error(400, NO_MODELS)], "model_not_loaded", 1, id="no-model-loaded"),
        pytest.param([Reply.error(400, OVERFLOW)], "context_overflow", 1, id="overflow-400"),
        pytest.param([Reply.empty_stream()], "context_overflow", 1, id="empty-200"),
        pytest.param([Reply.error(200, OVERFLOW)], "context_overflow", 1, id="overflow-in-200"),
    ],
)
def test_a_failing_local_model_is_passed_over(
    tmp_path: Path, workspace: Path, replies: list[Reply], kind: str, calls: int
) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, *replies)
        lms.script(QWEN3, whole(FIXED))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = run_fix((config, workspace), "--chain", "local-14b,qwen3-30b", "--no-paid")
        seen = len(lms.requests_for(LOCAL_14B))
    assert run.code == 0, run.stderr
    assert run.json["outcome"] == "passed" and run.json["final_model"] == "qwen3-30b"
    assert seen == calls  # transient errors retried once, the rest not at all
    attempts = _attempts(config.db_path, run.json["task_id"])
    assert attempts[0] == ("local-14b", "error", kind)
    assert attempts[-1][:2] == ("qwen3-30b", "passed")
    assert (workspace / "calc.py").read_text() == FIXED


def test_an_odd_200_with_an_error_string_is_a_failed_call(tmp_path: Path, workspace: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, *[Reply.error(200, {"error": "Model crashed"})] * 4)
        lms.script(QWEN3, whole(FIXED))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = run_fix((config, workspace), "--chain", "local-14b,qwen3-30b", "--no-paid")
    assert run.json["outcome"] == "passed"
    kinds = {k for m, _, k in _attempts(config.db_path, run.json["task_id"]) if m == "local-14b"}
    assert kinds == {"malformed_response"}


def test_refused_connections_escalate_to_the_cloud(
    tmp_path: Path, workspace: Path, anthropic_fake: AnthropicFake
) -> None:
    anthropic_fake.script(
        HAIKU,
        f"calc.py\n<<<<<<< SEARCH\n{BUGGY.splitlines()[2]}\n=======\n"
        "    return a + b\n>>>>>>> REPLACE\n",
    )
    config, _ = fault_config(tmp_path, anthropic_url=anthropic_fake.url)  # LM Studio is down
    run = run_fix((config, workspace), "--chain", "local-14b,haiku", "--yes")
    assert run.json["outcome"] == "passed" and run.json["final_model"] == "haiku"
    assert _attempts(config.db_path, run.json["task_id"])[0][2] == "endpoint_unreachable"
    assert len(anthropic_fake.requests_for(HAIKU)) == 1
    assert (workspace / "calc.py").read_text() == FIXED


@pytest.mark.parametrize(
    ("first", "calls", "outcome"),
    [
        pytest.param(
            Reply.error(
                429,
                {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                {"retry-after": "0"},
            ),
            2,
            "passed",
            id="429-retry-after",
        ),
        pytest.param(
            Reply.error(
                529,
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ),
            2,
            "passed",
            id="529-overloaded",
        ),
        pytest.param(
            Reply.error(
                400,
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": "enforced_spend_limit_reached: raise your limit",
                    },
                },
            ),
            1,
            "skipped",
            id="spend-limit",
        ),
    ],
)
def test_a_throttled_cloud_model(
    tmp_path: Path,
    workspace: Path,
    anthropic_fake: AnthropicFake,
    first: Reply,
    calls: int,
    outcome: str,
) -> None:
    fix = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    anthropic_fake.script(HAIKU, first, fix)
    config, _ = fault_config(tmp_path, anthropic_url=anthropic_fake.url)
    before = snapshot(workspace)
    run = run_fix((config, workspace), "--chain", "haiku", "--yes")
    assert run.json["outcome"] == outcome
    assert len(anthropic_fake.requests_for(HAIKU)) == calls  # the spend limit is never retried
    if outcome != "passed":
        assert snapshot(workspace) == before


def test_a_hung_local_server_is_passed_over_in_seconds(
    tmp_path: Path, workspace: Path, anthropic_fake: AnthropicFake
) -> None:
    fix = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    anthropic_fake.script(HAIKU, fix)
    with SilentServer() as silent:
        config, _ = fault_config(
            tmp_path, lmstudio_url=silent.url, anthropic_url=anthropic_fake.url
        )
        run = run_fix((config, workspace), "--chain", "local-14b,haiku", "--yes")
    assert run.json["outcome"] == "passed" and run.json["final_model"] == "haiku"
    kinds = [k for m, _, k in _attempts(config.db_path, run.json["task_id"]) if m == "local-14b"]
    assert kinds and set(kinds) == {"endpoint_hung"}


def test_garbage_answers_never_touch_the_workspace(tmp_path: Path, workspace: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, "I would rather not.", "```\n\x00\x01 not code\n```")
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        before = snapshot(workspace)
        run = run_fix((config, workspace), "--chain", "local-14b", "--no-paid")
        prompts = [r.prompt_text() for r in lms.requests_for(LOCAL_14B)]
    assert run.code == 1 and run.json["outcome"] == "skipped"
    assert snapshot(workspace) == before
    attempts = _attempts(config.db_path, run.json["task_id"])
    assert attempts[0][2] == "edit_parse"  # no edit at all
    assert attempts[1][1] == "failed"  # an edit, refused by the syntax check
    assert len(prompts) == 2 and prompts[0] != prompts[1]  # the retry carried feedback
