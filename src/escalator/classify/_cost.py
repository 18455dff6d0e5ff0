"""The cost of a wrong type: when unsure, pick the type whose mistake is cheaper to undo.

Types are ordered by how much checking and money their chain spends (quick_edit <
standard_development < complex_architecture < critical). Calling a task *dearer* than it
is wastes money on a stronger chain and more validators; calling it *cheaper* than it is
may accept work that nobody checked hard enough (a complex change without the semantic
check, a security fix without the strongest models). ``classify.under_cost`` is how many
times worse the second mistake is. The chosen type minimises the expected cost under the
classifier's probabilities: with ``under_cost = 1`` that is the most probable type; with
``under_cost = 2`` a task that is standard at 0.55 and complex at 0.40 is complex, since
0.55 * 1 < 0.40 * 2. Confident answers are never changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from escalator.task import TaskType

__all__ = ["cheapest_mistake", "expected_cost"]

ORDER: tuple[TaskType, ...] = tuple(TaskType)  # cheapest chain first


def expected_cost(proba: Mapping[TaskType, float], choice: TaskType, under_cost: float) -> float:
    """The expected cost of answering ``choice``: over-calling costs 1, under-calling
    costs ``under_cost``, per unit of probability."""
    rank = ORDER.index(choice)
    return sum(
        p * (1.0 if ORDER.index(t) < rank else under_cost)
        for t, p in proba.items()
        if t is not choice
    )


def cheapest_mistake(
    proba: Mapping[TaskType, float], under_cost: float
) -> tuple[TaskType, str | None]:
    """The type with the least expected cost, and a note when that is not the most
    probable one (ties go to the more probable type)."""
    likeliest = max(proba, key=lambda t: proba[t])
    best = min(ORDER, key=lambda t: (expected_cost(proba, t, under_cost), -proba[t]))
    if best is likeliest:
        return best, None
    note = (
        f"unsure between {likeliest.value} ({proba[likeliest]:.2f}) and {best.value} "
        f"({proba[best]:.2f}): chose {best.value}, the cheaper mistake "
        f"(classify.under_cost = {under_cost:g})"
    )
    return best, note
