"""The escalation engine: classify, plan, then work, validate, decide, until an outcome.

The engine composes the pure steps (``classify``, ``plan``, ``work.prompts``,
``work.edits``, ``validate``) and owns every side effect: model calls, spending, the
sandbox, the task log and the final write to the user's workspace.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from escalator.analytics import cloud_only_cost
from escalator.apply import apply_changes
from escalator.classify import classify
from escalator.config import Config
from escalator.errors import BudgetExceeded, InputError, ProviderError
from escalator.guard import Approval, Budgets, decide_approval
from escalator.plan import Plan, make_plan, prompt_fits
from escalator.providers import Fleet, open_fleet
from escalator.providers.base import ChatModel, ChatRequest, ChatResponse, TokenCallback
from escalator.registry import ModelSpec
from escalator.sandbox import Sandbox, SandboxLimits
from escalator.store import AttemptRecord, EventRecord, TaskLog, TaskRecord, VerdictRecord, open_log
from escalator.task import Outcome, TaskRequest, TaskType
from escalator.validate import ValidationReport, ValidationSpec, Verdict, agreement, run_validation
from escalator.validate.verdict import Status
from escalator.work.edits import EditParseError, normalise_output, parse_edits
from escalator.work.prompts import PriorAttempt, build_worker_request, estimate_prompt_tokens

__all__ = [
    "ApprovalRequest",
    "ProgressEvent",
    "RunOptions",
    "TaskResult",
    "resume_task",
    "run_task",
]


@dataclass(frozen=True)
class ApprovalRequest:
    """Asked before the first call to a paid model."""

    task_id: str
    model: str
    worst_case_usd: float
    spent_usd: float
    reason: str


@dataclass(frozen=True)
class ProgressEvent:
    """Something the user may want to see while a task runs."""

    kind: str  # classified, attempt_start, attempt_done, verdict, escalate, approval, outcome
    task_id: str
    message: str
    model: str | None = None
    attempt: int | None = None
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """How one run behaves beyond the task itself.

    ``approve_paid``: True (``--yes``) approves paid models, False (``--no-paid``)
    refuses them, None asks ``approver`` or, when nobody can answer, follows the
    configured cost-guard policy.
    """

    approve_paid: bool | None = None
    approver: Callable[[ApprovalRequest], bool] | None = None
    on_progress: Callable[[ProgressEvent], None] | None = None
    chain: tuple[str, ...] | None = None
    attempts_per_model: int | None = None
    apply: bool = True
    agreement: int | None = None


@dataclass
class TaskResult:
    """The outcome record (``escalator run --json``)."""

    task_id: str
    outcome: Outcome
    task_type: TaskType
    complexity: int
    attempts: int = 0
    escalations: int = 0
    final_model: str | None = None
    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    models_tried: list[str] = field(default_factory=list)
    patch: str | None = None
    reason: str = ""
    stopped_by: str | None = None
    applied: bool = False
    conflicts: list[str] = field(default_factory=list)
    files: dict[str, str | None] = field(default_factory=dict)
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "outcome": self.outcome.value,
            "task_type": self.task_type.value,
            "complexity": self.complexity,
            "attempts": self.attempts,
            "escalations": self.escalations,
            "final_model": self.final_model,
            "cost_usd": round(self.cost_usd, 6),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency_ms": round(self.latency_ms, 1),
            "models_tried": list(self.models_tried),
            "patch": self.patch,
            "reason": self.reason,
            "stopped_by": self.stopped_by,
            "applied": self.applied,
            "conflicts": list(self.conflicts),
            "confidence": round(self.confidence, 4),
        }


# ----------------------------------------------------------------------------- the loop

# Provider errors after which the same model is not tried again for this task.
_ESCALATE_AT_ONCE = (
    "context_overflow",
    "model_not_found",
    "model_not_loaded",
    "endpoint_unreachable",
    "circuit_open",
    "authentication_failed",
    "spend_limit_reached",
    "provider_timeout",
    "rate_limited",
    "overloaded",
)


# Servers count prompt tokens with their own tokenizer; our cl100k estimate can be lower.
# Budgets are checked against the estimate times this margin, so no call can spend past a
# limit unless a server reports more than 1.3x our count plus 64 tokens.
PROMPT_MARGIN = 1.3
PROMPT_SLACK = 64


def worst_case_usd(
    spec: ModelSpec, prompt_tokens: int, max_output_tokens: int | None = None
) -> float:
    """The most one call can cost, with the tokenizer margin on the prompt."""
    padded = int(prompt_tokens * PROMPT_MARGIN) + PROMPT_SLACK
    return spec.worst_case_cost_usd(padded, max_output_tokens)


@dataclass
class _Candidate:
    """A model's edit that was applied in a sandbox and validated."""

    model: str
    attempt: int
    files: dict[str, str | None]
    diff: str
    original_hashes: dict[str, str]
    confidence: float
    passed: bool
    validators_passed: int


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
    classification = classify(
        request.description, task_type=request.task_type, complexity=request.complexity
    )
    plan = make_plan(
        config,
        classification.task_type,
        classification.complexity,
        chain=options.chain,
        attempts_per_model=options.attempts_per_model,
        validators=request.validators,
    )
    async with _resources(config, fleet, log) as (fleet_, log_):
        for stale in log_.interrupted():
            log_.mark_interrupted(stale.task_id, "the process running it stopped mid-task")
        task_id = uuid.uuid4().hex
        log_.create_task(_new_record(task_id, request, plan, classification.confidence))
        runner = _Runner(task_id, request, plan, config, options, fleet_, log_)
        runner.emit(
            "classified",
            f"{plan.task_type.value} (complexity {plan.complexity}), "
            f"chain {' -> '.join(plan.chain)}",
            detail={"reasons": list(classification.reasons)},
        )
        return await runner.run(0)


