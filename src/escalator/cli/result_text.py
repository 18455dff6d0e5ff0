"""The end of a run in words: shared by ``escalator run`` and ``escalator review``/``resume``."""

from __future__ import annotations

import click

from escalator.config import Config
from escalator.engine import TaskResult
from escalator.pricing import cloud_only_cost
from escalator.task import Outcome

__all__ = ["diffstat", "print_result"]


def diffstat(patch: str | None) -> list[tuple[str, int, int]]:
    """(file, lines added, lines removed) per file of a unified diff."""
    stats: dict[str, list[int]] = {}
    current = None
    for line in (patch or "").splitlines():
        if line.startswith("+++ "):
            name = line[4:].strip()
            current = name[2:] if name.startswith(("a/", "b/")) else name
            stats.setdefault(current, [0, 0])
        elif current is not None and line.startswith("+") and not line.startswith("+++"):
            stats[current][0] += 1
        elif current is not None and line.startswith("-") and not line.startswith("---"):
            stats[current][1] += 1
    return [(name, add, rem) for name, (add, rem) in stats.items()]


def print_result(result: TaskResult, config: Config) -> None:
    """The human-readable end of a run: outcome, models, cost against the strongest model
    alone, changed files with a diffstat, and the task id."""
    tried = " -> ".join(result.models_tried) or "(none)"
    click.echo(f"\n{result.outcome.value.upper()}: {result.reason}")
    click.echo(
        f"  models tried: {tried}; final: {result.final_model or '-'}; "
        f"{result.attempts} attempt(s), {result.escalations} escalation(s)"
    )
    alone = cloud_only_cost(config, result.task_type.value, result.tokens_in, result.tokens_out)
    saved = f", saved {100 * (alone - result.cost_usd) / alone:.0f}%" if alone > 0 else ""
    click.echo(
        f"  cost ${result.cost_usd:.4f} vs ${alone:.4f} for the strongest model of the "
        f"chain alone on the same tokens{saved}; "
        f"tokens {result.tokens_in} in / {result.tokens_out} out; "
        f"wall time {result.latency_ms / 1000:.1f} s"
    )
    changed = diffstat(result.patch)
    if changed:
        state = "changed" if result.applied else "would change (not applied)"
        click.echo(f"  files {state}:")
        for name, add, rem in changed:
            click.echo(f"    {name:<40} +{add} -{rem}")
    click.echo(f"  task id: {result.task_id}  (details: escalator log {result.task_id[:12]})")
    if result.patch and not result.applied and result.outcome == Outcome.PASSED:
        click.echo(f"  apply it with: escalator apply {result.task_id[:12]}")
