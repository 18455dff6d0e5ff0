"""Context fitting: the worker's prompt for one attempt, shrunk or refused to fit the model."""

from __future__ import annotations

from dataclasses import dataclass

from escalator.engine.context import TaskRun
from escalator.plan import prompt_fits
from escalator.providers.base import ChatRequest
from escalator.registry import ModelSpec
from escalator.work.prompts import build_worker_request, estimate_prompt_tokens

__all__ = ["Fitted", "TooLarge", "file_budget_chars", "fit_worker_request"]

# Tokens kept free for the instructions, the task and the prior attempts around the files.
PROMPT_OVERHEAD_TOKENS = 1500
# Characters per token when turning free tokens into a file budget (cl100k averages ~4 on
# code; 3 errs on the side of fitting).
CHARS_PER_TOKEN = 3
# The smallest file budget worth sending.
MIN_FILE_BUDGET_CHARS = 1000


@dataclass(frozen=True)
class Fitted:
    """A worker request that fits the model's context."""

    chat: ChatRequest
    prompt_tokens: int


@dataclass(frozen=True)
class TooLarge:
    """The prompt does not fit the model: the model is skipped."""

    reason: str


def output_allowance(spec: ModelSpec, context: int) -> int:
    """Tokens kept for the answer: the model's limit, at most a quarter of the context."""
    return min(spec.max_output_tokens, context // 4)


def file_budget_chars(spec: ModelSpec, context: int) -> int:
    """Characters of file content that leave room for instructions and the answer."""
    room = context - output_allowance(spec, context) - PROMPT_OVERHEAD_TOKENS
    return max(MIN_FILE_BUDGET_CHARS, room * CHARS_PER_TOKEN)


async def context_length(run: TaskRun, spec: ModelSpec) -> int:
    """The model's context: LM Studio's loaded length when reported, else the config's."""
    loaded = await run.fleet.loaded_context_length(spec.key)
    return loaded or spec.context_window


def worker_request(
    run: TaskRun,
    spec: ModelSpec,
    files: dict[str, str | None],
    attempt_in_model: int,
    file_budget: int | None,
) -> ChatRequest:
    return build_worker_request(
        description=run.request.description,
        files=files,
        edit_format=spec.edit_format,
        prior=run.state.prior,
        same_model_retry=attempt_in_model > 1,
        max_tokens=spec.max_output_tokens,
        file_budget_chars=file_budget,
        brief_tokens=run.config.policy.brief_tokens,
    )


async def fit_worker_request(
    run: TaskRun, spec: ModelSpec, files: dict[str, str | None], attempt_in_model: int
) -> Fitted | TooLarge:
    """The worker's request for this attempt; files we picked ourselves (no ``--files``)
    are cut to fit rather than skipping the model."""
    context = await context_length(run, spec)
    allowance = output_allowance(spec, context)
    chat = worker_request(run, spec, files, attempt_in_model, None)
    tokens = estimate_prompt_tokens(chat)
    if not run.request.files and not prompt_fits(tokens, allowance, context):
        budget = file_budget_chars(spec, context)
        chat = worker_request(run, spec, files, attempt_in_model, budget)
        tokens = estimate_prompt_tokens(chat)
    if prompt_fits(tokens, allowance, context):
        return Fitted(chat, tokens)
    return TooLarge(f"prompt of ~{tokens} tokens does not fit {spec.key}'s context of {context}")
