"""Escalator: cheap local models first, proven results, paid models only when needed.

The public API (the names in ``__all__``)::

    import asyncio
    from pathlib import Path
    from escalator import RunOptions, TaskRequest, load_config, run_task

    result = asyncio.run(run_task(TaskRequest("Fix paginate()", workspace=Path(".")),
                                  config=load_config(), options=RunOptions(approve_paid=False)))

The names load on first use, so ``import escalator`` (and the CLI) stays fast. The
modules below are the library's parts (``escalator.engine``, ``escalator.store``, ...);
``docs/architecture.md`` draws how they layer.
"""

import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:
    from escalator.analytics import Stats, compute_stats
    from escalator.config import Config, default_config, load_config
    from escalator.engine import (
        ApprovalRequest,
        ProgressEvent,
        ProgressKind,
        RunOptions,
        TaskResult,
        resume_task,
        run_task,
    )
    from escalator.errors import (
        BudgetExceeded,
        ConfigError,
        EscalatorError,
        InputError,
        ProviderError,
        SandboxError,
        UserError,
    )
    from escalator.store import TaskLog, open_log
    from escalator.task import Outcome, TaskRequest, TaskType

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {
    "ApprovalRequest": "escalator.engine",
    "BudgetExceeded": "escalator.errors",
    "Config": "escalator.config",
    "ConfigError": "escalator.errors",
    "EscalatorError": "escalator.errors",
    "InputError": "escalator.errors",
    "Outcome": "escalator.task",
    "ProgressEvent": "escalator.engine",
    "ProgressKind": "escalator.engine",
    "ProviderError": "escalator.errors",
    "RunOptions": "escalator.engine",
    "SandboxError": "escalator.errors",
    "Stats": "escalator.analytics",
    "TaskLog": "escalator.store",
    "TaskRequest": "escalator.task",
    "TaskResult": "escalator.engine",
    "TaskType": "escalator.task",
    "UserError": "escalator.errors",
    "compute_stats": "escalator.analytics",
    "default_config": "escalator.config",
    "load_config": "escalator.config",
    "open_log": "escalator.store",
    "resume_task": "escalator.engine",
    "run_task": "escalator.engine",
}

__all__ = [
    "ApprovalRequest",
    "BudgetExceeded",
    "Config",
    "ConfigError",
    "EscalatorError",
    "InputError",
    "Outcome",
    "ProgressEvent",
    "ProgressKind",
    "ProviderError",
    "RunOptions",
    "SandboxError",
    "Stats",
    "TaskLog",
    "TaskRequest",
    "TaskResult",
    "TaskType",
    "UserError",
    "__version__",
    "compute_stats",
    "default_config",
    "load_config",
    "open_log",
    "resume_task",
    "run_task",
]


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'escalator' has no attribute {name!r}")
    value = getattr(_import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
