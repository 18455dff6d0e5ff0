"""``escalator models``: the configured fleet, its status (--check) and speed (--bench)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.discover import discover_models
from escalator.config import Config
from escalator.errors import InputError
from escalator.providers import ModelStatus, open_fleet
from escalator.providers.speed import SpeedResult, measure_speed
from escalator.registry import ModelSpec

__all__ = ["models_command"]


def model_row(config: Config, spec: ModelSpec) -> dict[str, Any]:
    """What the configuration says about one model."""
    return {
        "key": spec.key,
        "tier": spec.tier.label,
        "rank": spec.tier.rank,
        "provider": spec.provider,
        "kind": config.providers[spec.provider].kind,
        "model_id": spec.model_id,
        "price_in_per_mtok": spec.price_in_per_mtok,
        "price_out_per_mtok": spec.price_out_per_mtok,
        "context_window": spec.context_window,
        "max_output_tokens": spec.max_output_tokens,
        "local": spec.is_free,
        "paid": spec.is_paid,
    }


async def _gather(
    config: Config, check: bool, bench: bool, include_paid: bool, runs: int, max_tokens: int
) -> tuple[dict[str, ModelStatus], dict[str, SpeedResult]]:
    keys = list(config.models)
    async with open_fleet(config) as fleet:
        statuses: dict[str, ModelStatus] = {}
        if check:
            found = await asyncio.gather(*(fleet.check(k) for k in keys))
            statuses = dict(zip(keys, found, strict=True))
        speeds: dict[str, SpeedResult] = {}
        if bench:
            for key in keys:  # one at a time: parallel runs would skew the figures
                if config.models[key].is_paid and not include_paid:
                    speeds[key] = SpeedResult(key, 0, skipped="paid model: add --include-paid")
                    continue
                click.echo(f"benchmarking {key} ...", err=True)
                speeds[key] = await measure_speed(fleet, key, runs=runs, max_tokens=max_tokens)
    return statuses, speeds


@click.command("models")
@click.option("--check", is_flag=True, help="Ask each server: reachable, loaded, context length.")
@click.option(
    "--discover", is_flag=True, help="List what LM Studio/Ollama serve that the config lacks."
)
@click.option("--add", is_flag=True, help="With --discover: add those models to the config file.")
@click.option("--bench", is_flag=True, help="Measure TTFT, tokens/s and latency per model.")
@click.option("--include-paid", is_flag=True, help="With --bench: also call paid models.")
@click.option("--runs", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1), default=64, show_default=True)
@json_option
@click.pass_context
@handle_errors
def models_command(
    ctx: click.Context,
    check: bool,
    discover: bool,
    add: bool,
    bench: bool,
    include_paid: bool,
    runs: int,
    max_tokens: int,
    as_json: bool,
) -> None:
    """List the configured models: tier, provider, prices, context window.

    \b
    escalator models --check --json
    escalator models --bench --runs 5
    escalator models --discover --add
    """
    config = get_config(ctx)
    if add and not discover:
        raise InputError("--add adds what --discover finds: pass both")
    if discover:
        discover_models(config, add=add, as_json=as_json)
        return
    statuses, speeds = asyncio.run(_gather(config, check, bench, include_paid, runs, max_tokens))
    rows = []
    for key, spec in config.models.items():
        row = model_row(config, spec)
        if key in statuses:
            status = statuses[key].to_json()
            row.update({k: v for k, v in status.items() if k not in ("model", "provider")})
        if key in speeds:
            row["bench"] = speeds[key].to_json()
        rows.append(row)
    if as_json:
        emit_json({"config": config.source, "models": rows})
    else:
        _print(rows, check, bench)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _host_note(key: str, host: dict[str, Any]) -> str:
    """One line per host of a multi-host provider: reachable, loaded, context, error."""
    state = "up" if host["reachable"] else "DOWN" if host["reachable"] is False else "?"
    loaded = f", loaded={_fmt(host['loaded'])}, ctx={_fmt(host['context_length'])}"
    error = f": {host['error']}" if host.get("error") and not host["reachable"] else ""
    return f"{key} @ {host['url']}: {state}{loaded if host['reachable'] else ''}{error}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned with two spaces; never truncated (pipes and narrow terminals)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _print(rows: list[dict[str, Any]], check: bool, bench: bool) -> None:
    header = ["key", "tier", "rank", "provider", "model_id", "$in/M", "$out/M", "context"]
    if check:
        header += ["reachable", "loaded", "loaded_ctx", "key_set"]
    if bench:
        header += ["ttft_ms", "tok/s", "latency_ms"]
    cells_rows: list[list[str]] = []
    notes = []
    for row in rows:
        cells = [row["key"], row["tier"], row["rank"], row["provider"], row["model_id"]]
        cells += [row["price_in_per_mtok"], row["price_out_per_mtok"], row["context_window"]]
        if check:
            cells += [row["reachable"], row["loaded"], row["context_length"]]
            cells.append(row["api_key_present"])
            if row.get("error"):
                notes.append(f"{row['key']}: {row['error']}")
            notes += [_host_note(row["key"], host) for host in row.get("hosts", [])]
        if bench:
            b = row["bench"]
            cells += [b["ttft_ms"], b["tokens_per_s"], b["latency_ms"]]
            if b["skipped"]:
                notes.append(f"{row['key']}: bench skipped: {b['skipped']}")
        cells_rows.append([_fmt(c) for c in cells])
    click.echo(_table(header, cells_rows))
    for note in notes:
        click.echo(note)
