"""Shared CLI plumbing: config loading, JSON output, error to exit-code mapping."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from escalator.config import Config, load_config
from escalator.errors import EscalatorError, UserError

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout."
)


def get_config(ctx: click.Context) -> Config:
    """The configuration named by the group's --config option (loaded once)."""
    root = ctx.find_root()
    obj = root.ensure_object(dict)
    if "config" not in obj:
        obj["config"] = load_config(obj.get("config_path"))
    cfg: Config = obj["config"]
    return cfg


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, default=str))


def fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn Escalator errors into a one-line message and the documented exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), 2)
        except EscalatorError as exc:
            fail(str(exc), 1)
        return None

    return wrapper  # type: ignore[return-value]
