"""The semantic validator with an in-test fake ChatModel and through real HTTP fakes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from escalator.errors import RateLimited
from escalator.providers import open_fleet
from escalator.providers.base import ChatRequest, ChatResponse, TokenCallback, Usage
from escalator.registry import ModelSpec, ModelTier
from escalator.validate.semantic import check_semantic, parse_checker_answer
from escalator.validate.verdict import Status
from tests.fakes import AnthropicFake, LMStudioFake, Reply, config_for

DIFF = (
    "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
    " def add(a, b):\n-    return a - b\n+    return a + b\n"
)


@dataclass
class ScriptedChecker:
    """A ChatModel that answers from a script (an exception in the script is raised)."""

    answers: Sequence[str | Exception]
    capabilities: frozenset[str] = frozenset({"json_schema"})
    requests: list[ChatRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.spec = ModelSpec(
            "checker", "fake", "fake-checker", ModelTier.LOCAL_FAST, capabilities=self.capabilities
        )

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return ChatResponse("checker", "fake-checker", answer, "stop", Usage(10, 5), 1.0, 0.001)


async def _check(checker: ScriptedChecker, min_confidence: float = 0.8) -> object:
    return await check_semantic(
        checker, "Fix add() so it adds", DIFF, min_confidence=min_confidence
    )


@pytest.mark.anyio
async def test_confident_pass_passes_and_asks_with_schema() -> None:
    checker = ScriptedChecker(['{"pass": true, "confidence": 0.93, "issues": []}'])
    verdict = await check_semantic(checker, "Fix add() so it adds", DIFF)
    assert verdict.status is Status.PASSED
    assert verdict.confidence == pytest.approx(0.93)
    request = checker.requests[0]
    assert request.json_schema is not None and "pass" in request.json_schema["properties"]
    assert "Fix add() so it adds" in request.prompt_text()
    assert "+    return a + b" in request.prompt_text()
    assert verdict.details["cost_usd"] == pytest.approx(0.001)


@pytest.mark.anyio
async def test_no_schema_without_the_capability() -> None:
    checker = ScriptedChecker(['{"pass": true, "confidence": 1, "issues": []}'], frozenset())
    verdict = await check_semantic(checker, "t", DIFF)
    assert verdict.passed
    assert checker.requests[0].json_schema is None


@pytest.mark.anyio
async def test_rejection_fails_with_the_issues_as_feedback() -> None:
    answer = {"pass": False, "confidence": 0.9, "issues": ["calc.py:2 overflow not handled"]}
    verdict = await check_semantic(ScriptedChecker([json.dumps(answer)]), "t", DIFF)
    assert verdict.status is Status.FAILED
    assert "calc.py:2 overflow not handled" in verdict.feedback
    assert verdict.findings[0].message == "calc.py:2 overflow not handled"


@pytest.mark.anyio
async def test_pass_below_min_confidence_is_not_a_pass() -> None:
    checker = ScriptedChecker(['{"pass": true, "confidence": 0.6, "issues": ["unsure"]}'])
    verdict = await check_semantic(checker, "t", DIFF, min_confidence=0.8)
    assert verdict.status is Status.FAILED
    assert "not confident enough" in verdict.feedback


@pytest.mark.anyio
async def test_fences_think_and_chatter_are_tolerated() -> None:
    text = (
        "<think>hmm {not json}</think>Sure! Here is my review:\n```json\n"
        '{"pass": true, "confidence": 0.85, "issues": []}\n```\nHope that helps.'
    )
    verdict = await check_semantic(ScriptedChecker([text]), "t", DIFF)
    assert verdict.status is Status.PASSED


@pytest.mark.anyio
async def test_one_retry_after_a_bad_answer() -> None:
    checker = ScriptedChecker(
        ["I think it is fine!", '{"pass": true, "confidence": 0.9, "issues": []}']
    )
    verdict = await check_semantic(checker, "t", DIFF)
    assert verdict.status is Status.PASSED
    assert len(checker.requests) == 2
    assert "could not be used" in checker.requests[1].messages[-1].content


@pytest.mark.parametrize(
    "gibberish",
    [
        "lorem ipsum dolor sit amet",
        '{"verdict": "looks good"}',
        '{"pass": "yes", "confidence": 0.99}',
        '{"pass": true, "confidence": "high"}',
        '{"pass": true, "confidence": 7000}',
        '{"pass": true',
        "",
    ],
)
@pytest.mark.anyio
async def test_gibberish_is_never_a_pass(gibberish: str) -> None:
    checker = ScriptedChecker([gibberish])
    verdict = await check_semantic(checker, "t", DIFF)
    assert verdict.status is Status.ERROR
    assert len(checker.requests) == 2, "one retry, then give up"
    assert "never gave a usable answer" in verdict.reason


@pytest.mark.anyio
async def test_provider_error_is_error() -> None:
    verdict = await check_semantic(ScriptedChecker([RateLimited("slow down")]), "t", DIFF)
    assert verdict.status is Status.ERROR
    assert "rate_limited" in verdict.reason


@pytest.mark.anyio
async def test_no_checker_or_no_diff_is_skipped() -> None:
    assert (await check_semantic(None, "t", DIFF)).status is Status.SKIPPED
    checker = ScriptedChecker(['{"pass": true, "confidence": 1, "issues": []}'])
    assert (await check_semantic(checker, "t", "  ")).status is Status.SKIPPED
    assert checker.requests == []


def test_parse_checker_answer_variants() -> None:
    assert (
        parse_checker_answer('{"pass": "false", "confidence": 80, "issues": "x"}').passed is False
    )
    answer = parse_checker_answer(
        '{"passed": true, "confidence": 0.9, '
        '"issues": [{"file": "a.py", "line": 3, "message": "m"}]}'
    )
    assert answer.issues == ("a.py:3: m",)
    with pytest.raises(ValueError):
        parse_checker_answer("[1, 2, 3]")


@pytest.mark.anyio
async def test_through_lmstudio_http_fake() -> None:
    with LMStudioFake() as lms:
        lms.script(
            "qwen/qwen3-30b-a3b",
            "<think>checking</think>not json at all",
            Reply('{"pass": false, "confidence": 0.95, "issues": ["subtracts instead of adds"]}'),
        )
        async with open_fleet(config_for(lmstudio_url=lms.url)) as fleet:
            verdict = await check_semantic(fleet.model("qwen3-30b"), "Fix add()", DIFF)
        requests = lms.requests_for("qwen/qwen3-30b-a3b")
    assert verdict.status is Status.FAILED
    assert "subtracts instead of adds" in verdict.feedback
    assert len(requests) == 2
    assert requests[0].body.get("response_format", {}).get("type") == "json_schema"


@pytest.mark.anyio
async def test_through_anthropic_http_fake_error_and_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-dummy")
    with AnthropicFake() as claude:
        claude.script(
            "claude-haiku-5-5",
            Reply('Looks right.\n{"pass": true, "confidence": 0.9, "issues": []}'),
            Reply.error(
                401,
                {
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                },
            ),
        )
        async with open_fleet(config_for(anthropic_url=claude.url)) as fleet:
            ok = await check_semantic(fleet.model("haiku"), "Fix add()", DIFF)
            failed = await check_semantic(fleet.model("haiku"), "Fix add()", DIFF)
    assert ok.status is Status.PASSED
    assert failed.status is Status.ERROR
    assert "authentication" in failed.reason
