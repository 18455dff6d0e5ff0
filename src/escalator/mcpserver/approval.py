"""Paid spending needs a person: an MCP agent may not approve a parked paid step by itself.

A task parked ``awaiting_approval`` is continued by a person (``escalator resume ID``,
``escalator review``). ``[mcp] agents_may_approve = true`` lets agents approve it too;
the per-task and per-type daily budgets still stop the spending.
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from escalator.config import Config
from escalator.store.db import TaskLog
from escalator.store.records import EventKind, EventRecord
from escalator.task import Outcome

__all__ = ["check_agent_may_approve", "refusal_message"]


def refusal_message(task_id: str) -> str:
    """What an agent is told when it tries to approve paid spending by itself."""
    return (
        f"approving paid models needs a person: task {task_id} stays awaiting_approval. "
        f"A person approves it with `escalator resume {task_id}` (or reviews it with "
        "`escalator review`); to let agents approve, set [mcp] agents_may_approve = true "
        "in escalator.toml (the budgets still apply)"
    )


def check_agent_may_approve(config: Config, store: TaskLog, task_id: str) -> None:
    """Raise a ``ToolError`` (and record the refusal) unless agents may approve."""
    if config.mcp.agents_may_approve:
        return
    record = store.get_task(task_id)
    if record.outcome != Outcome.AWAITING_APPROVAL.value:
        return  # resume_task says why it cannot continue
    store.add_event(
        EventRecord(
            task_id=record.task_id,
            kind=EventKind.DENIED,
            detail={"via": "mcp", "reason": "agents may not approve paid models"},
        )
    )
    raise ToolError(refusal_message(record.task_id))
