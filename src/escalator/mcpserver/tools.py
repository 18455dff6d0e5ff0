"""The MCP tools: thin, typed wrappers over the engine, classifier, validators and log.

Each tool checks its input (workspace inside the allowed roots, files inside the
workspace), calls the library, and returns a typed output model. Every failure becomes
an MCP tool error with a message that names the fix; the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from escalator.config import Config
from escalator.errors import EscalatorError, InputError, UserError
from escalator.live_config import LiveConfig
from escalator.mcpserver.approval import check_agent_may_approve
from escalator.mcpserver.outputs import (
    ClassificationOut,
    ModelsReport,
    ModelStats,
    ModelStatus,
    TaskAction,
    TaskActionOut,
    TaskResultOut,
    TaskSummary,
    TaskTypeName,
    ValidationOut,
    ValidatorName,
)
from escalator.mcpserver.progress import with_progress
from escalator.mcpserver.safety import check_files, resolve_workspace
from escalator.redact import redact
from escalator.store.db import TaskLog, open_log
from escalator.store.records import TaskRecord
from escalator.task import Outcome, TaskRequest, TaskType

if TYPE_CHECKING:
    from escalator.engine import ProgressEvent, RunOptions, TaskResult
    from escalator.validate import ValidationReport, ValidationSpec

    OnProgress = Callable[[ProgressEvent], None]

__all__ = ["Toolbox", "translate_errors"]

log = logging.getLogger(__name__)

# Input descriptions are short on purpose: tool schemas take up agents' context.
Description = Annotated[str, Field(description="The task, as for a developer.")]
Workspace = Annotated[str, Field(description="Project directory (absolute path).")]
Files = Annotated[list[str] | None, Field(description="Paths relative to workspace.")]
TestCommand = Annotated[str | None, Field(description="Test command, e.g. 'pytest -q'.")]
TypeArg = Annotated[TaskTypeName | None, Field(description="Task type; omit to classify.")]
Complexity = Annotated[int | None, Field(ge=0, le=10, description="Omit to classify.")]
Budget = Annotated[float | None, Field(ge=0, description="USD limit for this task.")]
TaskId = Annotated[str | None, Field(description="Task id or unique prefix.")]


@contextlib.contextmanager
def translate_errors(tool: str) -> Iterator[None]:
    """Turn any failure inside a tool into a ``ToolError`` with a readable message."""
    try:
        yield
    except ToolError as exc:
        raise ToolError(redact(str(exc))) from exc
    except UserError as exc:
        raise ToolError(redact(f"invalid input: {exc}")) from exc
    except EscalatorError as exc:
        raise ToolError(redact(f"{tool} failed: {exc}")) from exc
    except Exception as exc:
        log.exception("tool %s crashed", tool)
        why = f"{type(exc).__name__}: {exc}"
        raise ToolError(redact(f"{tool} failed unexpectedly ({why})")) from exc


class Toolbox:
    """The tools of one server, bound to its (live) configuration.

    ``config`` is read afresh by every tool call, so a reloaded file applies to new
    tasks while running ones keep the ``Config`` they started with.
    """

    def __init__(self, config: Config | LiveConfig) -> None:
        self.live = config if isinstance(config, LiveConfig) else LiveConfig(config)

    @property
    def config(self) -> Config:
        return self.live.current()

    # ------------------------------------------------------------------ helpers

    def _workspace_and_files(
        self, workspace: str, files: list[str] | None
    ) -> tuple[Path, tuple[str, ...]]:
        ws = resolve_workspace(workspace, self.config.mcp.workspace_roots)
        return ws, check_files(ws, files or [])

    def _open_log(self, *, create: bool = True) -> TaskLog:
        return open_log(config=self.config, create=create)

    def _options(self, on_progress: OnProgress) -> RunOptions:
        from escalator.engine import RunOptions

        # Nobody can answer a prompt over MCP: the configured cost-guard policy decides,
        # and a task that needs approval is parked as awaiting_approval.
        return RunOptions(approve_paid=None, approver=None, on_progress=on_progress)

    # ------------------------------------------------------------------ tools

    async def execute(
        self,
        description: Description,
        workspace: Workspace,
        files: Files = None,
        test_command: TestCommand = None,
        task_type: TypeArg = None,
        complexity: Complexity = None,
        budget_usd: Budget = None,
        dry_run: Annotated[bool, Field(description="Validate but do not write files.")] = False,
        ctx: Context[Any, Any] | None = None,
    ) -> TaskResultOut:
        """Do a coding task on the cheapest model whose change passes validation (local
        first, paid per policy). Returns the outcome; reports progress."""
        from escalator.engine import run_task

        with translate_errors("orchestrator_execute_with_escalation"):
            ws, checked = self._workspace_and_files(workspace, files)
            request = TaskRequest(
                description=description,
                workspace=ws,
                files=checked,
                test_command=test_command,
                task_type=TaskType.parse(task_type) if task_type else None,
                complexity=complexity,
                budget_usd=budget_usd,
                dry_run=dry_run,
            )

            async def run(on_progress: OnProgress) -> TaskResult:
                return await run_task(
                    request, config=self.config, options=self._options(on_progress)
                )

            result = await with_progress(ctx, run)
            return self._outcome(result)

    async def classify(
        self, text: Annotated[str, Field(description="The task, as a sentence or an issue.")]
    ) -> ClassificationOut:
        """Classify a task: type, complexity 0-10, confidence and reasons."""
        from escalator.classify._methods import LANGUAGE_MODEL_METHODS, classify_task
        from escalator.providers import open_fleet

        with translate_errors("orchestrator_classify_task"):
            if not text.strip():
                raise InputError("text is empty; pass the task description")
            # as `run` classifies: the configured method, the user's refit model
            config = self.config
            if config.classify.method in LANGUAGE_MODEL_METHODS:
                async with open_fleet(config) as fleet:
                    result = await classify_task(text, config=config, fleet=fleet)
            else:
                result = await classify_task(text, config=config, fleet=None)
            data = dict(result.to_json())
            return ClassificationOut.model_validate({**data, "type": data["task_type"]})

    async def validate(
        self,
        workspace: Workspace,
        files: Files = None,
        validators: Annotated[
            list[ValidatorName] | None, Field(description="Validators to run (all required).")
        ] = None,
        task_type: Annotated[
            TaskTypeName | None, Field(description="Use this type's validators instead.")
        ] = None,
        test_command: TestCommand = None,
    ) -> ValidationOut:
        """Validate a workspace as it is, in a sandbox copy: verdicts, feedback,
        confidence, passed."""
        with translate_errors("orchestrator_validate_outcome"):
            ws, checked = self._workspace_and_files(workspace, files)
            missing = [f for f in checked if not (ws / f).is_file()]
            if missing:
                raise InputError(f"file {missing[0]!r} does not exist in the workspace {ws}")
            spec = self._validation_spec(checked, validators, task_type, test_command)
            report = await _validate_in_sandbox(ws, spec)
            return ValidationOut.model_validate(report.to_json())

    def _validation_spec(
        self,
        files: tuple[str, ...],
        validators: Sequence[str] | None,
        task_type: str | None,
        test_command: str | None,
    ) -> ValidationSpec:
        from escalator.validate import ValidationSpec, order_validators

        if validators and task_type:
            raise InputError("give either validators or task_type, not both")
        if validators:
            names = required = order_validators(list(validators))
        else:
            kind = TaskType.parse(task_type) if task_type else TaskType.STANDARD_DEVELOPMENT
            names, required = order_validators(self.config.chain_for(kind).validators), ()
        return ValidationSpec(
            validators=names,
            files=files,
            test_command=test_command,
            config=self.config.validation,
            stop_at_first_failure=self.config.validation.stop_at_first_failure,
            required=required,
        )

    async def models(
        self,
        check: Annotated[bool, Field(description="Also ask each endpoint if it answers.")] = False,
    ) -> ModelsReport:
        """Configured models: tier, price, chains, record in the task log; with check,
        whether they answer."""
        with translate_errors("orchestrator_models"):
            stats = self._model_stats()
            models = [self._model_status(key, stats.get(key)) for key in self.config.models]
            if check:
                models = await self._check_models(models)
            return ModelsReport(models=models, checked=check, db_path=str(self.config.db_path))

    async def task(
        self,
        action: Annotated[TaskAction, Field(description="What to do.")],
        task_id: TaskId = None,
        limit: Annotated[int, Field(ge=1, le=200, description="For list.")] = 20,
        reason: Annotated[str | None, Field(description="For reject/skip.")] = None,
        ctx: Context[Any, Any] | None = None,
    ) -> TaskActionOut:
        """Task log and review: status or list tasks; approve, reject or skip a task
        waiting for review; resume a task parked awaiting approval."""
        with translate_errors("orchestrator_task"):
            if action == "list":
                return self._list_tasks(limit)
            if not task_id:
                raise InputError(f"action {action!r} needs task_id; use action 'list' to find it")
            if action == "status":
                return self._task_status(task_id)
            if action == "resume":
                return await self._resume(task_id, ctx)
            return await self._review(action, task_id, reason, ctx)

    def _outcome(self, result: TaskResult) -> TaskResultOut:
        """The outcome record, plus what an agent needs to act on it: the validators'
        feedback when the change did not pass, and how a person approves a parked task."""
        from escalator.mcpserver.followup import follow_up

        with self._open_log(create=False) as store:
            extra = follow_up(store, result.task_id, result.outcome.value)
        return TaskResultOut.model_validate(result.to_json() | extra)

    # ------------------------------------------------------------------ models

    def _model_stats(self) -> dict[str, ModelStats]:
        try:
            store = self._open_log(create=False)
        except InputError:
            return {}
        out: dict[str, ModelStats] = {}
        with store:
            for row in store.attempt_facts():
                cur = out.setdefault(str(row["model"]), ModelStats())
                cur.attempts += 1
                cur.passed += 1 if row["outcome"] == "passed" else 0
                cur.cost_usd += float(row["cost_usd"] or 0.0)
        for cur in out.values():
            cur.pass_rate = round(cur.passed / cur.attempts, 4) if cur.attempts else None
            cur.cost_usd = round(cur.cost_usd, 6)
        return out

    def _model_status(self, key: str, stats: ModelStats | None) -> ModelStatus:
        spec = self.config.registry.get(key)
        chains = [t.value for t, row in self.config.matrix.items() if key in row.chain]
        return ModelStatus(
            key=key,
            provider=spec.provider,
            model_id=spec.model_id,
            tier=spec.tier.label,
            local=spec.is_free,
            price_in_per_mtok=spec.price_in_per_mtok,
            price_out_per_mtok=spec.price_out_per_mtok,
            context_window=spec.context_window,
            chains=chains,
            stats=stats,
        )

    async def _check_models(self, models: list[ModelStatus]) -> list[ModelStatus]:
        from escalator.providers import open_fleet

        async with open_fleet(self.config) as fleet:
            found = await asyncio.gather(*(fleet.check(m.key) for m in models))
        out = []
        for m, status in zip(models, found, strict=True):
            extra = {
                "loaded": status.loaded,
                "context_length": status.context_length,
                "api_key_present": status.api_key_present,
            }
            update = {"reachable": status.reachable, "detail": status.error, **extra}
            out.append(m.model_copy(update=update))
        return out

    # ------------------------------------------------------------------ tasks

    def _list_tasks(self, limit: int) -> TaskActionOut:
        try:
            store = self._open_log(create=False)
        except InputError:
            return TaskActionOut(action="list", message="the task log is empty")
        with store:
            tasks = [_summary(t) for t in store.list_tasks(limit=limit)]
        return TaskActionOut(action="list", message=f"{len(tasks)} task(s)", tasks=tasks)

    def _task_status(self, task_id: str) -> TaskActionOut:
        from escalator.review import review_item

        with self._open_log(create=False) as store:
            item = review_item(store, task_id)
        record = TaskSummary.model_validate(_without(item.pop("task"), "state"))
        item["attempts"] = [_without(a, "diff") for a in item["attempts"]]
        return TaskActionOut(
            action="status",
            message=f"task {record.task_id} is {record.outcome}",
            task=record,
            detail=item,
        )

    async def _resume(self, task_id: str, ctx: Context[Any, Any] | None) -> TaskActionOut:
        from escalator.engine import resume_task

        with self._open_log(create=False) as store:
            check_agent_may_approve(self.config, store, task_id)

        async def run(on_progress: OnProgress) -> TaskResult:
            return await resume_task(
                task_id, config=self.config, options=self._options(on_progress)
            )

        result = await with_progress(ctx, run)
        outcome = self._outcome(result)
        return TaskActionOut(
            action="resume",
            message=f"task {result.task_id} is {result.outcome.value}",
            result=outcome,
        )

    async def _review(
        self, action: str, task_id: str, reason: str | None, ctx: Context[Any, Any] | None
    ) -> TaskActionOut:
        """approve/reject/skip a task in the review queue; approving a task parked
        awaiting_approval approves the paid model and resumes it."""
        from escalator import review

        with self._open_log(create=False) as store:
            record = store.get_task(task_id)
            if action == "approve" and record.outcome == Outcome.AWAITING_APPROVAL.value:
                parked = True
            else:
                parked = False
                if action == "approve":
                    decision = review.approve(store, record.task_id)
                elif action == "reject":
                    decision = review.reject(store, record.task_id, reason or "")
                else:
                    decision = review.skip(store, record.task_id, reason or "")
                task = _summary(store.get_task(record.task_id))
        if parked:
            resumed = await self._resume(record.task_id, ctx)
            return resumed.model_copy(update={"action": "approve"})
        return TaskActionOut(
            action=action,
            message=f"{decision.outcome}: {decision.message}",
            task=task,
            detail=decision.to_json(),
        )


async def _validate_in_sandbox(workspace: Path, spec: ValidationSpec) -> ValidationReport:
    """Copy the workspace (off the event loop), validate the copy, remove it."""
    from escalator.sandbox import Sandbox, SandboxLimits
    from escalator.validate import run_validation

    limits = SandboxLimits.from_config(spec.config)
    box = await asyncio.to_thread(Sandbox.create, workspace, limits)
    try:
        return await run_validation(box, spec)
    finally:
        await asyncio.to_thread(box.close)


SUMMARY_FIELDS = (
    "task_id",
    "timestamp",
    "task_type",
    "outcome",
    "complexity_score",
    "worker",
    "final_model",
    "attempts",
    "escalations",
    "cost_usd",
)


def _summary(record: TaskRecord) -> TaskSummary:
    """A task in a few fields: no patch, no resume state (``status`` has the rest)."""
    data = record.to_json()
    picked = {k: data[k] for k in SUMMARY_FIELDS}
    picked["description"] = record.description[:200]
    return TaskSummary.model_validate(picked)


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}
