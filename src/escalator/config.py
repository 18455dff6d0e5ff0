"""Configuration: built-in defaults (the seed plan) merged with ``escalator.toml``.

Lookup order: ``--config PATH``, ``$ESCALATOR_CONFIG``, ``./escalator.toml``, the user
config dir (``~/.config/escalator/config.toml``). A user file is merged over the
defaults table by table, so ``[models.qwen3-30b] model_id = "..."`` changes one key.
Unknown keys are errors. API keys never live here: only the *names* of environment
variables do.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs

from escalator.errors import ConfigError
from escalator.registry import EditFormat, ModelSpec, ModelTier, Registry
from escalator.task import TaskType

__all__ = [
    "AFTER_LAST_CHOICES",
    "CLASSIFY_METHODS",
    "PROVIDER_KINDS",
    "BudgetConfig",
    "ChainConfig",
    "ClassifyConfig",
    "Config",
    "ConfigLocation",
    "CostGuardConfig",
    "McpConfig",
    "ProviderConfig",
    "ValidationConfig",
    "default_config",
    "find_config_file",
    "load_config",
    "locate_config",
    "parse_config",
    "user_config_path",
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


# --------------------------------------------------------------------------- defaults

DEFAULTS: dict[str, Any] = {
    "providers": {
        "lmstudio": {"kind": "lmstudio", "base_url": "http://localhost:1234", "max_concurrent": 4},
        "gemini": {
            "kind": "gemini",
            "base_url": "https://generativelanguage.googleapis.com",
            "max_concurrent": 8,
            "timeout_s": 600.0,
        },
        "anthropic": {
            "kind": "anthropic",
            "base_url": "https://api.anthropic.com",
            "max_concurrent": 8,
            "timeout_s": 600.0,
        },
    },
    "models": {
        "local-14b": {
            "provider": "lmstudio",
            "model_id": "qwen2.5-14b-instruct",
            "tier": "LOCAL_FAST",
            "context_window": 32768,
            "edit_format": "whole",
            "capabilities": ["json_schema", "streaming"],
        },
        "qwen3-30b": {
            "provider": "lmstudio",
            "model_id": "qwen/qwen3-30b-a3b",
            "tier": "LOCAL_BALANCED",
            "context_window": 32768,
            "edit_format": "whole",
            "capabilities": ["json_schema", "streaming"],
        },
        "local-32b": {
            "provider": "lmstudio",
            "model_id": "qwen2.5-coder-32b-instruct",
            "tier": "LOCAL_QUALITY",
            "context_window": 32768,
            "edit_format": "whole",
            "capabilities": ["json_schema", "streaming"],
        },
        "gemini-flash": {
            "provider": "gemini",
            "model_id": "gemini-3.8-flash",
            "tier": "FLASH",
            "price_in_per_mtok": 0.75,
            "price_out_per_mtok": 3.75,
            "context_window": 1048576,
            "max_output_tokens": 8192,
            "edit_format": "search_replace",
            "capabilities": ["json_schema", "streaming"],
        },
        "gemini-pro": {
            "provider": "gemini",
            "model_id": "gemini-3.1-pro-preview",
            "tier": "PRO",
            "price_in_per_mtok": 2.0,
            "price_out_per_mtok": 12.0,
            "context_window": 200000,
            "max_output_tokens": 8192,
            "edit_format": "search_replace",
            "capabilities": ["json_schema", "streaming"],
        },
        "haiku": {
            "provider": "anthropic",
            "model_id": "claude-haiku-5-5",
            "tier": "HAIKU",
            "price_in_per_mtok": 0.10,
            "price_out_per_mtok": 0.50,
            "context_window": 100000,
            "max_output_tokens": 8192,
            "edit_format": "search_replace",
            "capabilities": ["streaming"],
        },
        "sonnet": {
            "provider": "anthropic",
            "model_id": "claude-sonnet-5-5",
            "tier": "SONNET",
            "price_in_per_mtok": 2.0,
            "price_out_per_mtok": 10.0,
            "context_window": 200000,
            "max_output_tokens": 8192,
            "edit_format": "search_replace",
            "capabilities": ["streaming"],
        },
        "opus": {
            "provider": "anthropic",
            "model_id": "claude-opus-5-5",
            "tier": "OPUS",
            "price_in_per_mtok": 4.0,
            "price_out_per_mtok": 20.0,
            "context_window": 200000,
            "max_output_tokens": 8192,
            "edit_format": "search_replace",
            "capabilities": ["streaming"],
        },
    },
    "matrix": {
        "quick_edit": {
            "complexity": [0, 2],
            "chain": ["local-14b", "gemini-flash"],
            "checkers": [],
            "attempts_per_model": 2,
            "validators": ["syntax"],
            "after_last": "skip",
        },
        "standard_development": {
            "complexity": [3, 5],
            "chain": ["qwen3-30b", "local-32b", "haiku"],
            "checkers": ["qwen3-30b", "gemini-flash"],
            "attempts_per_model": 3,
            "validators": ["syntax", "tests"],
            "after_last": "skip",
        },
        "complex_architecture": {
            "complexity": [6, 8],
            "chain": ["local-32b", "haiku", "sonnet"],
            "checkers": ["local-32b", "sonnet"],
            "attempts_per_model": 3,
            "validators": ["syntax", "tests", "semantic"],
            "after_last": "manual_review",
        },
        "critical": {
            "complexity": [9, 10],
            "chain": ["sonnet", "opus"],
            "checkers": ["sonnet", "opus"],
            "attempts_per_model": 2,
            "validators": ["syntax", "compile", "tests", "semantic", "benchmark"],
            "after_last": "manual_review",
        },
    },
    "cost_guard": {"policy": "ask", "allow_under_usd": 0.0},
    "budgets": {
        "per_task_usd": 1.0,
        "daily_usd": {
            "quick_edit": 1.0,
            "standard_development": 5.0,
            "complex_architecture": 10.0,
            "critical": 20.0,
        },
    },
    "validation": {},
    "mcp": {},
    "store": {},
    "policy": {},
    "classify": {},
}


def default_config() -> Config:
    """The built-in defaults: the seed plan's registry and matrix."""
    return parse_config({}, source="built-in defaults")


