"""Policies from the configuration and the task log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from escalator.config import Config, PolicyConfig, PolicyMode
from escalator.learn.choice import ModelInfo
from escalator.learn.evidence import Trace
from escalator.learn.history import traces_from_log
from escalator.learn.policy import LearnedPolicy
from escalator.learn.static import Policy, StaticPolicy

if TYPE_CHECKING:
    from escalator.store.db import TaskLog

__all__ = ["model_infos", "policy_for", "policy_from_log"]


def model_infos(config: Config, traces: Iterable[Trace] = ()) -> dict[str, ModelInfo]:
    """Every configured model as the policy sees it (price, local or paid, quality), plus
    models the traces name that the config does not (local when they never cost)."""
    spent: dict[str, float] = {}
    for trace in traces:
        for a in trace.attempts:
            spent[a.model] = spent.get(a.model, 0.0) + a.cost_usd
    inferred = {m: ModelInfo(m, is_local=cost == 0.0) for m, cost in spent.items()}
    return inferred | {
        key: ModelInfo(
            key=key,
            is_local=spec.is_free,
            price_in_per_mtok=spec.price_in_per_mtok,
            price_out_per_mtok=spec.price_out_per_mtok,
            quality=spec.quality,
        )
        for key, spec in config.registry.models.items()
    }


def policy_for(
    config: Config,
    settings: PolicyConfig,
    traces: Iterable[Trace] = (),
    *,
    learn: bool = True,
) -> Policy:
    """The policy ``settings.mode`` names, learned from ``traces`` when learned. With
    ``learn=False`` it knows the models the traces name but none of their outcomes: for a
    prequential replay, which shows it each trace after walking it."""
    if settings.mode is PolicyMode.STATIC:
        return StaticPolicy()
    listed = list(traces)
    return LearnedPolicy(model_infos(config, listed), settings, listed if learn else ())


def policy_from_log(config: Config, settings: PolicyConfig, log: TaskLog) -> Policy:
    """The policy ``settings.mode`` names, learned from every finished task in ``log``."""
    if settings.mode is PolicyMode.STATIC:
        return StaticPolicy()
    traces = traces_from_log(log)
    # a policy built per task: vary the exploration draws with the evidence seen
    seeded = replace(settings, seed=settings.seed + len(traces))
    return LearnedPolicy(model_infos(config, traces), seeded, traces)
