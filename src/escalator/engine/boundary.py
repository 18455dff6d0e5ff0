"""The failure boundary around every task: whatever stops it, the task ends recorded.

=========================================  ==============================================
what stops the walk                         how the task ends
=========================================  ==============================================
a cancellation (Ctrl-C, SIGTERM, an MCP     ``interrupted`` with the reason and an event;
client gone)                                its state saved, so ``escalator resume``
                                            continues it or ``escalator review`` decides
the task log cannot be written              stopped at once: nothing applied, nothing more
                                            spent; the answers already paid for go to a
                                            recovery file named in the ``TaskLogError``
any other exception (a bug)                 ``failed`` with the reason and a ``crashed``
                                            event
=========================================  ==============================================
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable
from contextlib import suppress
from pathlib import Path

import platformdirs

from escalator.engine.accept import finish
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind, TaskResult
from escalator.errors import EscalatorError, TaskLogError
from escalator.store import EventKind, EventRecord
from escalator.task import Outcome

__all__ = ["guarded", "recovery_dir"]


def recovery_dir() -> Path:
    """Where answers paid for are kept when the task log fails mid-task."""
    return Path(platformdirs.user_state_dir("escalator", appauthor=False)) / "recovery"


async def guarded(run: TaskRun, walk: Awaitable[TaskResult]) -> TaskResult:
    """Await the task's walk; end the task in a recorded state whatever happens."""
    try:
        return await walk
    except TaskLogError as exc:
        raise _log_failed(run, exc) from None
    except (asyncio.CancelledError, KeyboardInterrupt):
        _interrupted(run, "stopped by a signal or a cancellation (Ctrl-C, SIGTERM, client gone)")
        raise
    except Exception as exc:
        return _crashed(run, exc)


def _interrupted(run: TaskRun, reason: str) -> None:
    """Record ``interrupted`` with the saved state (best effort: the log may be the
    problem; then the next process's sweep marks the task)."""
    message = f"{reason}; continue with 'escalator resume {run.task_id}'"
    with suppress(Exception):
        run.log.update_task(
            run.task_id,
            outcome=Outcome.INTERRUPTED.value,
            latency_ms=run.elapsed_ms(),
            state=run.saved_state(run.state.next_index),
        )
        run.log.add_event(
            EventRecord(run.task_id, EventKind.INTERRUPTED, detail={"reason": message})
        )
    with suppress(Exception):
        run.emit(ProgressKind.OUTCOME, f"interrupted: {message}")


def _crashed(run: TaskRun, exc: Exception) -> TaskResult:
    detail = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    if isinstance(exc, EscalatorError | OSError):  # the world changed under the task
        reason = f"stopped: {exc}; nothing was applied"
    else:
        reason = (
            f"stopped by an unexpected {type(exc).__name__}: {exc}; nothing was applied "
            "(this is a bug in escalator: please report it)"
        )
    try:
        run.log.add_event(EventRecord(run.task_id, EventKind.CRASHED, detail=detail))
        return finish(run, Outcome.FAILED, reason)
    except TaskLogError as log_exc:
        raise _log_failed(run, log_exc) from None


def _log_failed(run: TaskRun, exc: TaskLogError) -> TaskLogError:
    """The log cannot be written: keep what was paid for in a file, say where."""
    saved = _save_recovery(run)
    return TaskLogError(
        exc.path,
        exc.problem,
        f"{exc.fix}. Task {run.task_id[:12]} stopped: nothing was applied and nothing more "
        f"was spent; {saved}",
    )


def _save_recovery(run: TaskRun) -> str:
    data = {
        "task_id": run.task_id,
        "description": run.request.description,
        "workspace": str(run.request.workspace),
        "answers": [a.to_json() for a in run.answers],
        "best": run.state.to_json().get("best"),
    }
    text = json.dumps(data, indent=2, default=str)
    if not run.answers:
        return "no model answer had been paid for yet"
    errors = []
    for folder in (recovery_dir(), Path(tempfile.gettempdir())):
        target = folder / f"escalator-recovery-{run.task_id}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            errors.append(f"{target}: {exc.strerror or exc}")
            continue
        return f"the {len(run.answers)} answer(s) already paid for are saved in {target}"
    return "the answers already paid for could not be saved (" + "; ".join(errors) + ")"
