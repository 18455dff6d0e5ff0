"""Many tasks from one JSONL file: in parallel where they cannot collide, resumable.

Each line of the file is one task::

    {"description": "Fix the off-by-one in paginate()", "workspace": "~/src/app",
     "files": ["app/pages.py"], "tests": "pytest -q", "type": "standard_development",
     "budget": 0.5}

Only ``description`` and ``workspace`` are required. Tasks on different workspaces run
at the same time (up to ``concurrency``); tasks on the same workspace run one after
another, in file order, since each may change what the next one sees. All of them share
one fleet, so the per-endpoint limits (and, across processes, the shared slots) hold.
Every finished line is appended to ``FILE.progress.jsonl`` as it ends; running the same
file again skips the lines already finished, so an interrupted batch resumes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from escalator.config import Config
from escalator.engine import RunOptions, run_task
from escalator.errors import EscalatorError, InputError
from escalator.providers import Fleet, open_fleet
from escalator.store import TaskLog, open_log
from escalator.task import Outcome, TaskRequest, TaskType

__all__ = ["BatchItem", "BatchLine", "finished_lines", "load_batch", "progress_path", "run_batch"]

_KEYS = {"description", "workspace", "files", "tests", "type", "complexity", "budget"}
# Outcomes after which a line is not run again; interrupted and failed-to-start lines are.
_FINISHED = {o.value for o in Outcome} - {Outcome.RUNNING.value, "interrupted"}


@dataclass(frozen=True)
class BatchItem:
    """One line of the batch file, as a task."""

    line: int
    request: TaskRequest


@dataclass(frozen=True)
class BatchLine:
    """What became of one line (also the record in the progress file)."""

    line: int
    outcome: str
    task_id: str | None = None
    cost_usd: float = 0.0
    final_model: str | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def progress_path(batch_file: Path) -> Path:
    return batch_file.with_name(batch_file.name + ".progress.jsonl")


def _fail(path: Path, line: int, problem: str) -> InputError:
    return InputError(f"{path}:{line}: {problem}")


def _item(path: Path, line: int, data: Any) -> BatchItem:
    if not isinstance(data, dict):
        raise _fail(path, line, "each line must be a JSON object with description and workspace")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(path, line, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    description, workspace = data.get("description"), data.get("workspace")
    if not isinstance(description, str) or not description.strip():
        raise _fail(path, line, "'description' must be a non-empty string")
    if not isinstance(workspace, str) or not Path(workspace).expanduser().is_dir():
        raise _fail(path, line, f"'workspace' {workspace!r} is not an existing folder")
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise _fail(path, line, "'files' must be a list of paths")
    try:
        task_type = TaskType.parse(data["type"]) if data.get("type") else None
    except ValueError as exc:
        raise _fail(path, line, str(exc)) from None
    budget = data.get("budget")
    if budget is not None and (not isinstance(budget, int | float) or budget < 0):
        raise _fail(path, line, "'budget' must be a number of USD >= 0")
    request = TaskRequest(
        description=description,
        workspace=Path(workspace).expanduser().resolve(),
        files=tuple(files),
        test_command=data.get("tests"),
        task_type=task_type,
        complexity=data.get("complexity"),
        budget_usd=float(budget) if budget is not None else None,
    )
    return BatchItem(line, request)


def load_batch(path: Path) -> list[BatchItem]:
    """Every task of the file; ``InputError`` naming the first bad line and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the batch file {path}: {exc}") from None
    items = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _fail(path, n, f"not JSON ({exc.msg})") from None
        items.append(_item(path, n, data))
    if not items:
        raise InputError(f"the batch file {path} has no tasks (one JSON object per line)")
    return items


def finished_lines(progress: Path) -> dict[int, BatchLine]:
    """Lines a previous run of the same file finished (the last record of each wins)."""
    done: dict[int, BatchLine] = {}
    if not progress.exists():
        return done
    for raw in progress.read_text(encoding="utf-8").splitlines():
        try:
            record = BatchLine(**json.loads(raw))
        except (ValueError, TypeError):
            continue  # a line cut short by a crash
        if record.outcome in _FINISHED:
            done[record.line] = record
        else:
            done.pop(record.line, None)
    return done


async def run_batch(
    items: list[BatchItem],
    *,
    config: Config,
    options: RunOptions,
    concurrency: int,
    progress_file: Path,
    on_done: Callable[[BatchLine], None] | None = None,
) -> list[BatchLine]:
    """Run the items not finished before; returns this run's lines in file order."""
    limit = asyncio.Semaphore(concurrency)
    by_workspace: dict[Path, asyncio.Lock] = {}
    results: list[BatchLine] = []
    async with open_fleet(config) as fleet:
        log = open_log(config=config)
        try:

            async def one(item: BatchItem) -> None:
                lock = by_workspace.setdefault(item.request.workspace, asyncio.Lock())
                async with lock, limit:
                    line = await _run_one(item, config, options, fleet, log)
                with progress_file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(line.to_json()) + "\n")
                results.append(line)
                if on_done is not None:
                    on_done(line)

            await asyncio.gather(*(one(item) for item in items))
        finally:
            log.close()
    return sorted(results, key=lambda r: r.line)


async def _run_one(
    item: BatchItem, config: Config, options: RunOptions, fleet: Fleet, log: TaskLog
) -> BatchLine:
    try:
        result = await run_task(item.request, config=config, options=options, fleet=fleet, log=log)
    except EscalatorError as exc:
        return BatchLine(item.line, Outcome.FAILED.value, reason=str(exc))
    return BatchLine(
        item.line,
        result.outcome.value,
        task_id=result.task_id,
        cost_usd=result.cost_usd,
        final_model=result.final_model,
        reason=result.reason,
    )
