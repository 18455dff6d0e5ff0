"""The configuration's types: providers, chains, budgets, validation, policy, and the
whole ``Config``, with the closed sets of values its keys accept."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from escalator.registry import ModelSpec, Registry
from escalator.task import TaskType

__all__ = [
    "AFTER_LAST_CHOICES",
    "CLASSIFY_METHODS",
    "DEFAULT_KEY_ENV",
    "GUARD_POLICIES",
    "PROVIDER_KINDS",
    "VALIDATOR_NAMES",
    "BudgetConfig",
    "ChainConfig",
    "ClassifyConfig",
    "Config",
    "CostGuardConfig",
    "McpConfig",
    "PolicyConfig",
    "PolicyMode",
    "ProviderConfig",
    "ValidationConfig",
]

PROVIDER_KINDS = ("lmstudio", "ollama", "llamacpp", "vllm", "openai", "anthropic", "gemini")
AFTER_LAST_CHOICES = ("manual_review", "skip")
VALIDATOR_NAMES = ("syntax", "compile", "tests", "semantic", "benchmark", "agreement")
GUARD_POLICIES = ("ask", "allow_under_usd", "deny")
CLASSIFY_METHODS = ("rules", "model", "auto")

# Environment variables that may hold each provider kind's API key (first present wins).
DEFAULT_KEY_ENV: dict[str, tuple[str, ...]] = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai": ("OPENAI_API_KEY",),
    "lmstudio": ("LMSTUDIO_API_TOKEN",),
}


@dataclass(frozen=True)
class ProviderConfig:
    """An endpoint: where it is, how to reach it, how much it serves at once."""

    name: str
    kind: str
    base_url: str
    api_key_env: tuple[str, ...] = ()
    timeout_s: float = 1800.0  # the whole call; the phases: providers/timeouts.py
    connect_timeout_s: float = 5.0
    first_token_timeout_s: float = 300.0
    idle_timeout_s: float = 60.0
    liveness_probe_s: float = 10.0
    max_concurrent: int = 4
    max_retries: int = 2
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    circuit_failures: int = 3
    circuit_cooloff_s: float = 30.0
    # More hosts serving the same models (two Macs behind two SSH tunnels); the first is
    # ``base_url``. Requests go to the least-loaded healthy one.
    extra_urls: tuple[str, ...] = ()
    # Whether ``max_concurrent`` is shared by every Escalator process on this machine.
    shared_limit: bool = True
    # How long to wait for a model the server is still loading (``model_not_loaded``)
    # before the error goes up and the task escalates; 0 escalates at once.
    load_wait_s: float = 0.0

    @property
    def urls(self) -> tuple[str, ...]:
        """Every host of this provider, ``base_url`` first."""
        return (self.base_url, *self.extra_urls)

    def api_key(self) -> str | None:
        """The API key from the environment, or None; never stored or logged."""
        for name in self.api_key_env:
            value = os.environ.get(name)
            if value:
                return value
        return None


@dataclass(frozen=True)
class ChainConfig:
    """One row of the escalation matrix."""

    task_type: TaskType
    complexity: tuple[int, int]
    chain: tuple[str, ...]
    checkers: tuple[str, ...]
    attempts_per_model: int
    validators: tuple[str, ...]
    after_last: str
    min_agreement: int = 2
    trusted: tuple[str, ...] = ()
    # An agreement of free models only is confirmed by the next (paid) model before it is
    # accepted, when that model may be called without parking the task.
    confirm_agreement: bool = True
    # A/B within the chain: for a chain member, the models that may take its place and
    # their weights (the member itself included to keep it in the draw).
    ab: dict[str, dict[str, float]] = field(default_factory=dict)
    # A validated change still goes to manual review instead of being applied (the plan's
    # "all, then manual review" for critical work); ``review_passed = false`` opts out.
    review_passed: bool = False


@dataclass(frozen=True)
class CostGuardConfig:
    """What happens before the first paid call when nobody can be asked."""

    policy: str = "ask"
    allow_under_usd: float = 0.0


@dataclass(frozen=True)
class BudgetConfig:
    """Hard spending limits, checked before every call against its worst case."""

    per_task_usd: float | None = 1.0
    daily_usd: dict[TaskType, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationConfig:
    """Validator settings shared by all tasks (overridable per project)."""

    timeout_s: float = 120.0
    memory_mb: int = 2048
    cpu_s: int = 300
    feedback_chars: int = 2500
    semantic_min_confidence: float = 0.8
    checker_model: str | None = None
    test_command: str | None = None
    stop_at_first_failure: bool = True
    network: bool = False
    compile_commands: dict[str, str] = field(default_factory=dict)
    benchmark_command: str | None = None
    benchmark_target: float | None = None
    benchmark_direction: str = "lower"
    benchmark_field: str | None = None


class PolicyMode(StrEnum):
    """``static``: the configured matrix as written; ``learned``: the task log decides."""

    STATIC = "static"
    LEARNED = "learned"


@dataclass(frozen=True)
class PolicyConfig:
    """How the next model is chosen (``[policy]``; see ``escalator.learn``).

    ``mode``: ``learned`` (default; the configured matrix until ``min_tasks`` tasks of a
    type are logged) or ``static``. ``value_usd``: what a verified result is worth (a
    model whose expected cost per verified result exceeds it is skipped);
    ``usd_per_second``: the price of a second of waiting (latency, model swaps);
    ``trust_precision``: the corroborated precision at which a model's lone,
    uncontradicted answer is accepted (after ``trust_min_answers`` answers);
    ``explore_max_usd``: the most an exploratory choice may add to a task's expected
    cost; ``brief_tokens``: the cap, in tokens, of the brief about earlier attempts that
    an escalated model gets.
    """

    mode: PolicyMode = PolicyMode.LEARNED
    min_tasks: int = 5
    prior_strength: float = 2.0
    context_strength: float = 4.0
    value_usd: float = 1.0
    usd_per_second: float = 0.0
    trust_precision: float = 0.9
    trust_min_answers: int = 5
    min_turns_to_dominate: int = 5
    explore: bool = True
    explore_max_usd: float = 0.002
    seed: int = 0
    brief_tokens: int = 400


@dataclass(frozen=True)
class ClassifyConfig:
    """How tasks are classified (see the classify section of the README).

    ``method``: ``rules`` (keyword rules blended with the learned classifier, no network),
    ``model`` (ask the local language model ``model``, rules as fallback) or ``auto``
    (ask the model only when the local answer's confidence is under ``unsure_below`` and
    the model is reachable). ``under_cost``: how many times worse it is to call a task
    cheaper than it is than dearer (when unsure, the cheaper mistake is chosen).
    """

    method: str = "rules"
    model: str | None = None
    timeout_s: float = 10.0
    unsure_below: float = 0.6
    under_cost: float = 1.5


@dataclass(frozen=True)
class McpConfig:
    workspace_roots: tuple[str, ...] = ()
    token_env: str = "ESCALATOR_MCP_TOKEN"
    require_token: bool = False
    agents_may_approve: bool = False  # may an MCP agent approve paid models (budgets apply)


@dataclass(frozen=True)
class Config:
    """The whole configuration, validated."""

    providers: dict[str, ProviderConfig]
    registry: Registry
    matrix: dict[TaskType, ChainConfig]
    cost_guard: CostGuardConfig
    budgets: BudgetConfig
    validation: ValidationConfig
    mcp: McpConfig
    db_path: Path
    source: str = "built-in defaults"
    # A shared PostgreSQL task log (``postgresql://...``) instead of the SQLite file.
    db_url: str | None = None
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)

    @property
    def models(self) -> dict[str, ModelSpec]:
        return self.registry.models

    def provider_for(self, model_key: str) -> ProviderConfig:
        return self.providers[self.registry.get(model_key).provider]

    def chain_for(self, task_type: TaskType) -> ChainConfig:
        return self.matrix[task_type]
