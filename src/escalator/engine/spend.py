"""Spending: the worst case of one call, the task's running totals, and the metered model.

Every model call of a task goes through a ``Ledger``: before the call its worst case is
checked against the budgets and reserved in the task log's ledger, after it what it
really cost is written there, and only then counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalator.engine.offload import offload
from escalator.guard import Budgets
from escalator.pricing import worst_case_usd
from escalator.providers.base import ChatModel, ChatRequest, ChatResponse, TokenCallback
from escalator.registry import ModelSpec
from escalator.store import CallRecord, TaskLog
from escalator.work.prompts import estimate_prompt_tokens

__all__ = [
    "Ledger",
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


class Ledger:
    """One task's model calls in the task log's ledger of spend (``store/ledger.py``).

    ``reserve`` checks a call's worst case against the budgets *as the ledger has them*
    (every call of every process, checkers and repeated answers included) and reserves
    it, atomically; ``settle`` writes what the call really cost, and only then is it
    counted in ``spent`` (what progress and the result show); ``release`` settles a call
    that got no answer. ``BudgetExceeded`` from ``reserve`` stops the task.
    """

    def __init__(self, budgets: Budgets, spent: Spent, log: TaskLog, task_id: str) -> None:
        self.budgets = budgets
        self.spent = spent
        self.log = log
        self.task_id = task_id

    def reserve(self, spec: ModelSpec, role: str, worst_case: float) -> int:
        def check(spent_task: float, spent_today: float) -> None:
            self.budgets.check(
                worst_case_usd=worst_case, spent_task_usd=spent_task, spent_today_usd=spent_today
            )

        call = CallRecord(
            task_id=self.task_id,
            role=role,
            model=spec.key,
            provider=spec.provider,
            reserved_usd=worst_case,
        )
        return self.log.reserve_call(call, check)

    def settle(self, call_id: int, response: ChatResponse, attempt_n: int | None = None) -> None:
        self.log.settle_call(
            call_id,
            CallRecord(
                task_id=self.task_id,
                role="",
                model=response.model,
                attempt_n=attempt_n,
                state="done",
                tokens_in=response.usage.tokens_in,
                tokens_out=response.usage.tokens_out,
                tokens_estimated=response.usage.estimated,
                cost_usd=response.cost_usd,
                latency_ms=response.latency_ms,
                finish_reason=response.finish_reason,
            ),
        )
        self.spent.add(response)  # counted only once the ledger holds it

    def release(self, call_id: int) -> None:
        """The call got no answer (an error, a cancellation): nothing was billed."""
        self.log.settle_call(call_id, CallRecord(self.task_id, "", "", state="failed"))


class MeteredModel:
    """Wraps a model (the checker) so each of its calls is a ledger row of the task."""

    def __init__(self, inner: ChatModel, ledger: Ledger, role: str = "checker") -> None:
        self.inner = inner
        self.spec = inner.spec
        self.ledger = ledger
        self.role = role

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse:
        worst = worst_case_usd(self.spec, estimate_prompt_tokens(request), request.max_tokens)
        call_id = await offload(self.ledger.reserve, self.spec, self.role, worst)
        try:
            response = await self.inner.chat(request, on_token)
        except BaseException:
            self.ledger.release(call_id)
            raise
        await offload(self.ledger.settle, call_id, response)
        return response
