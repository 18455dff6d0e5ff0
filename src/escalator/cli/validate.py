"""``escalator validate``: run the validation strategy on a workspace as it is, in a sandbox."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config
from escalator.errors import InputError
from escalator.sandbox import Sandbox, SandboxLimits, detect_isolation
from escalator.task import TaskType
from escalator.validate import (
    Status,
    ValidationReport,
    ValidationSpec,
    order_validators,
    run_validation,
)

__all__ = ["validate_command"]

_MARK = {Status.PASSED: "ok  ", Status.FAILED: "FAIL", Status.ERROR: "ERR ", Status.SKIPPED: "skip"}


@click.command("validate")
@click.option(
    "--workspace",
    "workspace",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Project directory to validate (copied into a sandbox; never modified).",
)
@click.option("--files", "files", multiple=True, help="Files to check (default: all sources).")
@click.option("--type", "task_type", default=None, help="Task type whose validators to run.")
@click.option("--validators", default=None, help="Comma-separated validators, e.g. syntax,tests.")
@click.option("--tests", "test_command", default=None, help="Test command to run.")
@click.option("--all", "run_all", is_flag=True, help="Run every validator even after a failure.")
@json_option
@click.pass_context
@handle_errors
def validate_command(
    ctx: click.Context,
    workspace: Path,
    files: tuple[str, ...],
    task_type: str | None,
    validators: str | None,
    test_command: str | None,
    run_all: bool,
    as_json: bool,
) -> None:
    """Validate WORKSPACE with the strategy's validators; exit 1 when it does not pass."""
    config = get_config(ctx)
    workspace = _check_workspace(workspace)
    names, required = _choose_validators(config, task_type, validators)
    rel_files = tuple(_relative(workspace, f) for f in files)
    stop = config.validation.stop_at_first_failure and not run_all
    cfg = replace(config.validation, stop_at_first_failure=stop)
    spec = ValidationSpec(
        validators=names,
        files=rel_files,
        test_command=test_command,
        config=cfg,
        stop_at_first_failure=stop,
        required=required,
    )
    with Sandbox.create(workspace, SandboxLimits.from_config(cfg)) as box:
        report = asyncio.run(run_validation(box, spec))
    if as_json:
        sandbox = detect_isolation().to_json()
        emit_json({"workspace": str(workspace), **report.to_json(), "sandbox": sandbox})
    else:
        _print_report(workspace, report)
    ctx.exit(0 if report.passed else 1)


def _check_workspace(workspace: Path) -> Path:
    path = workspace.expanduser()
    if not path.is_dir():
        raise InputError(
            f"workspace {str(workspace)!r} does not exist or is not a directory; "
            "pass an existing project directory with --workspace"
        )
    return path.resolve()


def _choose_validators(
    config: Config, task_type: str | None, validators: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(validators to run, those that must apply): --validators are required by name."""
    if validators is not None and task_type is not None:
        raise InputError("give either --type or --validators, not both")
    if validators is not None:
        names = tuple(v.strip() for v in validators.split(",") if v.strip())
        if not names:
            raise InputError("--validators is empty; e.g. --validators syntax,tests")
        ordered = order_validators(names)
        return ordered, ordered
    try:
        kind = TaskType.parse(task_type) if task_type else TaskType.STANDARD_DEVELOPMENT
    except ValueError as exc:
        raise InputError(f"{exc}; pass one of them with --type") from None
    return order_validators(config.chain_for(kind).validators), ()


def _relative(workspace: Path, file: str) -> str:
    path = Path(file)
    full = (path if path.is_absolute() else workspace / path).resolve()
    if not full.is_relative_to(workspace):
        raise InputError(f"file {file!r} is outside the workspace {workspace}")
    if not full.is_file():
        raise InputError(f"file {file!r} does not exist in the workspace {workspace}")
    return full.relative_to(workspace).as_posix()


def _print_report(workspace: Path, report: ValidationReport) -> None:
    click.echo(f"workspace: {workspace}")
    for v in report.verdicts:
        extra = f" - {v.reason}" if v.reason else ""
        click.echo(f"  [{_MARK[v.status]}] {v.validator:<9} {v.duration_ms:8.0f} ms{extra}")
        if v.details.get("env"):
            click.echo(f"        tests run with {v.details['env']}")
        if v.status is Status.FAILED and v.feedback:
            click.echo("\n".join("        " + line for line in v.feedback.splitlines()))
    isolation = detect_isolation()
    if isolation.not_enforced:
        click.echo(f"sandbox: {isolation.describe(False)}")
    verdict = "PASSED" if report.passed else report.status.value.upper()
    click.echo(f"result: {verdict} (confidence {report.confidence:.2f})")
