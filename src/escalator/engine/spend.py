"""Spending: the worst case of one call, the task's running totals, and the metered model.

Every model call of a task goes through a ``Ledger``: its worst case is checked against
the budgets before the call, and what it really cost is recorded after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from escalator.guard import Budgets
from escalator.pricing import worst_case_usd
from escalator.providers.base import ChatModel, ChatRequest, ChatResponse, TokenCallback
from escalator.work.prompts import estimate_prompt_tokens

__all__ = [
    "Ledger",
    "Meter",
    "MeteredModel",
    "Spent",
]


@dataclass
class Spent:
    """What a task's model calls have cost so far."""

    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0

    def add(self, response: ChatResponse) -> None:
        self.cost_usd += response.cost_usd
        self.tokens_in += response.usage.tokens_in
        self.tokens_out += response.usage.tokens_out


class Meter(Protocol):
    """What a metered model needs: a check before each call and a record after it."""

    def check(self, worst_case_usd: float) -> None: ...

    def record(self, response: ChatResponse) -> None: ...


class Ledger:
    """One task's spending, checked against its budgets (``BudgetExceeded`` stops it)."""

    def __init__(self, budgets: Budgets, spent: Spent, spent_today: Callable[[], float]) -> None:
        self.budgets = budgets
        self.spent = spent
        self._spent_today = spent_today

    def check(self, worst_case_usd: float) -> None:
        self.budgets.check(
            worst_case_usd=worst_case_usd,
            spent_task_usd=self.spent.cost_usd,
            spent_today_usd=self._spent_today(),
        )

    def record(self, response: ChatResponse) -> None:
        self.spent.add(response)


class MeteredModel:
    """Wraps a model (the checker) so its calls count against the task's budgets and spend."""

    def __init__(self, inner: ChatModel, meter: Meter) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.meter = meter

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse:
        self.meter.check(
            worst_case_usd(self.spec, estimate_prompt_tokens(request), request.max_tokens)
        )
        response = await self.inner.chat(request, on_token)
        self.meter.record(response)
        return response
