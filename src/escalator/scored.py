"""What a bench scored in the task log: hidden tests and the strongest-alone baseline.

A bench (``escalator bench``, the demo) writes per task, after the engine decided,
whether the accepted code passed the hidden tests and what the strongest model alone
would have cost (``bench.record``). ``score_stats`` turns those rows into the figures
that ``escalator stats``, the report and the demo all show; the definitions below are
the one place that says what each figure means. Tasks no bench scored (every ``run``
task) have none of it, and their savings are measured against cloud-only instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from escalator.pricing import savings
from escalator.task import Outcome

__all__ = [
    "HIDDEN_PASS_DEFINITION",
    "HIDDEN_PASS_MEANING",
    "STRONGEST_ALONE_DEFINITION",
    "STRONGEST_ALONE_MEANING",
    "ScoredStats",
    "score_stats",
]

HIDDEN_PASS_MEANING = (
    "tests the engine never saw, run on the accepted code only after it decided (a task "
    "with no accepted code counts as not passed); they never feed learning"
)
HIDDEN_PASS_DEFINITION = f"hidden tests: {HIDDEN_PASS_MEANING}"
STRONGEST_ALONE_MEANING = (
    "{model}, what it would have cost answering every task itself (one call per task; the "
    "model with the best hidden pass rate on these tasks)"
)
STRONGEST_ALONE_DEFINITION = f"strongest model alone: {STRONGEST_ALONE_MEANING}"


@dataclass(frozen=True)
class ScoredStats:
    """The tasks a bench scored: validated and hidden pass rates on the same tasks, false
    accepts (passed validation, failed the hidden tests), and cost against the strongest
    model alone (``baseline_*``, see ``STRONGEST_ALONE_DEFINITION``)."""

    tasks: int
    passed_validation: int
    validation_pass_rate: float
    hidden_passed: int
    hidden_pass_rate: float
    false_accepts: int
    cost_usd: float
    baseline_model: str
    baseline_cost_usd: float
    baseline_hidden_passed: int
    baseline_hidden_pass_rate: float
    savings_usd: float
    savings_pct: float | None
    hidden_definition: str
    baseline_definition: str


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def score_stats(tasks: Sequence[dict[str, Any]]) -> ScoredStats | None:
    """The figures of the scored rows of ``TaskLog.task_facts``; None when none is scored."""
    rows = [t for t in tasks if t["hidden_pass"] is not None]
    if not rows:
        return None
    n = len(rows)
    validated = [t for t in rows if t["outcome"] == Outcome.PASSED.value]
    hidden = sum(1 for t in rows if t["hidden_pass"])
    cost = sum(float(t["cost_usd"]) for t in rows)
    baseline = sum(float(t["baseline_cost_usd"] or 0.0) for t in rows)
    baseline_passed = sum(1 for t in rows if t["baseline_hidden_pass"])
    models = ", ".join(sorted({str(t["baseline_model"]) for t in rows if t["baseline_model"]}))
    saved_usd, saved_pct = savings(cost, baseline)
    return ScoredStats(
        tasks=n,
        passed_validation=len(validated),
        validation_pass_rate=_rate(len(validated), n),
        hidden_passed=hidden,
        hidden_pass_rate=_rate(hidden, n),
        false_accepts=sum(1 for t in validated if not t["hidden_pass"]),
        cost_usd=round(cost, 6),
        baseline_model=models or "-",
        baseline_cost_usd=round(baseline, 6),
        baseline_hidden_passed=baseline_passed,
        baseline_hidden_pass_rate=_rate(baseline_passed, n),
        savings_usd=saved_usd,
        savings_pct=saved_pct,
        hidden_definition=HIDDEN_PASS_DEFINITION,
        baseline_definition=STRONGEST_ALONE_DEFINITION.format(model=models or "-"),
    )
