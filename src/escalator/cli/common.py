"""Shared CLI plumbing: config loading, JSON output, error to exit-code mapping."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from escalator.config import Config, load_config
from escalator.errors import EscalatorError, UserError
from escalator.store.health import log_error

F = TypeVar("F", bound=Callable[..., Any])

# Set to 1 to see the traceback of an unexpected error (it is one line otherwise).
DEBUG_ENV = "ESCALATOR_DEBUG"

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout."
)


policy_option = click.option(
    "--policy",
    type=click.Choice(["static", "learned"]),
    default=None,
    help="How the next model is chosen: static (the configured chain as written) or learned "
    "(from the task log; the configured chain until there is evidence). Default: [policy] mode.",
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


def error_kind(exc: BaseException) -> str:
    """An error's class as snake_case (``InputError`` -> ``input_error``), for JSON."""
    name = type(exc).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


# Provider errors that mean the user's setup is wrong (a model id the server does not
# know, no model loaded, a rejected key, a prompt too big): exit 2 like other bad input.
SETUP_ERROR_KINDS = frozenset(
    {"model_not_found", "model_not_loaded", "authentication_failed", "context_overflow"}
)


def exit_code_of(exc: EscalatorError) -> int:
    """2 for the user's mistakes (bad input, config, setup), 1 for failures at run time."""
    if isinstance(exc, UserError) or error_kind(exc) in SETUP_ERROR_KINDS:
        return 2
    return 1


def fail(message: str, code: int = 2, *, as_json: bool = False, kind: str = "error") -> None:
    """End the command: one line on stderr and, under ``--json``, a JSON error object on
    stdout (``{"error", "error_kind", "exit_code"}``)."""
    if as_json:
        emit_json({"error": message, "error_kind": kind, "exit_code": code})
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn Escalator errors into a one-line message and the documented exit status;
    a command run with ``--json`` also gets the error as JSON on stdout."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EscalatorError as exc:
            as_json = bool(kwargs.get("as_json"))
            fail(str(exc), exit_code_of(exc), as_json=as_json, kind=error_kind(exc))
        return None

    return wrapper  # type: ignore[return-value]


def report_unexpected(exc: Exception) -> int:
    """One line for an error no command handled; returns the exit status.

    A file the user pointed at (``OSError``) is bad input (2); anything else is a bug in
    Escalator (1), reported with how to see the traceback (``ESCALATOR_DEBUG=1``).
    """
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, sqlite3.Error):
        click.echo(f"error: {log_error('(the task log)', exc)}", err=True)
        return 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        click.echo(
            f"error: {where}{reason}; check that the path exists and that you may read and "
            "write it",
            err=True,
        )
        return 2
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    hint = (
        "" if os.environ.get(DEBUG_ENV) else f" (run again with {DEBUG_ENV}=1 to see the traceback)"
    )
    click.echo(
        f"error: unexpected {type(exc).__name__}: {text}. This is a bug in escalator; "
        f"please report it{hint}",
        err=True,
    )
    return 1
