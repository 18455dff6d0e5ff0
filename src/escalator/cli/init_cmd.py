"""``escalator init``: write a commented default configuration file."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import click

from escalator.cli.common import emit_json, handle_errors, json_option
from escalator.config import load_config, locate_config, user_config_path
from escalator.config_template import render_default_toml
from escalator.errors import InputError, UserError


@click.command("init")
@click.option(
    "--path",
    "path",
    type=click.Path(dir_okay=False),
    default="escalator.toml",
    show_default=True,
    help="Where to write the file.",
)
@click.option(
    "--user", "user", is_flag=True, help="Write the per-user config (used from any directory)."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
@click.pass_context
@handle_errors
def init_command(ctx: click.Context, path: str, user: bool, force: bool, as_json: bool) -> None:
    """Write a commented escalator.toml holding the built-in defaults."""
    if user and ctx.get_parameter_source("path") is not click.core.ParameterSource.DEFAULT:
        raise InputError("give either --path or --user, not both")
    target = (user_config_path() if user else Path(path).expanduser()).absolute()
    if target.exists() and not force:
        raise InputError(
            f"{target} already exists; pass --force to overwrite it or --path to write elsewhere"
        )
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(render_default_toml(), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write {target}: {exc.strerror or exc}; pass --path with a file in a "
            "writable folder"
        ) from None
    config = load_config(target)  # proves the file we wrote loads
    in_effect = _in_effect(ctx, target)
    if as_json:
        emit_json(
            {
                "path": str(target),
                "models": sorted(config.models),
                "task_types": [t.value for t in config.matrix],
                "source": config.source,
                "in_effect": in_effect,
            }
        )
        return
    click.echo(
        f"wrote {target}: the built-in defaults, commented ({len(config.models)} models: "
        f"{', '.join(config.models)}; {len(config.matrix)} task types with their chains, "
        "cost guard and budgets)"
    )
    if in_effect:
        click.echo("it is the config in effect here ('escalator config path' shows which is)")
    else:
        click.echo(
            "note: another config takes precedence here; see 'escalator config path', or pass "
            f"--config {target}"
        )
    click.echo("next: edit model ids and prices, then run 'escalator models --check'")


def _in_effect(ctx: click.Context, target: Path) -> bool:
    """Whether the lookup order (from the current directory) now finds ``target``."""
    explicit = ctx.find_root().ensure_object(dict).get("config_path")
    try:
        found = locate_config(explicit).path
    except UserError:
        return False
    return found is not None and found.resolve() == target.resolve()