# --------------------------------------------------------------------------- lookup


@dataclass(frozen=True)
class ConfigLocation:
    """Which config file is in effect and which step of the lookup order chose it.

    ``path`` is None when no file is found: the built-in defaults are in effect.
    ``searched`` lists the places looked at, in order.
    """

    path: Path | None
    via: str
    searched: tuple[str, ...]


def user_config_path() -> Path:
    """The per-user config file (``~/.config/escalator/config.toml`` on Linux)."""
    return Path(platformdirs.user_config_dir("escalator", appauthor=False)) / "config.toml"


def locate_config(explicit: str | os.PathLike[str] | None = None) -> ConfigLocation:
    """The config file to use, by the documented lookup order, with the step that chose it."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                "--config",
                f"file {str(path)!r} does not exist; "
                f"run 'escalator init --path {path}' to create it",
            )
        return ConfigLocation(path, "--config", (f"--config {path}",))
    env = os.environ.get("ESCALATOR_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(
                "ESCALATOR_CONFIG",
                f"points at {str(path)!r}, which does not exist; unset it or create the file",
            )
        return ConfigLocation(path, "$ESCALATOR_CONFIG", (f"$ESCALATOR_CONFIG={path}",))
    local = Path.cwd() / "escalator.toml"
    user = user_config_path()
    searched = ("--config (not given)", "$ESCALATOR_CONFIG (not set)", str(local), str(user))
    if local.is_file():
        return ConfigLocation(local, "./escalator.toml", searched)
    if user.is_file():
        return ConfigLocation(user, "user config dir", searched)
    return ConfigLocation(None, "built-in defaults", searched)


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, by the documented lookup order, or None for defaults."""
    return locate_config(explicit).path


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Find, read, merge and validate the configuration."""
    path = find_config_file(explicit)
    if path is None:
        return default_config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", f"is not valid TOML: {exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "(file)",
            f"is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8, "
            "or run 'escalator init --force' to write a fresh default",
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError("(file)", f"cannot be read: {exc}", source=str(path)) from None
    return parse_config(data, source=str(path))


# --------------------------------------------------------------------------- parsing


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class _Section:
    """Reads one TOML table, checking types and rejecting unknown keys."""

    def __init__(self, path: str, table: Any, source: str) -> None:
        self.path = path
        self.source = source
        if not isinstance(table, Mapping):
            self.fail(path, table, "must be a table")
        self.table: Mapping[str, Any] = table
        self.used: set[str] = set()

    def fail(self, key: str, value: Any, allowed: str) -> None:
        raise ConfigError(key, f"value {value!r} is invalid: {allowed}", source=self.source)

    def _get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        return self.table.get(key, default)

    def text(self, key: str, default: Any = None, *, choices: tuple[str, ...] = ()) -> Any:
        value = self._get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or (choices and value not in choices):
            allowed = f"one of {', '.join(choices)}" if choices else "a string"
            self.fail(f"{self.path}.{key}", value, f"must be {allowed}")
        return value

    def number(self, key: str, default: Any, *, minimum: float = 0.0, integer: bool = False) -> Any:
        value = self._get(key, default)
        if value is None:
            return None
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or value < minimum:
            kind = "an integer" if integer else "a number"
            self.fail(f"{self.path}.{key}", value, f"must be {kind} >= {minimum:g}")
        return int(value) if integer else float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{self.path}.{key}", value, "must be true or false")
        return bool(value)

    def texts(
        self,
        key: str,
        default: Any,
        *,
        check: Callable[[str], bool] | None = None,
        allowed: str = "",
    ) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{self.path}.{key}", value, "must be a list of strings")
        for item in value:
            if check is not None and not check(item):
                self.fail(f"{self.path}.{key}", item, allowed)
        return tuple(value)

    def table_of(self, key: str) -> Mapping[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, Mapping):
            self.fail(f"{self.path}.{key}", value, "must be a table")
        table: Mapping[str, Any] = value
        return table

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise ConfigError(
                f"{self.path}.{unknown[0]}",
                f"is not a known key (known keys here: {known})",
                source=self.source,
            )


def parse_config(data: Mapping[str, Any], *, source: str = "(dict)") -> Config:
    """Validate a TOML document merged over the defaults; raises ConfigError."""
    merged = _merge(DEFAULTS, data)
    top = _Section("", merged, source)
    top.path = "(top level)"
    providers = _parse_providers(top.table_of("providers"), source)
    models = _parse_models(top.table_of("models"), providers, source)
    matrix = _parse_matrix(top.table_of("matrix"), models, source)
    cost_guard = _parse_cost_guard(top.table_of("cost_guard"), source)
    budgets = _parse_budgets(top.table_of("budgets"), source)
    validation = _parse_validation(top.table_of("validation"), models, source)
    mcp = _parse_mcp(top.table_of("mcp"), source)
    policy = _parse_policy(top.table_of("policy"), source)
    classify = _parse_classify(top.table_of("classify"), models, source)
    store = _Section("store", top.table_of("store"), source)
    default_db = Path(platformdirs.user_data_dir("escalator", appauthor=False)) / "tasks.db"
    db = store.text("db_path", None)
    db_url = _parse_db_url(store, top.table_of("log"), source)
    store.done()
    unknown = sorted(set(merged) - top.used)
    if unknown:
        allowed = (
            "providers, models, matrix, cost_guard, budgets, validation, mcp, store, log, policy, "
            "classify"
        )
        raise ConfigError(unknown[0], f"is not a known section (allowed: {allowed})", source=source)
    return Config(
        providers=providers,
        registry=Registry(models),
        matrix=matrix,
        cost_guard=cost_guard,
        budgets=budgets,
        validation=validation,
        mcp=mcp,
        db_path=Path(db).expanduser() if db else default_db,
        db_url=db_url,
        source=source,
        policy=policy,
        classify=classify,
    )


def _parse_db_url(store: _Section, log: Mapping[str, Any], source: str) -> str | None:
    """``$ESCALATOR_DB_URL``, else ``[store] url`` (or ``[log] url``): a PostgreSQL log."""
    log_section = _Section("log", log, source)
    url = store.text("url", None)
    alias = log_section.text("url", None)
    log_section.done()
    if url and alias:
        store.fail("log.url", alias, "give the URL once, as [store] url")
    found: str | None = str(url or alias) if (url or alias) else None
    url = found
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        store.fail("store.url", url, "must be a postgresql:// URL (the SQLite log is db_path)")
    if url is not None and re.search(r"://[^/@]*:[^/@]*@", url):
        raise ConfigError(
            "store.url",
            "holds a password; passwords are never read from the file: put it in "
            "PGPASSWORD or ~/.pgpass, or give the whole URL in $ESCALATOR_DB_URL",
            source=source,
        )
    env = os.environ.get("ESCALATOR_DB_URL")
    if env:
        if not env.startswith(("postgresql://", "postgres://")):
            raise ConfigError("ESCALATOR_DB_URL", f"{env[:40]!r} is not a postgresql:// URL")
        return env
    return found


def _parse_providers(tables: Mapping[str, Any], source: str) -> dict[str, ProviderConfig]:
    out: dict[str, ProviderConfig] = {}
    for name, table in tables.items():
        s = _Section(f"providers.{name}", table, source)
        kind = s.text("kind", None, choices=PROVIDER_KINDS)
        if kind is None:
            s.fail(
                f"providers.{name}.kind", None, f"is required: one of {', '.join(PROVIDER_KINDS)}"
            )
        urls = _provider_urls(s, name)
        default_env = list(DEFAULT_KEY_ENV.get(kind, ()))
        out[name] = ProviderConfig(
            name=name,
            kind=kind,
            base_url=urls[0],
            extra_urls=urls[1:],
            shared_limit=s.flag("shared_limit", True),
            load_wait_s=s.number("load_wait_s", 0.0),
            api_key_env=s.texts("api_key_env", default_env),
            timeout_s=s.number("timeout_s", 1800.0, minimum=0.001),
            connect_timeout_s=s.number("connect_timeout_s", 5.0, minimum=0.001),
            first_token_timeout_s=s.number("first_token_timeout_s", 300.0, minimum=0.001),
            idle_timeout_s=s.number("idle_timeout_s", 60.0, minimum=0.001),
            liveness_probe_s=s.number("liveness_probe_s", 10.0),
            max_concurrent=s.number("max_concurrent", 4, minimum=1, integer=True),
            max_retries=s.number("max_retries", 2, integer=True),
            backoff_base_s=s.number("backoff_base_s", 0.5),
            backoff_max_s=s.number("backoff_max_s", 30.0),
            circuit_failures=s.number("circuit_failures", 3, minimum=1, integer=True),
            circuit_cooloff_s=s.number("circuit_cooloff_s", 30.0),
        )
        if "api_key" in s.table:
            raise ConfigError(
                f"providers.{name}.api_key",
                "API keys are never read from the file; set the environment variable named "
                f"by api_key_env ({', '.join(default_env) or 'e.g. MY_API_KEY'}) instead",
                source=source,
            )
        s.done()
    return out


def _provider_urls(s: _Section, name: str) -> tuple[str, ...]:
    """``base_url`` plus ``extra_urls`` (more hosts serving the same models)."""
    urls = (s.text("base_url", None) or "", *s.texts("extra_urls", []))
    for n, url in enumerate(urls):
        if not url.startswith(("http://", "https://")):
            key = "base_url" if n == 0 else "extra_urls"
            s.fail(f"providers.{name}.{key}", url or None, "must be an http:// or https:// URL")
    cleaned = tuple(u.rstrip("/") for u in urls)
    if len(set(cleaned)) != len(cleaned):
        s.fail(f"providers.{name}.extra_urls", list(urls[1:]), "must not repeat a URL")
    return cleaned


def _parse_models(
    tables: Mapping[str, Any], providers: Mapping[str, ProviderConfig], source: str
) -> dict[str, ModelSpec]:
    out: dict[str, ModelSpec] = {}
    for key, table in tables.items():
        s = _Section(f"models.{key}", table, source)
        provider = s.text("provider", None)
        if provider not in providers:
            s.fail(
                f"models.{key}.provider",
                provider,
                f"must name a configured provider ({', '.join(providers)})",
            )
        model_id = s.text("model_id", None)
        if not model_id:
            s.fail(
                f"models.{key}.model_id", model_id, "is required: the provider's id for the model"
            )
        tier_name = s.text("tier", None)
        try:
            tier = ModelTier.parse(tier_name or "")
        except ValueError as exc:
            raise ConfigError(f"models.{key}.tier", str(exc), source=source) from None
        fmt = s.text("edit_format", "whole", choices=tuple(f.value for f in EditFormat))
        out[key] = ModelSpec(
            key=key,
            provider=provider,
            model_id=model_id,
            tier=tier,
            price_in_per_mtok=s.number("price_in_per_mtok", 0.0),
            price_out_per_mtok=s.number("price_out_per_mtok", 0.0),
            context_window=s.number("context_window", 32768, minimum=256, integer=True),
            max_output_tokens=s.number("max_output_tokens", 4096, minimum=1, integer=True),
            edit_format=EditFormat(fmt),
            capabilities=frozenset(s.texts("capabilities", [])),
            quality=s.number("quality", None),
        )
        if out[key].quality is not None and not 0 <= (out[key].quality or 0) <= 1:
            s.fail(f"models.{key}.quality", out[key].quality, "must be between 0 and 1")
        s.done()
    return out


def _parse_ab(
    s: _Section, path: str, chain: tuple[str, ...], models: Mapping[str, ModelSpec]
) -> dict[str, dict[str, float]]:
    """``ab = { qwen3-30b = { qwen3-30b = 1, local-14b = 1 } }``: weighted alternatives."""
    table = s.table_of("ab")
    out: dict[str, dict[str, float]] = {}
    for member, arms in table.items():
        if member not in chain:
            s.fail(f"{path}.{member}", member, f"must be a model of the chain ({', '.join(chain)})")
        if not isinstance(arms, Mapping) or len(arms) < 2:
            s.fail(f"{path}.{member}", arms, "must map two or more models to weights")
        for model, weight in arms.items():
            if model not in models:
                s.fail(f"{path}.{member}.{model}", model, "must be a configured model")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                s.fail(f"{path}.{member}.{model}", weight, "must be a weight > 0")
        out[str(member)] = {str(m): float(w) for m, w in arms.items()}
    return out


def _parse_matrix(
    tables: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> dict[TaskType, ChainConfig]:
    out: dict[TaskType, ChainConfig] = {}
    known_models = ", ".join(models)
    for name, table in tables.items():
        try:
            task_type = TaskType.parse(name)
        except ValueError as exc:
            raise ConfigError(f"matrix.{name}", str(exc), source=source) from None
        s = _Section(f"matrix.{name}", table, source)
        comp = s._get("complexity", [0, 10])
        if (
            not isinstance(comp, list)
            or len(comp) != 2
            or not all(isinstance(c, int) and 0 <= c <= 10 for c in comp)
            or comp[0] > comp[1]
        ):
            s.fail(
                f"matrix.{name}.complexity", comp, "must be [low, high] with 0 <= low <= high <= 10"
            )
        allowed = f"must be a configured model ({known_models})"
        chain = s.texts("chain", [], check=lambda m: m in models, allowed=allowed)
        if not chain:
            s.fail(f"matrix.{name}.chain", chain, "must list at least one model, cheapest first")
        checkers = s.texts("checkers", [], check=lambda m: m in models, allowed=allowed)
        validators = s.texts(
            "validators",
            ["syntax"],
            check=lambda v: v in VALIDATOR_NAMES,
            allowed=f"must be one of {', '.join(VALIDATOR_NAMES)}",
        )
        out[task_type] = ChainConfig(
            task_type=task_type,
            complexity=(comp[0], comp[1]),
            chain=chain,
            checkers=checkers,
            attempts_per_model=s.number("attempts_per_model", 3, minimum=1, integer=True),
            validators=validators,
            after_last=s.text("after_last", "skip", choices=AFTER_LAST_CHOICES),
            min_agreement=s.number("min_agreement", 2, minimum=1, integer=True),
            trusted=s.texts("trusted", [], check=lambda m: m in models, allowed=allowed),
            ab=_parse_ab(s, f"matrix.{name}.ab", chain, models),
            review_passed=s.flag("review_passed", task_type is TaskType.CRITICAL),
        )
        s.done()
    missing = [t.value for t in TaskType if t not in out]
    if missing:
        raise ConfigError(
            f"matrix.{missing[0]}", "is missing: every task type needs a chain", source=source
        )
    return out


def _parse_cost_guard(table: Mapping[str, Any], source: str) -> CostGuardConfig:
    s = _Section("cost_guard", table, source)
    cfg = CostGuardConfig(
        policy=s.text("policy", "ask", choices=GUARD_POLICIES),
        allow_under_usd=s.number("allow_under_usd", 0.0),
    )
    s.done()
    return cfg


def _parse_budgets(table: Mapping[str, Any], source: str) -> BudgetConfig:
    s = _Section("budgets", table, source)
    per_task = s.number("per_task_usd", 1.0)
    daily_table = _Section("budgets.daily_usd", s.table_of("daily_usd"), source)
    daily: dict[TaskType, float] = {}
    for t in TaskType:
        value = daily_table.number(t.value, None)
        if value is not None:
            daily[t] = value
    daily_table.done()
    s.done()
    return BudgetConfig(per_task_usd=per_task, daily_usd=daily)


def _parse_validation(
    table: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> ValidationConfig:
    s = _Section("validation", table, source)
    checker = s.text("checker_model", None)
    if checker is not None and checker not in models:
        s.fail(
            "validation.checker_model", checker, f"must be a configured model ({', '.join(models)})"
        )
    commands = s.table_of("compile_commands")
    for lang, cmd in commands.items():
        if not isinstance(cmd, str):
            s.fail(f"validation.compile_commands.{lang}", cmd, "must be a shell command string")
    cfg = ValidationConfig(
        timeout_s=s.number("timeout_s", 120.0, minimum=0.1),
        memory_mb=s.number("memory_mb", 2048, minimum=16, integer=True),
        cpu_s=s.number("cpu_s", 300, minimum=1, integer=True),
        feedback_chars=s.number("feedback_chars", 2500, minimum=200, integer=True),
        semantic_min_confidence=s.number("semantic_min_confidence", 0.8),
        checker_model=checker,
        test_command=s.text("test_command", None),
        stop_at_first_failure=s.flag("stop_at_first_failure", True),
        network=s.flag("network", False),
        compile_commands=dict(commands),
        benchmark_command=s.text("benchmark_command", None),
        benchmark_target=s.number("benchmark_target", None, minimum=float("-inf")),
        benchmark_direction=s.text("benchmark_direction", "lower", choices=("lower", "higher")),
        benchmark_field=s.text("benchmark_field", None),
    )
    if cfg.semantic_min_confidence > 1:
        s.fail(
            "validation.semantic_min_confidence",
            cfg.semantic_min_confidence,
            "must be between 0 and 1",
        )
    s.done()
    return cfg


def _parse_mcp(table: Mapping[str, Any], source: str) -> McpConfig:
    s = _Section("mcp", table, source)
    cfg = McpConfig(
        workspace_roots=s.texts("workspace_roots", []),
        token_env=s.text("token_env", "ESCALATOR_MCP_TOKEN"),
        require_token=s.flag("require_token", False),
        agents_may_approve=s.flag("agents_may_approve", False),
    )
    s.done()
    return cfg


def _parse_policy(table: Mapping[str, Any], source: str) -> PolicyConfig:
    s = _Section("policy", table, source)
    d = PolicyConfig()
    cfg = PolicyConfig(
        mode=PolicyMode(s.text("mode", d.mode.value, choices=tuple(m.value for m in PolicyMode))),
        min_tasks=s.number("min_tasks", d.min_tasks, integer=True),
        prior_strength=s.number("prior_strength", d.prior_strength, minimum=0.01),
        context_strength=s.number("context_strength", d.context_strength, minimum=0.01),
        value_usd=s.number("value_usd", d.value_usd),
        usd_per_second=s.number("usd_per_second", d.usd_per_second),
        trust_precision=s.number("trust_precision", d.trust_precision),
        trust_min_answers=s.number("trust_min_answers", d.trust_min_answers, integer=True),
        min_turns_to_dominate=s.number(
            "min_turns_to_dominate", d.min_turns_to_dominate, minimum=1, integer=True
        ),
        explore=s.flag("explore", d.explore),
        explore_max_usd=s.number("explore_max_usd", d.explore_max_usd),
        seed=s.number("seed", d.seed, integer=True),
        brief_tokens=s.number("brief_tokens", d.brief_tokens, minimum=50, integer=True),
    )
    if cfg.trust_precision > 1:
        s.fail("policy.trust_precision", cfg.trust_precision, "must be between 0 and 1")
    s.done()
    return cfg


def _parse_classify(
    table: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> ClassifyConfig:
    s = _Section("classify", table, source)
    model = s.text("model", None)
    if model is not None and model not in models:
        s.fail("classify.model", model, f"must be a configured model ({', '.join(models)})")
    cfg = ClassifyConfig(
        method=s.text("method", "rules", choices=CLASSIFY_METHODS),
        model=model,
        timeout_s=s.number("timeout_s", 10.0, minimum=0.001),
        unsure_below=s.number("unsure_below", 0.6),
        under_cost=s.number("under_cost", 1.5, minimum=0.001),
    )
    if cfg.unsure_below > 1:
        s.fail("classify.unsure_below", cfg.unsure_below, "must be between 0 and 1")
    s.done()
    return cfg
