"""The escalation engine: classify, plan, then work, validate, decide, until an outcome.

The engine composes the pure steps (``classify``, ``plan``, ``work.prompts``,
``work.edits``, ``validate``) and owns every side effect: model calls, spending, the
sandbox, the task log and the final write to the user's workspace.

One task flows through these modules:

- ``session``: the entry points (``run_task``, ``resume_task``) and their resources;
- ``boundary``: whatever stops a task, it ends recorded (interrupted, failed, or stopped
  with a recovery file when the task log cannot be written);
- ``loop``: the walk up the chain, model by model;
- ``fit``: the worker's prompt, cut or refused to fit the model's context;
- ``approval``: asking before the first paid call;
- ``spend``: worst case of a call, each call reserved and settled in the task log's
  ledger of spend, the metered checker;
- ``attempt``: one model call, its edit parsed and validated, as a typed outcome;
- ``validation``: the change validated in a sandbox;
- ``pool``: agreement across models' passing candidates;
- ``decide``: accept, retry or escalate after an attempt (pure);
- ``accept``: apply the accepted change and record the task's end;
- ``state``: the versioned ``TaskState`` saved for resume and review;
- ``context``: what the steps of one task share; ``contracts``: the public types.
"""

from typing import TYPE_CHECKING, Any

from escalator.engine.contracts import (
    ApprovalRequest,
    ProgressEvent,
    ProgressKind,
    RunOptions,
    TaskResult,
)

if TYPE_CHECKING:
    from escalator.engine.session import resume_task, run_task

__all__ = [
    "ApprovalRequest",
    "ProgressEvent",
    "ProgressKind",
    "RunOptions",
    "TaskResult",
    "resume_task",
    "run_task",
]


def __getattr__(name: str) -> Any:
    """The entry points load the whole engine; the contracts alone stay light to import
    (the MCP server's output models are derived from ``TaskResult``)."""
    if name in ("run_task", "resume_task"):
        from escalator.engine import session

        return getattr(session, name)
    raise AttributeError(f"module 'escalator.engine' has no attribute {name!r}")
