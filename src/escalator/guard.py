"""Cost guard and budgets: hard limits checked before every call, never after.

A call is allowed only when its *worst case* (prompt plus the full output allowance at
the model's prices) fits every budget that applies: the task's own (``--budget`` or
``budgets.per_task_usd``) and the task type's daily budget (``budgets.daily_usd``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from escalator.config import BudgetConfig, CostGuardConfig
from escalator.errors import BudgetExceeded
from escalator.task import TaskType

__all__ = ["Approval", "Budgets", "decide_approval"]


class Approval(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"
    ASK = "ask"  # an interactive caller must be asked
    PARK = "park"  # nobody can answer: park the task as awaiting_approval


@dataclass(frozen=True)
class Budgets:
    """The limits that apply to one task."""

    task_type: TaskType
    per_task_usd: float | None
    daily_usd: float | None

    @classmethod
    def for_task(cls, config: BudgetConfig, task_type: TaskType, override: float | None) -> Budgets:
        per_task = override if override is not None else config.per_task_usd
        return cls(task_type, per_task, config.daily_usd.get(task_type))

    def check(
        self, *, worst_case_usd: float, spent_task_usd: float, spent_today_usd: float
    ) -> None:
        """Raise BudgetExceeded when the call could spend past a limit."""
        if (
            self.per_task_usd is not None
            and spent_task_usd + worst_case_usd > self.per_task_usd + 1e-12
        ):
            raise BudgetExceeded("per-task", self.per_task_usd, spent_task_usd + worst_case_usd)
        if self.daily_usd is not None and spent_today_usd + worst_case_usd > self.daily_usd + 1e-12:
            raise BudgetExceeded(
                f"daily {self.task_type.value}", self.daily_usd, spent_today_usd + worst_case_usd
            )


def decide_approval(
    guard: CostGuardConfig,
    *,
    approve_paid: bool | None,
    interactive: bool,
    worst_case_usd: float,
) -> Approval:
    """What to do before the first call to a paid model.

    ``--yes``/``--no-paid`` win; then an interactive caller is asked; otherwise the
    configured policy decides (``ask`` parks the task, ``allow_under_usd`` allows calls
    whose worst case is under the threshold, ``deny`` refuses).
    """
    if approve_paid is True:
        return Approval.APPROVED
    if approve_paid is False:
        return Approval.DENIED
    if interactive:
        return Approval.ASK
    if guard.policy == "deny":
        return Approval.DENIED
    if guard.policy == "allow_under_usd":
        return Approval.APPROVED if worst_case_usd <= guard.allow_under_usd else Approval.PARK
    return Approval.PARK
