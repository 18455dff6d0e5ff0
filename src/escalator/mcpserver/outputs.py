"""Typed tool outputs: what each MCP tool returns as structured content.

Each model names the fields an agent can rely on and allows extra ones, so a record
such as ``TaskResult.to_json()`` comes back whole, exactly as ``escalator run --json``
prints it, even when the engine adds a field.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from escalator.engine.contracts import RESULT_NOT_IN_JSON, TaskResult

__all__ = [
    "TASK_ACTIONS",
    "TASK_TYPE_NAMES",
    "VALIDATOR_NAMES",
    "ClassificationOut",
    "ModelStatus",
    "ModelsReport",
    "TaskActionOut",
    "TaskResultOut",
    "TaskSummary",
    "ValidationOut",
    "VerdictOut",
    "compact_schema",
]

# Kept in step with escalator.task.TaskType (a test checks it).
TaskTypeName = Literal["quick_edit", "standard_development", "complex_architecture", "critical"]
TASK_TYPE_NAMES: tuple[str, ...] = (
    "quick_edit",
    "standard_development",
    "complex_architecture",
    "critical",
)
ValidatorName = Literal["syntax", "compile", "tests", "semantic", "benchmark", "agreement"]
VALIDATOR_NAMES: tuple[str, ...] = (
    "syntax",
    "compile",
    "tests",
    "semantic",
    "benchmark",
    "agreement",
)
TaskAction = Literal["status", "list", "approve", "reject", "skip", "resume"]
TASK_ACTIONS: tuple[str, ...] = ("status", "list", "approve", "reject", "skip", "resume")


def compact_schema(schema: dict[str, Any]) -> None:
    """Drop the titles pydantic adds to a schema and its properties (they cost context)."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)


class _Open(BaseModel):
    """Known fields typed; unknown ones kept as they came."""

    model_config = ConfigDict(extra="allow", json_schema_extra=compact_schema)


def _result_model() -> type[_Open]:
    """``TaskResultOut``: derived from ``TaskResult``'s fields (enums as their values), so
    the MCP output and ``escalator run --json`` cannot drift apart."""
    hints = get_type_hints(TaskResult)
    spec: dict[str, Any] = {}
    for f in fields(TaskResult):
        if f.name in RESULT_NOT_IN_JSON:
            continue
        kind = hints[f.name]
        if isinstance(kind, type) and issubclass(kind, Enum):
            kind = str
        if f.default_factory is not MISSING:
            spec[f.name] = (kind, Field(default_factory=f.default_factory))
        else:
            spec[f.name] = (kind, ... if f.default is MISSING else f.default)
    model: type[_Open] = create_model(
        "TaskResultOut",
        __base__=_Open,
        __doc__="The outcome record of one task, as ``escalator run --json`` prints it.",
        **spec,
    )
    return model


if TYPE_CHECKING:
    TaskResultOut: TypeAlias = _Open
else:
    TaskResultOut = _result_model()


class ClassificationOut(_Open):
    """As ``escalator classify --json``; ``type`` repeats ``task_type``."""

    task_type: str
    type: str
    complexity: int
    confidence: float
    reasons: list[str] = Field(default_factory=list)


class VerdictOut(_Open):
    """One validator's verdict; ``feedback`` is written for the model that made the edit."""

    validator: str
    status: str
    confidence: float | None = None
    feedback: str | None = None


class ValidationOut(_Open):
    """All verdicts on a workspace, whether together they pass, and feedback to act on."""

    passed: bool
    status: str
    confidence: float
    feedback: str = ""
    verdicts: list[VerdictOut]


class ModelStats(_Open):
    """What the task log says about one model."""

    attempts: int = 0
    passed: int = 0
    pass_rate: float | None = None
    cost_usd: float = 0.0


class ModelStatus(_Open):
    """One configured model: where it runs, what it costs, whether it answers."""

    key: str
    provider: str
    model_id: str
    tier: str
    local: bool
    price_in_per_mtok: float
    price_out_per_mtok: float
    context_window: int
    chains: list[str] = Field(default_factory=list)
    reachable: bool | None = None
    loaded: bool | None = None
    context_length: int | None = None
    api_key_present: bool | None = None
    detail: str | None = None
    stats: ModelStats | None = None


class ModelsReport(_Open):
    """Every configured model, with log stats and (when checked) reachability."""

    models: list[ModelStatus]
    checked: bool = False
    db_path: str = ""


class TaskSummary(_Open):
    """A task as the log holds it (the seed's fields plus cost)."""

    task_id: str
    task_type: str
    description: str
    outcome: str
    timestamp: str = ""
    complexity_score: int | None = None
    worker: str | None = None
    final_model: str | None = None
    attempts: int = 0
    escalations: int = 0
    cost_usd: float = 0.0


class TaskActionOut(_Open):
    """What ``orchestrator_task`` did: the task(s) it read or the decision it recorded."""

    action: str
    message: str = ""
    task: TaskSummary | None = None
    tasks: list[TaskSummary] = Field(default_factory=list)
    result: TaskResultOut | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
