"""One running task: its resources, its live state, and how it reports progress."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from escalator.config import Config
from escalator.engine.contracts import ProgressEvent, ProgressKind, RunOptions
from escalator.engine.spend import Ledger
from escalator.engine.state import TaskState
from escalator.guard import Budgets
from escalator.learn import Choice, Policy, StaticPolicy
from escalator.plan import Plan
from escalator.providers import Fleet
from escalator.providers.base import ChatResponse
from escalator.store import EventKind, EventRecord, TaskLog
from escalator.task import TaskRequest
from escalator.validate.agreement import AgreementReport

__all__ = ["PaidApproval", "TaskRun"]


@dataclass
class PaidApproval:
    """Which paid models this run may call: all of them (``--yes``, or the config's
    policy approves them all), the ones approved one by one (each asked at its own worst
    case), or none after a refusal."""

    approved: bool = False  # every paid model
    denied: bool = False
    models: set[str] = field(default_factory=set)  # approved one by one

    def covers(self, key: str) -> bool:
        return self.approved or key in self.models


@dataclass
class TaskRun:
    """What every step of one task shares: who it is, where it records, what it spent."""

    task_id: str
    config: Config
    options: RunOptions
    fleet: Fleet
    log: TaskLog
    state: TaskState
    paid: PaidApproval = field(default_factory=PaidApproval)
    started: float = field(default_factory=time.monotonic)
    # every answer paid for in this run, kept for a recovery file should the log fail
    answers: list[ChatResponse] = field(default_factory=list)
    policy: Policy = field(default_factory=StaticPolicy)
    choice: Choice | None = None  # the policy's choice for the current model's turn
    agreement_report: AgreementReport | None = None  # the latest cross-check of the pool

    def __post_init__(self) -> None:
        self.elapsed_before = self.state.latency_ms
        budgets = Budgets.for_task(
            self.config.budgets, self.plan.task_type, self.request.budget_usd
        )
        self.ledger = Ledger(budgets, self.state.spent, self.log, self.task_id)

    @property
    def request(self) -> TaskRequest:
        return self.state.request

    @property
    def plan(self) -> Plan:
        return self.state.plan

    def elapsed_ms(self) -> float:
        return self.elapsed_before + (time.monotonic() - self.started) * 1000

    def saved_state(self, next_index: int) -> dict[str, Any]:
        """The state to record: resume continues at ``next_index`` of the chain."""
        self.state.next_index = next_index
        self.state.latency_ms = self.elapsed_ms()
        return self.state.to_json()

    def event(self, kind: EventKind, **fields: Any) -> None:
        """Record an event of this task in the task log."""
        self.log.add_event(EventRecord(task_id=self.task_id, kind=kind, **fields))

    def emit(
        self,
        kind: ProgressKind,
        message: str,
        *,
        model: str | None = None,
        attempt: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Tell the caller's progress callback, if any."""
        if self.options.on_progress is None:
            return
        spent = self.state.spent
        self.options.on_progress(
            ProgressEvent(
                kind=kind,
                task_id=self.task_id,
                message=message,
                model=model,
                attempt=attempt,
                cost_usd=spent.cost_usd,
                tokens_in=spent.tokens_in,
                tokens_out=spent.tokens_out,
                detail=detail or {},
                step=self.state.attempts,
                total=len(self.plan.chain) * self.plan.attempts_per_model,
                elapsed_s=self.elapsed_ms() / 1000,
                chain=tuple(self.plan.chain),
            )
        )
