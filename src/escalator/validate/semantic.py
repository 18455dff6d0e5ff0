"""Semantic validator: an LLM checker reviews the task description and the diff.

The checker answers ``{"pass": bool, "confidence": 0-1, "issues": [...]}``; structured
output is requested where the model's spec has the ``json_schema`` capability. Parsing is
tolerant (``<think>`` blocks, code fences, chatter around the first JSON object); a bad
answer gets one retry with a reminder, then the verdict is ``error``. Provider errors are
``error`` too: "could not check" is never "passed". It passes when ``pass`` is true and
``confidence >= ValidationConfig.semantic_min_confidence``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from escalator.errors import ProviderError
from escalator.providers.base import ChatModel, ChatRequest, ChatResponse, Message
from escalator.validate.feedback import cap
from escalator.validate.verdict import Finding, Status, Verdict

__all__ = ["CHECKER_SCHEMA", "CheckerAnswer", "check_semantic", "parse_checker_answer"]

CHECKER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "pass": {"type": "boolean"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "issues": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["pass", "confidence", "issues"],
    "additionalProperties": False,
}

_SYSTEM = (
    "You are a strict code reviewer. Decide whether the change does what the task asks, "
    "correctly and completely, without breaking anything else. Reply with only a JSON "
    'object: {"pass": true|false, "confidence": <0..1>, "issues": ["..."]}. List concrete '
    "problems in issues (file, line, what is wrong); use an empty list when there are none."
)
_RETRY = (
    "Your answer could not be used ({problem}). Reply again with only the JSON object "
    '{{"pass": true|false, "confidence": <number 0..1>, "issues": [strings]}} and nothing else.'
)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_MAX_DIFF_CHARS = 40_000


@dataclass(frozen=True)
class CheckerAnswer:
    passed: bool
    confidence: float
    issues: tuple[str, ...]


def parse_checker_answer(text: str) -> CheckerAnswer:
    """The checker's verdict from free text; ValueError says what is wrong with it."""
    obj = _first_json_object(_THINK.sub("", text))
    if obj is None:
        raise ValueError("no JSON object found")
    verdict = obj.get("pass", obj.get("passed"))
    if isinstance(verdict, str) and verdict.strip().lower() in ("true", "false"):
        verdict = verdict.strip().lower() == "true"
    if not isinstance(verdict, bool):
        raise ValueError('"pass" must be true or false')
    confidence = obj.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ValueError('"confidence" must be a number between 0 and 1')
    if 1 < confidence <= 100:
        confidence = confidence / 100  # a percentage
    if not 0 <= confidence <= 1:
        raise ValueError('"confidence" must be between 0 and 1')
    issues = obj.get("issues", [])
    if not isinstance(issues, list):
        issues = [issues]
    return CheckerAnswer(verdict, float(confidence), tuple(_issue_text(i) for i in issues))


def _first_json_object(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def _issue_text(issue: object) -> str:
    if isinstance(issue, dict):
        where = ":".join(str(issue[k]) for k in ("file", "line") if issue.get(k) is not None)
        what = issue.get("message") or issue.get("description") or issue.get("issue") or issue
        return f"{where}: {what}" if where else str(what)
    return str(issue)


def _prompt(description: str, diff: str) -> str:
    if len(diff) > _MAX_DIFF_CHARS:
        diff = diff[:_MAX_DIFF_CHARS] + f"\n[... diff cut at {_MAX_DIFF_CHARS} characters ...]"
    task = description.strip() or "(no description given)"
    return f"Task:\n{task}\n\nChange (unified diff):\n{diff}"


async def check_semantic(
    checker: ChatModel | None,
    description: str,
    diff: str,
    *,
    min_confidence: float = 0.8,
    feedback_chars: int = 2500,
) -> Verdict:
    """Ask ``checker`` to review ``diff`` against ``description``."""
    start = time.perf_counter()
    if checker is None:
        return Verdict.skipped("semantic", "no checker model for this task")
    if not diff.strip():
        return Verdict.skipped("semantic", "no change to review (empty diff)")
    schema = CHECKER_SCHEMA if "json_schema" in checker.spec.capabilities else None
    messages: tuple[Message, ...] = (
        Message("system", _SYSTEM),
        Message("user", _prompt(description, diff)),
    )
    problem = ""
    answer: CheckerAnswer | None = None
    costs: list[ChatResponse] = []
    for _ in range(2):
        try:
            response = await checker.chat(
                ChatRequest(messages=messages, temperature=0.0, json_schema=schema)
            )
        except ProviderError as exc:
            return _timed(
                Verdict.error("semantic", f"checker {checker.spec.key} failed: {exc.kind}: {exc}"),
                start,
            )
        costs.append(response)
        try:
            answer = parse_checker_answer(response.text)
            break
        except ValueError as exc:
            problem = str(exc)
            messages = (
                *messages,
                Message("assistant", response.text[:2000]),
                Message("user", _RETRY.format(problem=problem)),
            )
    details = {
        "checker": checker.spec.key,
        "cost_usd": sum(r.cost_usd for r in costs),
        "calls": len(costs),
    }
    if answer is None:
        reason = f"checker {checker.spec.key} never gave a usable answer ({problem})"
        return _timed(Verdict.error("semantic", reason, **details), start)
    return _timed(_judge(answer, min_confidence, feedback_chars, details), start)


def _judge(
    answer: CheckerAnswer, min_confidence: float, limit: int, details: dict[str, Any]
) -> Verdict:
    findings = tuple(Finding(issue, severity="review") for issue in answer.issues)
    if answer.passed and answer.confidence >= min_confidence:
        return Verdict(
            "semantic", Status.PASSED, answer.confidence, findings=findings, details=details
        )
    if answer.passed:
        head = (
            f"The reviewer leaned towards accepting the change but was not confident enough "
            f"({answer.confidence:.2f} < {min_confidence:.2f})."
        )
    else:
        head = "A reviewer rejected the change."
    body = "\n".join(f"- {i}" for i in answer.issues) or "- (no specific issues given)"
    feedback = cap(f"{head} Issues:\n{body}\nAddress each issue.", limit)
    return Verdict(
        "semantic",
        Status.FAILED,
        answer.confidence,
        findings=findings,
        feedback=feedback,
        reason=head,
        details=details,
    )


def _timed(verdict: Verdict, start: float) -> Verdict:
    return verdict.with_duration((time.perf_counter() - start) * 1000)
