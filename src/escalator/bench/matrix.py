"""The bench's configuration: which models a run escalates through (the suite's, cheapest
first, or the Pareto set on price and public pass rate), and a config whose only provider
is the replay fleet, with the suite's prices, tiers and public pass rates as quality."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from escalator.bench.scoring import VISIBLE_TIMEOUT_S
from escalator.bench.suite import ModelRecord, Suite
from escalator.bench.tasks import BENCH_VALIDATORS
from escalator.config import Config, PolicyMode, parse_config
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = ["bench_config", "check_chain", "default_chain", "pareto_chain"]

TIER_BY_PRICE_RANK = ("FLASH", "HAIKU", "PRO", "SONNET", "OPUS")


def default_chain(suite: Suite) -> tuple[str, ...]:
    """The suite's models cheapest first (local first), like the default matrix."""
    return tuple(m.slug for m in suite.models_by_price())


def pareto_chain(suite: Suite) -> tuple[str, ...]:
    """Every free model, then the paid models that no other paid model beats on both price
    and public (visible-test) pass rate, cheapest first: a dominated model only costs."""
    ordered = suite.models_by_price()
    paid = [m for m in ordered if not m.is_local]

    def dominated(m: Any) -> bool:
        rate = m.visible_pass_rate or 0.0
        return any(
            o is not m
            and o.price_key <= m.price_key
            and (o.visible_pass_rate or 0.0) >= rate
            and (o.price_key < m.price_key or (o.visible_pass_rate or 0.0) > rate)
            for o in paid
        )

    return tuple(m.slug for m in ordered if m.is_local or not dominated(m))


def check_chain(suite: Suite, chain: tuple[str, ...]) -> tuple[str, ...]:
    if not chain:
        raise InputError("--chain is empty; name at least one of the suite's models")
    known = {m.slug for m in suite.models}
    for slug in chain:
        if slug not in known:
            raise InputError(
                f"--chain names {slug!r}, which suite {suite.name!r} has no generations for; "
                f"its models: {', '.join(sorted(known))}"
            )
    if len(set(chain)) != len(chain):
        raise InputError("--chain names a model twice; list each model once, cheapest first")
    return chain


def _tier(model: ModelRecord, paid_rank: dict[str, int]) -> str:
    if model.is_local:
        return "LOCAL_FAST"
    return TIER_BY_PRICE_RANK[min(paid_rank[model.slug], len(TIER_BY_PRICE_RANK) - 1)]


def _paid_ranks(suite: Suite) -> dict[str, int]:
    prices = sorted({m.price_key for m in suite.models if not m.is_local})
    # Spread the paid price levels over the cloud tiers, cheapest first.
    span = max(1, len(prices))
    return {
        m.slug: int(prices.index(m.price_key) * len(TIER_BY_PRICE_RANK) / span)
        for m in suite.models
        if not m.is_local
    }


def bench_config(
    suite: Suite,
    chain: tuple[str, ...],
    url: str,
    *,
    concurrency: int,
    attempts_per_model: int = 1,
    db_path: Path | None = None,
    base: Config | None = None,
    validators: tuple[str, ...] = BENCH_VALIDATORS,
    trusted: tuple[str, ...] = (),
    policy: PolicyMode | None = None,
) -> Config:
    """A config whose only provider is the replay fleet and whose chain is ``chain``."""
    ranks = _paid_ranks(suite)
    models = {
        m.slug: {
            "provider": "replay",
            "model_id": m.slug,
            "tier": _tier(m, ranks),
            "price_in_per_mtok": m.price_in_per_mtok,
            "price_out_per_mtok": m.price_out_per_mtok,
            "context_window": 131072,
            "max_output_tokens": 4096,
            "edit_format": "whole",
            **({"quality": m.visible_pass_rate} if m.visible_pass_rate is not None else {}),
        }
        for m in suite.models
    }
    row = {
        "chain": list(chain),
        "checkers": [],
        "attempts_per_model": attempts_per_model,
        "validators": list(validators),
        "min_agreement": 2,
        "trusted": list(trusted),
        "after_last": "skip",
    }
    data: dict[str, Any] = {
        "providers": {
            "replay": {
                "kind": "lmstudio",
                "base_url": url,
                "max_concurrent": concurrency,
                "timeout_s": 120.0,
                "max_retries": 1,
            }
        },
        "models": models,
        "matrix": {t.value: dict(row) for t in TaskType},
        "cost_guard": {"policy": "allow_under_usd", "allow_under_usd": 1e9},
        "budgets": {"per_task_usd": 1e9},
    }
    cfg = parse_config(data, source=f"bench suite {suite.name}")
    if base is not None:
        cfg = replace(cfg, validation=base.validation, db_path=base.db_path, policy=base.policy)
    if policy is not None:
        cfg = replace(cfg, policy=replace(cfg.policy, mode=policy))
    # Visible tests get the recipe's visible-pass limit (10 s), not a project's 120 s.
    timeout = min(cfg.validation.timeout_s, VISIBLE_TIMEOUT_S)
    validation = replace(cfg.validation, timeout_s=timeout, cpu_s=int(timeout) + 1)
    cfg = replace(cfg, validation=validation)
    if db_path is not None:
        cfg = replace(cfg, db_path=db_path)
    return cfg
