"""``escalator replay --matrix FILE``: what another matrix or policy would have cost and
achieved on the logged tasks, from the recorded attempts (``escalator.learn.counterfactual``)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.tasklog import db_option, open_cli_log
from escalator.config import Config, PolicyMode
from escalator.errors import InputError
from escalator.learn import Trace, policy_for, traces_from_log
from escalator.learn.counterfactual import Estimate, estimate

__all__ = ["replay_command"]


def _read_matrix(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"--matrix {path}: no such file; pass a TOML file with [matrix.*]"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"--matrix {path} cannot be read as TOML ({exc}); fix the file") from None


def _chains(
    data: dict[str, Any], path: Path, known: set[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    matrix = data.get("matrix")
    if not isinstance(matrix, dict) or not matrix:
        raise InputError(f"--matrix {path} has no [matrix.<task type>] table with a chain")
    chains: dict[str, tuple[str, ...]] = {}
    trusted: dict[str, tuple[str, ...]] = {}
    for task_type, row in matrix.items():
        chain = row.get("chain") if isinstance(row, dict) else None
        if not isinstance(chain, list) or not chain:
            raise InputError(f"--matrix {path}: matrix.{task_type}.chain must list models")
        for model in chain + list(row.get("trusted", [])):
            if model not in known:
                raise InputError(
                    f"--matrix {path}: matrix.{task_type} names {model!r}, which neither the "
                    f"config nor the log knows; known: {', '.join(sorted(known))}"
                )
        chains[task_type] = tuple(chain)
        trusted[task_type] = tuple(row.get("trusted", []))
    return chains, trusted


def _mode(data: dict[str, Any], path: Path) -> PolicyMode:
    policy = data.get("policy", {})
    value = policy.get("mode", PolicyMode.STATIC.value) if isinstance(policy, dict) else ""
    try:
        return PolicyMode(str(value))
    except ValueError:
        raise InputError(f"--matrix {path}: policy.mode must be static or learned") from None


def run_replay(config: Config, traces: list[Trace], path: Path) -> Estimate:
    """The counterfactual of the matrix (and policy mode) in ``path`` on ``traces``."""
    data = _read_matrix(path)
    known = set(config.models) | {a.model for t in traces for a in t.attempts}
    chains, trusted = _chains(data, path, known)
    settings = replace(config.policy, mode=_mode(data, path), explore=False)
    # a policy that has seen none of the tasks: it learns each one after its walk
    return estimate(traces, policy_for(config, settings, traces, learn=False), chains, trusted)


@click.command("replay")
@click.option(
    "--matrix",
    "matrix_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML with [matrix.<type>] chain (and trusted); [policy] mode = learned to replay "
    "the learned policy instead of the static chain.",
)
@db_option
@click.option("--tasks", "with_tasks", is_flag=True, help="Include each task's estimate.")
@json_option
@click.pass_context
@handle_errors
def replay_command(
    ctx: click.Context, matrix_file: Path, db_path: str | None, with_tasks: bool, as_json: bool
) -> None:
    """Estimate another matrix's cost and pass rate on the logged tasks."""
    config = get_config(ctx)
    with open_cli_log(ctx, db_path) as log:
        traces = traces_from_log(log)
        db = log.path
    result = run_replay(config, traces, matrix_file)
    if as_json:
        emit_json({"db": db, "matrix": str(matrix_file), **result.to_json(with_tasks=with_tasks)})
        return
    data = result.to_json()
    console = Console()
    console.print(
        f"{data['tasks']} logged tasks; {data['known']} can be told from the recorded "
        f"attempts, {data['unknown']} cannot (the walk reaches a model the log never asked).",
        highlight=False,
    )
    if data["known"]:
        console.print(
            f"{result.policy} with {matrix_file.name}: pass {data['pass_rate']:.1%}, "
            f"${data['cost_usd']:.4f}; as logged: pass {data['logged_pass_rate']:.1%}, "
            f"${data['logged_cost_usd']:.4f} (same {data['known']} tasks)",
            highlight=False,
        )
