"""Realistic task-log rows, written through the TaskLog API the way the engine does."""

from __future__ import annotations

from dataclasses import dataclass

from escalator.config import Config
from escalator.pricing import cloud_only_cost
from escalator.store import AttemptRecord, EventRecord, TaskLog, TaskRecord, VerdictRecord

TOKENS_IN = 1800
TOKENS_OUT = 600


@dataclass(frozen=True)
class Step:
    model: str
    outcome: str  # passed / failed / error


def run_task(
    log: TaskLog,
    config: Config,
    task_type: str,
    description: str,
    steps: list[Step],
    final: str,
    *,
    complexity: int = 3,
) -> str:
    """Log one task: its attempts (with verdicts), escalations and final outcome."""
    chain = config.chain_for(task_type)  # type: ignore[arg-type]
    tid = log.create_task(
        TaskRecord(
            task_type=task_type,
            description=description,
            complexity_score=complexity,
            classification_confidence=0.82,
            worker=steps[0].model if steps else chain.chain[0],
            checker=chain.checkers[0] if chain.checkers else None,
            validation_method="+".join(chain.validators),
            workspace="/home/dev/project",
            files=("src/app.py", "tests/test_app.py"),
            test_command="pytest -q",
            budget_usd=1.0,
        )
    )
    previous: str | None = None
    tries: dict[str, int] = {}
    for step in steps:
        if previous is not None and step.model != previous:
            log.add_event(
                EventRecord(tid, "escalation", previous, step.model, {"reason": "failed"})
            )
        tries[step.model] = tries.get(step.model, 0) + 1
        spec = config.registry.get(step.model)
        passed = step.outcome == "passed"
        verdicts = [
            VerdictRecord("syntax", "passed", 1.0, 12.5),
            VerdictRecord(
                "tests",
                "passed" if passed else "failed",
                0.95 if passed else 0.9,
                840.0,
                [] if passed else [{"test": "test_app.py::test_total", "error": "AssertionError"}],
                None if passed else "test_total failed: assert 3 == 4",
            ),
        ]
        log.add_attempt(
            AttemptRecord(
                task_id=tid,
                model=step.model,
                provider=spec.provider,
                attempt_in_model=tries[step.model],
                outcome=step.outcome,
                tokens_in=TOKENS_IN,
                tokens_out=TOKENS_OUT,
                cost_usd=spec.cost_usd(TOKENS_IN, TOKENS_OUT),
                latency_ms=4200.0 if spec.is_free else 2100.0,
                confidence=0.95 if passed else 0.3,
                error_kind="endpoint_unreachable" if step.outcome == "error" else None,
                diff="--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n",
            ),
            verdicts if step.outcome != "error" else [],
        )
        previous = step.model
    n = len(steps)
    log.update_task(
        tid,
        outcome=final,
        final_model=previous if final == "passed" else None,
        cloud_only_cost_usd=cloud_only_cost(config, task_type, TOKENS_IN * n, TOKENS_OUT * n),
        patch="--- a/src/app.py\n+++ b/src/app.py\n" if final == "passed" else None,
    )
    return tid


P, F = "passed", "failed"


def seed(log: TaskLog, config: Config) -> dict[str, list[str]]:
    """Twenty-six tasks across all four types; returns task ids by type."""
    ids: dict[str, list[str]] = {}

    def add(task_type: str, text: str, steps: list[tuple[str, str]], final: str) -> None:
        tid = run_task(log, config, task_type, text, [Step(m, o) for m, o in steps], final)
        ids.setdefault(task_type, []).append(tid)

    # quick_edit: local-14b does almost everything; two escalate to gemini-flash.
    for i in range(8):
        add("quick_edit", f"fix typo #{i} in README", [("local-14b", P)], P)
    add("quick_edit", "rename helper", [("local-14b", F), ("local-14b", F), ("gemini-flash", P)], P)
    add(
        "quick_edit",
        "bump version",
        [("local-14b", F), ("local-14b", F), ("gemini-flash", F)],
        "skipped",
    )
    # standard_development: qwen3-30b passes most, local-32b and haiku pick up the rest.
    for i in range(6):
        add("standard_development", f"add --verbose flag #{i}", [("qwen3-30b", P)], P)
    add(
        "standard_development",
        "fix off-by-one in pager",
        [("qwen3-30b", F), ("qwen3-30b", F), ("qwen3-30b", F), ("local-32b", P)],
        P,
    )
    add(
        "standard_development",
        "add retry to client",
        [
            ("qwen3-30b", F),
            ("qwen3-30b", F),
            ("qwen3-30b", F),
            ("local-32b", F),
            ("local-32b", "error"),
            ("local-32b", F),
            ("haiku", P),
        ],
        P,
    )
    # complex_architecture: local-32b never passes; haiku does most; one goes to review.
    for i in range(5):
        add(
            "complex_architecture",
            f"split storage module #{i}",
            [("local-32b", F), ("local-32b", F), ("haiku", P)],
            P,
        )
    add(
        "complex_architecture",
        "design plugin system",
        [("local-32b", F), ("haiku", F), ("sonnet", F)],
        "needs_review",
    )
    # critical: sonnet; one waits for approval before the first paid call.
    add("critical", "fix SQL injection in search", [("sonnet", P)], P)
    add("critical", "migrate user table schema", [], "awaiting_approval")
    return ids