async def resume_task(
    task_id: str,
    *,
    config: Config,
    options: RunOptions | None = None,
    fleet: Fleet | None = None,
    log: TaskLog | None = None,
) -> TaskResult:
    """Continue a task parked as ``awaiting_approval``: resuming is the approval."""
    options = replace(options or RunOptions(), approve_paid=True)
    async with _resources(config, fleet, log) as (fleet_, log_):
        record = log_.get_task(task_id)
        if record.outcome != Outcome.AWAITING_APPROVAL.value:
            raise InputError(
                f"task {record.task_id} is {record.outcome}, not awaiting_approval; "
                "only parked tasks can be resumed"
            )
        state = dict(record.state)
        request = _request_from_state(state)
        plan = _plan_from_state(state)
        runner = _Runner(record.task_id, request, plan, config, options, fleet_, log_)
        runner.restore(state)
        log_.add_event(
            EventRecord(
                task_id=record.task_id,
                kind="approved",
                to_model=plan.chain[state["next_index"]],
                detail={"via": "resume"},
            )
        )
        return await runner.run(int(state["next_index"]))


def run_task_sync(
    request: TaskRequest, *, config: Config, options: RunOptions | None = None
) -> TaskResult:
    """Blocking wrapper of ``run_task`` for scripts."""
    return asyncio.run(run_task(request, config=config, options=options))


@asynccontextmanager
async def _resources(
    config: Config, fleet: Fleet | None, log: TaskLog | None
) -> AsyncIterator[tuple[Fleet, TaskLog]]:
    async with AsyncExitStack() as stack:
        fleet_ = fleet if fleet is not None else await stack.enter_async_context(open_fleet(config))
        log_ = log if log is not None else open_log(config.db_path, config=config)
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


def _new_record(task_id: str, request: TaskRequest, plan: Plan, confidence: float) -> TaskRecord:
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
        state=_state_base(request, plan),
    )


def _state_base(request: TaskRequest, plan: Plan) -> dict[str, Any]:
    return {
        "request": {
            "description": request.description,
            "workspace": str(request.workspace),
            "files": list(request.files),
            "test_command": request.test_command,
            "budget_usd": request.budget_usd,
            "validators": list(request.validators) if request.validators else None,
            "dry_run": request.dry_run,
        },
        "plan": plan.to_json(),
        "next_index": 0,
    }


def _request_from_state(state: dict[str, Any]) -> TaskRequest:
    req = state["request"]
    return TaskRequest(
        description=req["description"],
        workspace=Path(req["workspace"]),
        files=tuple(req["files"]),
        test_command=req["test_command"],
        budget_usd=req["budget_usd"],
        validators=tuple(req["validators"]) if req.get("validators") else None,
        dry_run=bool(req.get("dry_run")),
    )


def _plan_from_state(state: dict[str, Any]) -> Plan:
    p = state["plan"]
    return Plan(
        task_type=TaskType.parse(p["task_type"]),
        complexity=int(p["complexity"]),
        chain=tuple(p["chain"]),
        checker=p["checker"],
        attempts_per_model=int(p["attempts_per_model"]),
        validators=tuple(p["validators"]),
        after_last=p["after_last"],
        min_agreement=int(p.get("min_agreement", 2)),
        trusted=tuple(p.get("trusted", ())),
    )


