"""``escalator init``: write a commented default configuration file."""

from __future__ import annotations

from pathlib import Path

import click

from escalator.cli.common import emit_json, handle_errors, json_option
from escalator.config import load_config
from escalator.config_template import render_default_toml
from escalator.errors import InputError


@click.command("init")
@click.option(
    "--path",
    "path",
    type=click.Path(dir_okay=False),
    default="escalator.toml",
    show_default=True,
    help="Where to write the file.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
@handle_errors
def init_command(path: str, force: bool, as_json: bool) -> None:
    """Write a commented escalator.toml holding the built-in defaults."""
    target = Path(path).expanduser()
    if target.exists() and not force:
        raise InputError(
            f"{target} already exists; pass --force to overwrite it or --path to write elsewhere"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(render_default_toml(), encoding="utf-8")
    tmp.replace(target)
    config = load_config(target)  # proves the file we wrote loads
    if as_json:
        emit_json({"path": str(target), "models": sorted(config.models), "source": config.source})
    else:
        click.echo(
            f"wrote {target} ({len(config.models)} models, 4 task types); edit it, then run "
            "'escalator models --check'"
        )
