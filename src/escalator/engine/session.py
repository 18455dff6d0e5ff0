"""The engine's entry points: run a new task, or resume one parked for approval.

A session checks the request, opens the fleet and the task log (unless the caller passes
them), creates or loads the task's record and state, and hands the walk to ``loop``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

from escalator.classify import Classification
from escalator.classify._methods import classify_task
from escalator.config import Config
from escalator.engine.boundary import guarded
from escalator.engine.choose import learned_trust, open_policy
from escalator.engine.context import PaidApproval, TaskRun
from escalator.engine.contracts import ProgressKind, RunOptions, TaskResult
from escalator.engine.loop import walk_chain
from escalator.engine.state import TaskState
from escalator.errors import InputError
from escalator.plan import make_plan
from escalator.providers import Fleet, open_fleet
from escalator.store import EventKind, EventRecord, LabelRecord, TaskLog, TaskRecord, open_log
from escalator.store.db import MEMORY
from escalator.task import Outcome, TaskRequest

__all__ = ["resume_task", "run_task"]


async def run_task(
    request: TaskRequest,
    *,
    config: Config,
    options: RunOptions | None = None,
    fleet: Fleet | None = None,
    log: TaskLog | None = None,
) -> TaskResult:
    """Run one task through its escalation chain until an outcome (the Python API)."""
    options = options or RunOptions()
    _check_request(request)
    task_id = uuid.uuid4().hex
    async with _resources(config, fleet, log) as (fleet_, log_):
        log_.check_writable()  # a log that cannot be written fails before any model call
        classification = await classify_task(
            request.description,
            config=config,
            fleet=fleet_,
            db_path=_file_of(log_),
            task_type=request.task_type,
            complexity=request.complexity,
        )
        plan = make_plan(
            config,
            classification.task_type,
            classification.complexity,
            chain=options.chain,
            attempts_per_model=options.attempts_per_model,
            validators=request.validators,
            arm_seed=task_id,
        )
        log_.sweep_interrupted()
        policy = open_policy(config, options, log_)
        state = TaskState(request=request, plan=learned_trust(policy, plan))
        log_.create_task(_new_record(task_id, state, classification.confidence))
        if classification.overridden:  # the user's type is a label the classifier learns from
            log_.add_label(_override_label(task_id, request, classification))
        run = TaskRun(task_id, config, options, fleet_, log_, state, policy=policy)
        run.emit(
            ProgressKind.CLASSIFIED,
            f"{plan.task_type.value} (complexity {plan.complexity}), "
            f"chain {' -> '.join(plan.chain)}",
            detail={"reasons": list(classification.reasons)},
        )
        return await guarded(run, walk_chain(run, 0))


def _file_of(log: TaskLog) -> Path | None:
    """The log's file (a user's classifier lives beside it); None in memory or on a server."""
    return None if log.path == MEMORY or "://" in log.path else Path(log.path)


def _override_label(
    task_id: str, request: TaskRequest, classification: Classification
) -> LabelRecord:
    predicted = classification.predicted
    return LabelRecord(
        text=request.description,
        task_type=classification.task_type.value,
        origin="run --type",
        predicted=predicted.value if predicted else None,
        task_id=task_id,
        project=str(request.workspace),
    )


async def resume_task(
    task_id: str,
    *,
    config: Config,
    options: RunOptions | None = None,
    fleet: Fleet | None = None,
    log: TaskLog | None = None,
) -> TaskResult:
    """Continue a task parked as ``awaiting_approval`` (resuming is the approval) or one
    left ``interrupted`` (it goes on from the model it was stopped at)."""
    async with _resources(config, fleet, log) as (fleet_, log_):
        log_.check_writable()
        log_.sweep_interrupted()
        record = log_.get_task(task_id)
        parked = record.outcome == Outcome.AWAITING_APPROVAL.value
        if not parked and record.outcome != Outcome.INTERRUPTED.value:
            raise InputError(
                f"task {record.task_id} is {record.outcome}, not awaiting_approval or "
                "interrupted; only parked or interrupted tasks can be resumed"
            )
        state = TaskState.from_json(record.state)
        if parked:
            options = replace(options or RunOptions(), approve_paid=True)
        run = TaskRun(
            record.task_id,
            config,
            options or RunOptions(),
            fleet_,
            log_,
            state,
            PaidApproval(approved=parked),
            policy=open_policy(config, options or RunOptions(), log_),
        )
        log_.update_task(
            record.task_id,
            outcome=Outcome.RUNNING.value,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        log_.add_event(
            EventRecord(
                task_id=record.task_id,
                kind=EventKind.APPROVED if parked else EventKind.RESUMED,
                to_model=state.plan.chain[min(state.next_index, len(state.plan.chain) - 1)],
                detail={"via": "resume"},
            )
        )
        return await guarded(run, walk_chain(run, state.next_index))


@asynccontextmanager
async def _resources(
    config: Config, fleet: Fleet | None, log: TaskLog | None
) -> AsyncIterator[tuple[Fleet, TaskLog]]:
    async with AsyncExitStack() as stack:
        fleet_ = fleet if fleet is not None else await stack.enter_async_context(open_fleet(config))
        log_ = log if log is not None else open_log(config=config)
        try:
            yield fleet_, log_
        finally:
            if log is None:
                log_.close()


def _check_request(request: TaskRequest) -> None:
    if not request.description.strip():
        raise InputError("the task description is empty; say what should change")
    if not request.workspace.is_dir():
        raise InputError(
            f"workspace {str(request.workspace)!r} is not a directory; pass an existing folder"
        )
    if request.budget_usd is not None and request.budget_usd < 0:
        raise InputError(f"budget {request.budget_usd} is negative; pass a limit in USD >= 0")


def _new_record(task_id: str, state: TaskState, confidence: float) -> TaskRecord:
    request, plan = state.request, state.plan
    return TaskRecord(
        task_id=task_id,
        task_type=plan.task_type.value,
        description=request.description,
        complexity_score=plan.complexity,
        classification_confidence=confidence,
        worker=plan.worker,
        checker=plan.checker,
        outcome=Outcome.RUNNING.value,
        validation_method=",".join(plan.validators),
        workspace=str(request.workspace),
        files=tuple(request.files),
        test_command=request.test_command,
        budget_usd=request.budget_usd,
        state=state.to_json(),
        arm=plan.arm,
    )
