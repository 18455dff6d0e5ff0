"""Validating each table of the configuration: providers, models, matrix, budgets,
validation, MCP, policy and classification."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalator.config.schema import (
    AFTER_LAST_CHOICES,
    CLASSIFY_METHODS,
    DEFAULT_KEY_ENV,
    GUARD_POLICIES,
    PROVIDER_KINDS,
    VALIDATOR_NAMES,
    BudgetConfig,
    ChainConfig,
    ClassifyConfig,
    CostGuardConfig,
    McpConfig,
    PolicyConfig,
    PolicyMode,
    ProviderConfig,
    ValidationConfig,
)
from escalator.config.section import Section
from escalator.errors import ConfigError
from escalator.registry import EditFormat, ModelSpec, ModelTier
from escalator.task import TaskType

__all__ = [
    "parse_budgets",
    "parse_classify",
    "parse_cost_guard",
    "parse_matrix",
    "parse_mcp",
    "parse_models",
    "parse_policy",
    "parse_providers",
    "parse_validation",
]


def parse_providers(tables: Mapping[str, Any], source: str) -> dict[str, ProviderConfig]:
    out: dict[str, ProviderConfig] = {}
    for name, table in tables.items():
        s = Section(f"providers.{name}", table, source)
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


def _provider_urls(s: Section, name: str) -> tuple[str, ...]:
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


def parse_models(
    tables: Mapping[str, Any], providers: Mapping[str, ProviderConfig], source: str
) -> dict[str, ModelSpec]:
    out: dict[str, ModelSpec] = {}
    for key, table in tables.items():
        s = Section(f"models.{key}", table, source)
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


def parse_ab(
    s: Section, path: str, chain: tuple[str, ...], models: Mapping[str, ModelSpec]
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


def parse_matrix(
    tables: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> dict[TaskType, ChainConfig]:
    out: dict[TaskType, ChainConfig] = {}
    known_models = ", ".join(models)
    for name, table in tables.items():
        try:
            task_type = TaskType.parse(name)
        except ValueError as exc:
            raise ConfigError(f"matrix.{name}", str(exc), source=source) from None
        s = Section(f"matrix.{name}", table, source)
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
            confirm_agreement=s.flag("confirm_agreement", True),
            ab=parse_ab(s, f"matrix.{name}.ab", chain, models),
            review_passed=s.flag("review_passed", task_type is TaskType.CRITICAL),
        )
        s.done()
    missing = [t.value for t in TaskType if t not in out]
    if missing:
        raise ConfigError(
            f"matrix.{missing[0]}", "is missing: every task type needs a chain", source=source
        )
    return out


def parse_cost_guard(table: Mapping[str, Any], source: str) -> CostGuardConfig:
    s = Section("cost_guard", table, source)
    cfg = CostGuardConfig(
        policy=s.text("policy", "ask", choices=GUARD_POLICIES),
        allow_under_usd=s.number("allow_under_usd", 0.0),
    )
    s.done()
    return cfg


def parse_budgets(table: Mapping[str, Any], source: str) -> BudgetConfig:
    s = Section("budgets", table, source)
    per_task = s.number("per_task_usd", 1.0)
    daily_table = Section("budgets.daily_usd", s.table_of("daily_usd"), source)
    daily: dict[TaskType, float] = {}
    for t in TaskType:
        value = daily_table.number(t.value, None)
        if value is not None:
            daily[t] = value
    daily_table.done()
    s.done()
    return BudgetConfig(per_task_usd=per_task, daily_usd=daily)


def parse_validation(
    table: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> ValidationConfig:
    s = Section("validation", table, source)
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


def parse_mcp(table: Mapping[str, Any], source: str) -> McpConfig:
    s = Section("mcp", table, source)
    cfg = McpConfig(
        workspace_roots=s.texts("workspace_roots", []),
        token_env=s.text("token_env", "ESCALATOR_MCP_TOKEN"),
        require_token=s.flag("require_token", False),
        agents_may_approve=s.flag("agents_may_approve", False),
    )
    s.done()
    return cfg


def parse_policy(table: Mapping[str, Any], source: str) -> PolicyConfig:
    s = Section("policy", table, source)
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


def parse_classify(
    table: Mapping[str, Any], models: Mapping[str, ModelSpec], source: str
) -> ClassifyConfig:
    s = Section("classify", table, source)
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
