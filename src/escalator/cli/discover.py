"""``escalator models --discover [--add]``: adopt models that local servers serve.

``--add`` appends one ``[models.<key>]`` table per new model to the config file in
effect: written to a temporary file beside it, checked to load, then moved into place,
with the previous file kept as ``<name>.bak``. Nothing is half-written.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import click

from escalator.cli.common import emit_json
from escalator.config import Config, parse_config
from escalator.errors import InputError
from escalator.providers.discover import ServedModel, discover

__all__ = ["discover_models", "model_key", "write_config_file"]


def model_key(model_id: str, taken: set[str]) -> str:
    """A config key for a served model id: lowercase, safe characters, unique."""
    base = re.sub(r"[^a-z0-9]+", "-", model_id.split("/")[-1].lower()).strip("-") or "model"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _table(key: str, model: ServedModel) -> str:
    lines = [
        f"[models.{key}]",
        f"provider = {json.dumps(model.provider)}",
        f"model_id = {json.dumps(model.model_id)}",
        'tier = "LOCAL_BALANCED"',
        'edit_format = "whole"',
    ]
    if model.context_length:
        lines.append(f"context_window = {model.context_length}")
    return "\n".join(lines) + "\n"


def write_config_file(path: Path, text: str) -> Path:
    """Replace ``path`` with ``text`` atomically, keeping the old file as ``<name>.bak``."""
    data = tomllib.loads(text)
    parse_config(data, source=str(path))  # never write a file that does not load
    backup = path.with_name(path.name + ".bak")
    shutil.copy2(path, backup)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return backup


def _add(config: Config, new: list[ServedModel]) -> tuple[dict[str, str], Path]:
    path = Path(config.source)
    if not path.is_file():
        raise InputError(
            f"no config file is in effect to add models to ({config.source}); run "
            "'escalator init' (or 'escalator init --user') first, then --discover --add again"
        )
    taken = set(config.models)
    added: dict[str, str] = {}
    for model in new:
        added[model_key(model.model_id, taken)] = model.model_id
        taken.add(next(reversed(added)))
    tables = [_table(key, m) for key, m in zip(added, new, strict=True)]
    old = path.read_text(encoding="utf-8")
    sep = "" if old.endswith("\n") or not old else "\n"
    header = "\n# added by 'escalator models --discover --add'\n"
    backup = write_config_file(path, old + sep + header + "\n".join(tables))
    return added, backup


def discover_models(config: Config, *, add: bool, as_json: bool) -> None:
    """List (and with ``add`` adopt) what local servers serve that the config lacks."""
    found = asyncio.run(discover(config))
    added: dict[str, str] = {}
    backup: Path | None = None
    if add and found.new:
        added, backup = _add(config, found.new)
    if as_json:
        out: dict[str, Any] = {
            "config": config.source,
            "new": [m.to_json() for m in found.new],
            "known": [m.to_json() for m in found.known],
            "errors": found.errors,
            "added": added,
            "backup": str(backup) if backup else None,
        }
        emit_json(out)
        return
    _print(config, found.new, found.errors, added, backup)


def _print(
    config: Config,
    new: list[ServedModel],
    errors: dict[str, str],
    added: dict[str, str],
    backup: Path | None,
) -> None:
    for provider, error in errors.items():
        click.echo(f"{provider}: not asked ({error})", err=True)
    if not new:
        click.echo("every model the local servers serve is already configured")
        return
    click.echo("served but not configured:")
    for m in new:
        state = {True: "loaded", False: "not loaded", None: "-"}[m.loaded]
        ctx = f", context {m.context_length}" if m.context_length else ""
        click.echo(f"  {m.provider}: {m.model_id} ({state}{ctx})")
    if added:
        keys = ", ".join(f"{k} ({v})" for k, v in added.items())
        click.echo(f"added to {config.source}: {keys}; previous file kept as {backup}")
        click.echo("put them in a chain under [matrix.<type>] to use them in runs")
    else:
        click.echo("add them to the config with 'escalator models --discover --add'")
