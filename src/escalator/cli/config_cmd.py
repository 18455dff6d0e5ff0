"""``escalator config path|show``: which config file is in effect, and its values."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import Any

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config, locate_config
from escalator.config_template import render_values

__all__ = ["config_command", "config_values"]


def _plain(value: Any) -> Any:
    """A config value as JSON/TOML data: enums by name, sets sorted, paths as text."""
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def config_values(config: Config) -> dict[str, Any]:
    """Every value in effect, table by table, as ``escalator.toml`` would spell it."""
    providers = {k: _plain(p) for k, p in config.providers.items()}
    for p in providers.values():
        p.pop("name", None)
    models = {k: _plain(m) for k, m in config.models.items()}
    for m in models.values():
        m.pop("key", None)
    matrix = {t.value: _plain(c) for t, c in config.matrix.items()}
    for row in matrix.values():
        row.pop("task_type", None)
    return {
        "providers": providers,
        "models": models,
        "matrix": matrix,
        "cost_guard": _plain(config.cost_guard),
        "budgets": _plain(config.budgets),
        "validation": _plain(config.validation),
        "mcp": _plain(config.mcp),
        "store": {"db_path": str(config.db_path)},
    }


@click.group("config")
def config_command() -> None:
    """Which config file is in effect (or the built-in defaults), and its values."""


@config_command.command("path")
@json_option
@click.pass_context
@handle_errors
def config_path(ctx: click.Context, as_json: bool) -> None:
    """The config file in effect and the lookup order that found it."""
    root = ctx.find_root().ensure_object(dict)
    where = locate_config(root.get("config_path"))
    if as_json:
        emit_json(
            {
                "path": str(where.path) if where.path else None,
                "source": str(where.path) if where.path else "built-in defaults",
                "via": where.via,
                "searched": list(where.searched),
            }
        )
        return
    if where.path is None:
        click.echo("no config file found: the built-in defaults are in effect")
        click.echo("looked at, in order: " + "; ".join(where.searched))
        click.echo("create one with 'escalator init' (or 'escalator init --user')")
        return
    click.echo(str(where.path))
    click.echo(f"(found via {where.via})", err=True)


@config_command.command("show")
@json_option
@click.pass_context
@handle_errors
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Every value in effect: the file's merged over the built-in defaults."""
    config = get_config(ctx)
    values = config_values(config)
    if as_json:
        emit_json({"source": config.source, "values": values})
        return
    click.echo(f"# in effect: {config.source}")
    click.echo("# (a file's tables are merged over the built-in defaults key by key)\n")
    click.echo(render_values(values))