class _Runner:
    """One task's walk up the chain; owns its spending, records and progress."""

    def __init__(
        self,
        task_id: str,
        request: TaskRequest,
        plan: Plan,
        config: Config,
        options: RunOptions,
        fleet: Fleet,
        log: TaskLog,
    ) -> None:
        self.request = request
        self.plan = plan
        self.config = config
        self.options = options
        self.fleet = fleet
        self.log = log
        self.result = TaskResult(task_id, Outcome.RUNNING, plan.task_type, plan.complexity)
        self.budgets = Budgets.for_task(config.budgets, plan.task_type, request.budget_usd)
        self.prior: list[PriorAttempt] = []
        self.best: _Candidate | None = None
        self.pool: list[tuple[agreement.Candidate, _Candidate]] = []
        self.paid_approved = False
        self.paid_denied = False
        self.started = time.monotonic()
        self.elapsed_before = 0.0

    # -- bookkeeping -------------------------------------------------------------------

    @property
    def task_id(self) -> str:
        return self.result.task_id

    def emit(
        self,
        kind: str,
        message: str,
        *,
        model: str | None = None,
        attempt: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        if self.options.on_progress is None:
            return
        r = self.result
        self.options.on_progress(
            ProgressEvent(
                kind=kind,
                task_id=self.task_id,
                message=message,
                model=model,
                attempt=attempt,
                cost_usd=r.cost_usd,
                tokens_in=r.tokens_in,
                tokens_out=r.tokens_out,
                detail=detail or {},
            )
        )

    def restore(self, state: dict[str, Any]) -> None:
        r = self.result
        r.attempts = int(state.get("attempts", 0))
        r.escalations = int(state.get("escalations", 0))
        r.cost_usd = float(state.get("cost_usd", 0.0))
        r.tokens_in = int(state.get("tokens_in", 0))
        r.tokens_out = int(state.get("tokens_out", 0))
        r.models_tried = list(state.get("models_tried", []))
        self.elapsed_before = float(state.get("latency_ms", 0.0))
        self.prior = [PriorAttempt(**p) for p in state.get("prior", [])]
        self.paid_approved = True

    def state(self, next_index: int) -> dict[str, Any]:
        r = self.result
        base = _state_base(self.request, self.plan)
        base.update(
            next_index=next_index,
            attempts=r.attempts,
            escalations=r.escalations,
            cost_usd=r.cost_usd,
            tokens_in=r.tokens_in,
            tokens_out=r.tokens_out,
            models_tried=r.models_tried,
            latency_ms=self._elapsed_ms(),
            prior=[vars(p) for p in self.prior[-3:]],
        )
        if self.best is not None:
            base["best"] = {
                "model": self.best.model,
                "files": self.best.files,
                "diff": self.best.diff,
                "original_hashes": self.best.original_hashes,
                "confidence": self.best.confidence,
            }
        return base

    def _elapsed_ms(self) -> float:
        return self.elapsed_before + (time.monotonic() - self.started) * 1000

    # -- the walk ------------------------------------------------------------------------

    async def run(self, start: int) -> TaskResult:
        try:
            for index in range(start, len(self.plan.chain)):
                key = self.plan.chain[index]
                if index > start or self.result.escalations < index:
                    self._escalate(index)
                final = await self._run_model(index, key)
                if final is None and self._local_phase_ends(index):
                    final = await self._settle_agreement(final=False)
                if final is not None:
                    return final
            return await self._after_last()
        except BudgetExceeded as exc:
            self.log.add_event(
                EventRecord(
                    task_id=self.task_id,
                    kind="budget_stop",
                    detail={
                        "budget": exc.budget,
                        "limit_usd": exc.limit_usd,
                        "needed_usd": exc.needed_usd,
                    },
                )
            )
            self.result.stopped_by = exc.budget
            return self._finish(Outcome.BUDGET_STOPPED, str(exc))

    def _escalate(self, index: int) -> None:
        prev = self.plan.chain[index - 1] if index > 0 else None
        to = self.plan.chain[index]
        self.result.escalations += 1
        self.log.add_event(
            EventRecord(task_id=self.task_id, kind="escalation", from_model=prev, to_model=to)
        )
        self.emit("escalate", f"escalating {prev} -> {to}", model=to)

    async def _run_model(self, index: int, key: str) -> TaskResult | None:
        spec = self.config.registry.get(key)
        if spec.is_paid and self.paid_denied:
            return None
        files = gather_files(self.request.workspace, self.request.files)
        last_output: str | None = None
        for attempt_in_model in range(1, self.plan.attempts_per_model + 1):
            chat = self._worker_request(spec, files, attempt_in_model, None)
            prompt_tokens = estimate_prompt_tokens(chat)
            if not self.request.files and not await self._fits(spec, prompt_tokens, quiet=True):
                # files we picked ourselves: show fewer of them rather than skip the model
                budget = await self._file_budget_chars(spec)
                chat = self._worker_request(spec, files, attempt_in_model, budget)
                prompt_tokens = estimate_prompt_tokens(chat)
            if not await self._fits(spec, prompt_tokens):
                return None
            worst = worst_case_usd(spec, prompt_tokens)
            if attempt_in_model == 1:
                if spec.is_paid and not self.paid_approved:
                    parked = await self._approve(index, spec, worst)
                    if parked is not None or not self.paid_approved:
                        return parked
                self.result.models_tried.append(key)
            self.budgets.check(
                worst_case_usd=worst,
                spent_task_usd=self.result.cost_usd,
                spent_today_usd=self.log.spent_today(self.plan.task_type.value),
            )
            step = await self._attempt(spec, chat, attempt_in_model, last_output)
            if step.final is not None:
                return step.final
            if step.escalate:
                return None
            last_output = step.output
        return None

    async def _approve(self, index: int, spec: ModelSpec, worst: float) -> TaskResult | None:
        decision = decide_approval(
            self.config.cost_guard,
            approve_paid=self.options.approve_paid,
            interactive=self.options.approver is not None,
            worst_case_usd=worst,
        )
        if decision == Approval.ASK and self.options.approver is not None:
            ok = self.options.approver(
                ApprovalRequest(
                    task_id=self.task_id,
                    model=spec.key,
                    worst_case_usd=worst,
                    spent_usd=self.result.cost_usd,
                    reason=f"the local models could not finish this task; {spec.key} is paid",
                )
            )
            decision = Approval.APPROVED if ok else Approval.DENIED
        self.log.add_event(
            EventRecord(
                task_id=self.task_id,
                kind="approval_requested",
                to_model=spec.key,
                detail={"decision": decision.value, "worst_case_usd": worst},
            )
        )
        if decision == Approval.APPROVED:
            self.paid_approved = True
            self.log.add_event(
                EventRecord(task_id=self.task_id, kind="approved", to_model=spec.key)
            )
            self.emit("approval", f"paid model {spec.key} approved", model=spec.key)
            return None
        if decision == Approval.PARK:
            self.emit("approval", f"parked: {spec.key} is paid and needs approval", model=spec.key)
            self.log.update_task(self.task_id, state=self.state(index))
            return self._finish(
                Outcome.AWAITING_APPROVAL,
                f"{spec.key} is a paid model; approve with 'escalator resume {self.task_id}'",
            )
        self.paid_denied = True
        self.log.add_event(EventRecord(task_id=self.task_id, kind="denied", to_model=spec.key))
        self.emit("approval", f"paid model {spec.key} refused", model=spec.key)
        return None

    def _worker_request(
        self,
        spec: ModelSpec,
        files: dict[str, str | None],
        attempt_in_model: int,
        file_budget_chars: int | None,
    ) -> ChatRequest:
        return build_worker_request(
            description=self.request.description,
            files=files,
            edit_format=spec.edit_format,
            prior=self.prior,
            same_model_retry=attempt_in_model > 1,
            max_tokens=spec.max_output_tokens,
            file_budget_chars=file_budget_chars,
        )

    async def _context(self, spec: ModelSpec) -> int:
        """The model's context: LM Studio's loaded length when reported, else the config's."""
        loaded = await self.fleet.loaded_context_length(spec.key)
        return loaded or spec.context_window

    async def _file_budget_chars(self, spec: ModelSpec) -> int:
        """Characters of file content that leave room for instructions and the answer."""
        context = await self._context(spec)
        room = context - min(spec.max_output_tokens, context // 4) - 1500
        return max(1000, room * 3)

    async def _fits(self, spec: ModelSpec, prompt_tokens: int, *, quiet: bool = False) -> bool:
        context = await self._context(spec)
        if prompt_fits(prompt_tokens, min(spec.max_output_tokens, context // 4), context):
            return True
        if quiet:
            return False
        reason = f"prompt of ~{prompt_tokens} tokens does not fit {spec.key}'s context of {context}"
        self.log.add_event(
            EventRecord(
                task_id=self.task_id,
                kind="skipped_model",
                to_model=spec.key,
                detail={"reason": reason},
            )
        )
        self.emit("skip", reason, model=spec.key)
        return False

    async def _attempt(
        self, spec: ModelSpec, chat: ChatRequest, attempt_in_model: int, last_output: str | None
    ) -> _Step:
        r = self.result
        n = r.attempts + 1
        self.emit(
            "attempt_start", f"{spec.key} attempt {attempt_in_model}", model=spec.key, attempt=n
        )
        try:
            response = await self.fleet.model(spec.key).chat(chat)
        except ProviderError as exc:
            return self._provider_failed(spec, n, attempt_in_model, exc)
        r.cost_usd += response.cost_usd
        r.tokens_in += response.usage.tokens_in
        r.tokens_out += response.usage.tokens_out
        output = normalise_output(response.text)
        if last_output is not None and output == last_output:
            return self._identical_retry(spec, response, output)
        r.attempts = n
        record = AttemptRecord(
            task_id=self.task_id,
            n=n,
            model=spec.key,
            provider=spec.provider,
            attempt_in_model=attempt_in_model,
            tokens_in=response.usage.tokens_in,
            tokens_out=response.usage.tokens_out,
            tokens_estimated=response.usage.estimated,
            cost_usd=response.cost_usd,
            latency_ms=response.latency_ms,
            outcome="failed",
        )
        files = gather_files(self.request.workspace, self.request.files)
        try:
            edits = parse_edits(response.text, edit_format=spec.edit_format, files=files)
        except EditParseError as exc:
            return self._rejected_edit(spec, record, output, "edit_parse", str(exc))
        touched = sorted(  # existing tests the user did not hand over: new tests are fine
            p
            for p in edits.files
            if _is_test_file(p)
            and p not in self.request.files
            and (self.request.workspace / p).exists()
        )
        if touched:
            feedback = (
                f"Do not change the tests you are judged by ({', '.join(touched)}); "
                "change the code under test instead, and answer again without those files."
            )
            return self._rejected_edit(spec, record, output, "edited_tests", feedback)
        candidate, report = await self._validate(spec, n, edits.files)
        consensus: agreement.AgreementDecision | None = None
        accepted = candidate
        if report.passed and "agreement" in self.plan.validators:
            consensus, report, accepted = await self._cross_check(candidate, report)
        deferred = consensus is not None and consensus.deferred
        record = replace(
            record,
            outcome="passed" if report.passed else ("skipped" if deferred else "failed"),
            confidence=report.confidence,
            feedback=report.feedback,
            diff=candidate.diff,
        )
        self.log.add_attempt(record, [_verdict_record(v) for v in report.verdicts])
        self.emit(
            "attempt_done",
            f"{spec.key}: {'passed' if report.passed else 'failed'} "
            f"({', '.join(f'{v.validator} {v.status}' for v in report.verdicts)})",
            model=spec.key,
            attempt=n,
            detail={"verdicts": [v.to_json() for v in report.verdicts]},
        )
        self._keep_best(candidate)
        if report.passed:
            return _Step(output=output, final=self._accept(accepted))
        if consensus is not None:  # passed the tests, but other models' answers disagree
            return _Step(output=output, escalate=True)
        self.prior.append(
            PriorAttempt(model=spec.key, attempt=n, diff=candidate.diff, feedback=report.feedback)
        )
        return _Step(output=output)

    def _rejected_edit(
        self, spec: ModelSpec, record: AttemptRecord, output: str, kind: str, feedback: str
    ) -> _Step:
        """An answer that cannot be applied: a failed attempt whose feedback says why."""
        self.log.add_attempt(replace(record, error_kind=kind, feedback=feedback), [])
        prior = PriorAttempt(
            model=spec.key, attempt=record.n, diff="", feedback=feedback, error=kind
        )
        self.prior.append(prior)
        self.emit(
            "attempt_done", f"{spec.key}: {kind}: {feedback}", model=spec.key, attempt=record.n
        )
        return _Step(output=output)

    def _identical_retry(self, spec: ModelSpec, response: ChatResponse, output: str) -> _Step:
        """Same answer as last time: not a new attempt (the audit log keeps its cost); escalate."""
        detail = {
            "tokens_in": response.usage.tokens_in,
            "tokens_out": response.usage.tokens_out,
            "cost_usd": response.cost_usd,
            "latency_ms": response.latency_ms,
        }
        event = EventRecord(
            task_id=self.task_id, kind="identical_retry", from_model=spec.key, detail=detail
        )
        self.log.add_event(event)
        self.emit(
            "attempt_done", f"{spec.key} repeated its last answer: escalating", model=spec.key
        )
        return _Step(output=output, escalate=True)

    def _provider_failed(
        self, spec: ModelSpec, n: int, attempt_in_model: int, exc: ProviderError
    ) -> _Step:
        self.result.attempts = n
        record = AttemptRecord(
            task_id=self.task_id,
            n=n,
            model=spec.key,
            provider=spec.provider,
            attempt_in_model=attempt_in_model,
            outcome="error",
            error_kind=exc.kind,
            error_message=str(exc),
        )
        self.log.add_attempt(record, [])
        self.emit("attempt_done", f"{spec.key}: {exc.kind}: {exc}", model=spec.key, attempt=n)
        return _Step(output=None, escalate=exc.kind in _ESCALATE_AT_ONCE)

    async def _validate(
        self, spec: ModelSpec, n: int, changes: dict[str, str | None]
    ) -> tuple[_Candidate, ValidationReport]:
        limits = SandboxLimits.from_config(self.config.validation)
        with Sandbox.create(self.request.workspace, limits) as box:
            for rel, text in changes.items():
                if text is None:
                    box.delete(rel)
                else:
                    box.write_text(rel, text)
            checker = self._checker_model()
            spec_ = ValidationSpec(
                validators=self.plan.validators,
                files=tuple(changes) or self.request.files,
                test_command=self.request.test_command or self.config.validation.test_command,
                config=self.config.validation,
                description=self.request.description,
                checker=checker if "semantic" in self.plan.validators else None,
            )
            report = await run_validation(box, spec_)
            if report.passed and checker is not None and "semantic" not in self.plan.validators:
                review = await run_validation(
                    box, replace(spec_, validators=("semantic",), checker=checker)
                )
                report = merge_reports(report, review)
            passed_count = sum(1 for v in report.verdicts if v.status == "passed")
            candidate = _Candidate(
                model=spec.key,
                attempt=n,
                files=box.changed_files(),
                diff=box.diff(),
                original_hashes=box.original_hashes(),
                confidence=report.confidence,
                passed=report.passed,
                validators_passed=passed_count,
            )
        return candidate, report

    def _checker_model(self) -> ChatModel | None:
        if self.plan.checker is None:
            return None
        spec = self.config.registry.get(self.plan.checker)
        if spec.is_paid and not self.paid_approved:
            return None  # a paid checker needs the same approval as a paid worker
        return _MeteredModel(self.fleet.model(spec.key), self)

    async def _cross_check(
        self, candidate: _Candidate, report: ValidationReport, *, final: bool = False
    ) -> tuple[agreement.AgreementDecision, ValidationReport, _Candidate]:
        """Compare this passing candidate's behaviour with the other models' passing ones.

        Returns the decision, the report with the agreement verdict, and the candidate to
        accept: of the agreeing answers, the strongest model's."""
        key = f"{candidate.model}#{candidate.attempt}"
        if not final:
            py = {k: v for k, v in candidate.files.items() if v is not None}
            self.pool.append(
                (agreement.Candidate(key=key, model=candidate.model, files=py), candidate)
            )
        started = time.monotonic()
        result = await agreement.cross_check(
            workspace=self.request.workspace,
            candidates=[c for c, _ in self.pool],
            timeout_s=min(self.config.validation.timeout_s, 20.0),
        )
        rank = self._model_rank()
        decision = agreement.decide(
            result,
            key,
            min_agree=self.plan.min_agreement,
            trusted=self.plan.trusted,
            rank=rank,
            final=final,
        )
        if decision.applicable and self._more_local_after(candidate.model):
            # free models first: hear every local model before deciding (a cheapest-first
            # chain starts with the weakest models, which agree on wrong answers too often)
            decision = agreement.AgreementDecision(
                accept=False,
                reason=f"deferred until every local model has answered ({decision.reason})",
                confidence=decision.confidence,
                support=decision.support,
                deferred=True,
            )
        verdict = Verdict(
            validator="agreement",
            status=_agreement_status(decision),
            confidence=decision.confidence if decision.applicable else 0.0,
            duration_ms=(time.monotonic() - started) * 1000,
            feedback="" if decision.accept else decision.reason,
            reason=decision.reason,
            details=result.to_json(),
        )
        verdicts = [v for v in report.verdicts if v.validator != "agreement"] + [verdict]
        passed = decision.accept or not decision.applicable
        confidence = report.confidence * (decision.confidence if decision.accept else 1.0)
        merged = ValidationReport(
            verdicts=verdicts,
            passed=passed,
            confidence=confidence,
            feedback=report.feedback if passed else decision.reason,
        )
        self.emit("verdict", f"agreement: {decision.reason}", model=candidate.model)
        return decision, merged, self._strongest_agreeing(result, key, candidate)

    def _strongest_agreeing(
        self, result: agreement.AgreementReport, key: str, fallback: _Candidate
    ) -> _Candidate:
        cluster = result.cluster_of(key)
        if cluster is None:
            return fallback
        rank = self._model_rank()
        pool = {c.key: cand for c, cand in self.pool}
        members = [pool[k] for k in cluster.keys if k in pool]
        return max(members, key=lambda c: rank.get(c.model, 0.0), default=fallback)

    def _model_rank(self) -> dict[str, float]:
        """Stronger models rank higher: by configured quality, then price, then tier, then
        place in the chain (the matrix lists models cheapest and weakest first)."""
        rank = {}
        for position, key in enumerate(self.plan.chain):
            s = self.config.registry.get(key)
            price = s.price_in_per_mtok + s.price_out_per_mtok
            quality = s.quality if s.quality is not None else 0.0
            rank[key] = quality * 1e6 + price * 1000 + s.tier.rank * 10 + position * 0.01
        return rank

    def _more_local_after(self, model: str) -> bool:
        """Whether a free model follows ``model`` in the chain."""
        chain = self.plan.chain
        later = chain[chain.index(model) + 1 :] if model in chain else ()
        return self.config.registry.get(model).is_local and any(
            self.config.registry.get(k).is_local for k in later
        )

    def _local_phase_ends(self, index: int) -> bool:
        """The model at ``index`` is the last free one and a paid one follows."""
        chain = self.plan.chain
        return (
            "agreement" in self.plan.validators
            and index + 1 < len(chain)
            and not self._more_local_after(chain[index])
            and self.config.registry.get(chain[index]).is_local
        )

    async def _settle_agreement(self, *, final: bool) -> TaskResult | None:
        """Accept the best-supported passing candidate so far: with ``min_agreement``
        models behind it after the local models, or whatever is best at the chain's end."""
        if not self.pool:
            return None
        result = await agreement.cross_check(
            workspace=self.request.workspace,
            candidates=[c for c, _ in self.pool],
            timeout_s=min(self.config.validation.timeout_s, 20.0),
        )
        key = agreement.choose(result, rank=self._model_rank())
        chosen = next((cand for c, cand in self.pool if c.key == key), None)
        if chosen is None:
            return None
        decision = agreement.decide(
            result,
            key or "",
            min_agree=self.plan.min_agreement,
            rank=self._model_rank(),
            final=final,
        )
        stage = "end of chain" if final else "local models"
        self.emit("verdict", f"{stage}: {decision.reason}", model=chosen.model)
        if not decision.accept:
            return None
        chosen.confidence *= decision.confidence
        self.log.add_event(
            EventRecord(
                task_id=self.task_id,
                kind="agreement_choice",
                to_model=chosen.model,
                detail={
                    "stage": stage,
                    "reason": decision.reason,
                    "clusters": result.to_json()["clusters"],
                },
            )
        )
        return self._accept(chosen)

    def _keep_best(self, candidate: _Candidate) -> None:
        best = self.best
        if best is None or (candidate.passed, candidate.validators_passed, candidate.confidence) > (
            best.passed,
            best.validators_passed,
            best.confidence,
        ):
            self.best = candidate

    def _accept(self, candidate: _Candidate) -> TaskResult:
        r = self.result
        r.final_model, r.patch, r.files, r.confidence = (
            candidate.model,
            candidate.diff,
            candidate.files,
            candidate.confidence,
        )
        if self.request.dry_run or not self.options.apply:
            return self._finish(
                Outcome.PASSED,
                f"validated by {', '.join(self.plan.validators)}; not applied (dry run)",
            )
        applied = apply_changes(self.request.workspace, candidate.files, candidate.original_hashes)
        if not applied.applied:
            r.conflicts = applied.conflicts
            self.log.add_event(
                EventRecord(
                    task_id=self.task_id, kind="conflict", detail={"files": applied.conflicts}
                )
            )
            return self._finish(
                Outcome.NEEDS_REVIEW,
                "the workspace changed while the task ran; nothing was overwritten "
                f"(conflicting files: {', '.join(applied.conflicts)}); "
                f"review with 'escalator review show {self.task_id}'",
            )
        r.applied = True
        self.log.add_event(
            EventRecord(task_id=self.task_id, kind="applied", detail={"files": applied.written})
        )
        return self._finish(
            Outcome.PASSED, f"validated by {', '.join(self.plan.validators)} and applied"
        )

    async def _after_last(self) -> TaskResult:
        settled = await self._settle_agreement(final=True)
        if settled is not None:
            return settled
        best = self.best
        if best is not None:
            self.result.patch, self.result.files, self.result.confidence = (
                best.diff,
                best.files,
                best.confidence,
            )
            self.result.final_model = best.model
        if self.paid_denied and self.plan.after_last != "manual_review":
            return self._finish(
                Outcome.SKIPPED, "no local model passed and paid models were refused"
            )
        if self.plan.after_last == "manual_review":
            return self._finish(
                Outcome.NEEDS_REVIEW,
                "no model passed validation; queued for manual review "
                f"('escalator review show {self.task_id}')",
            )
        return self._finish(Outcome.SKIPPED, "no model in the chain passed validation")

    def _finish(self, outcome: Outcome, reason: str) -> TaskResult:
        r = self.result
        r.outcome, r.reason, r.latency_ms = outcome, reason, self._elapsed_ms()
        state = self.state(len(self.plan.chain)) if outcome != Outcome.AWAITING_APPROVAL else None
        fields: dict[str, Any] = dict(
            outcome=outcome.value,
            attempts=r.attempts,
            escalations=r.escalations,
            latency_ms=r.latency_ms,
            tokens_in=r.tokens_in,
            tokens_out=r.tokens_out,
            cost_usd=r.cost_usd,
            final_model=r.final_model,
            patch=r.patch,
            cloud_only_cost_usd=self._cloud_only_cost(),
        )
        if state is not None:
            fields["state"] = state
        self.log.update_task(self.task_id, **fields)
        self.emit("outcome", f"{outcome.value}: {reason}", model=r.final_model)
        return r

    def _cloud_only_cost(self) -> float:
        """What the chain's strongest model would have cost for the same tokens."""
        return cloud_only_cost(
            self.config, self.plan.task_type.value, self.result.tokens_in, self.result.tokens_out
        )


@dataclass
class _Step:
    output: str | None
    escalate: bool = False
    final: TaskResult | None = None


class _MeteredModel:
    """Wraps the checker so its calls count against the task's budgets and spend."""

    def __init__(self, inner: ChatModel, runner: _Runner) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.runner = runner

    async def chat(
        self, request: ChatRequest, on_token: TokenCallback | None = None
    ) -> ChatResponse:
        runner = self.runner
        runner.budgets.check(
            worst_case_usd=worst_case_usd(
                self.spec, estimate_prompt_tokens(request), request.max_tokens
            ),
            spent_task_usd=runner.result.cost_usd,
            spent_today_usd=runner.log.spent_today(runner.plan.task_type.value),
        )
        response = await self.inner.chat(request, on_token)
        runner.result.cost_usd += response.cost_usd
        runner.result.tokens_in += response.usage.tokens_in
        runner.result.tokens_out += response.usage.tokens_out
        return response


def _verdict_record(verdict: Verdict) -> VerdictRecord:
    return VerdictRecord(
        validator=verdict.validator,
        status=str(verdict.status),
        confidence=verdict.confidence,
        duration_ms=verdict.duration_ms,
        findings=[f.to_json() for f in verdict.findings],
        feedback=verdict.feedback,
    )


def _is_test_file(rel: str) -> bool:
    """Test files by the usual conventions (pytest, Go, JS): the tests a change is judged by."""
    parts = rel.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(p in ("tests", "test", "__tests__") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", ".test.js", ".test.ts", ".spec.js", ".spec.ts"))
        or name == "conftest.py"
    )


_TEXT_SUFFIXES = {
    ".py",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".go",
    ".rs",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".hpp",
    ".rb",
    ".sh",
    ".json",
    ".yaml",
    ".yml",
    ".toml",
    ".md",
    ".txt",
    ".cfg",
    ".ini",
}
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
    ".tox",
}


def gather_files(
    workspace: Path, files: tuple[str, ...], *, budget_chars: int = 60_000
) -> dict[str, str | None]:
    """The files the worker sees: the given ones (None = to be created), else the workspace's
    text sources, smallest first, up to a character budget."""
    if files:
        out: dict[str, str | None] = {}
        for rel in files:
            path = workspace / rel
            out[rel] = (
                path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
            )
        return out
    found: list[tuple[int, str, Path]] = []
    for path in workspace.rglob("*"):
        rel_parts = path.relative_to(workspace).parts
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel_parts[:-1]):
            continue
        if path.is_file() and path.suffix in _TEXT_SUFFIXES:
            found.append((path.stat().st_size, path.relative_to(workspace).as_posix(), path))
    out = {}
    used = 0
    for size, rel, path in sorted(found):
        if used + size > budget_chars:
            break
        out[rel] = path.read_text(encoding="utf-8", errors="replace")
        used += size
    return out


def merge_reports(first: ValidationReport, second: ValidationReport) -> ValidationReport:
    """One report from the validators' and the checker's."""
    return ValidationReport(
        verdicts=[*first.verdicts, *second.verdicts],
        passed=first.passed and second.passed,
        confidence=min(first.confidence, second.confidence),
        feedback=second.feedback if not second.passed else first.feedback,
    )


def _agreement_status(decision: agreement.AgreementDecision) -> Status:
    if not decision.applicable or decision.deferred:
        return Status.SKIPPED
    return Status.PASSED if decision.accept else Status.FAILED
