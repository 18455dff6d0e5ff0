"""``escalator run``: one task through its escalation chain, with live progress."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option, policy_option
from escalator.cli.interrupt import TaskIdTap, run_interruptible
from escalator.cli.progress import NORMAL, QUIET, VERBOSE, ProgressDisplay, ask_approval
from escalator.cli.result_text import print_result
from escalator.config import PolicyMode
from escalator.engine import RunOptions, run_task
from escalator.errors import InputError
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType


def check_files(
    workspace: Path, files: tuple[str, ...], new_files: tuple[str, ...]
) -> tuple[str, ...]:
    """The task's files relative to the workspace: existing ones must exist, new ones not."""
    out: list[str] = []
    for name, must_exist in [(f, True) for f in files] + [(f, False) for f in new_files]:
        path = Path(name).expanduser()
        full = (path if path.is_absolute() else workspace / path).resolve()
        if not full.is_relative_to(workspace):
            raise InputError(f"file {name!r} is outside the workspace {workspace}")
        if must_exist and not full.is_file():
            raise InputError(
                f"file {name!r} does not exist in the workspace {workspace}; check the path, "
                f"or pass --new-file {name} for a file the task should create"
            )
        if not must_exist and full.exists():
            raise InputError(f"--new-file {name!r} already exists; pass it with --files")
        out.append(full.relative_to(workspace).as_posix())
    return tuple(dict.fromkeys(out))


def parse_type(value: str | None) -> TaskType | None:
    if value is None:
        return None
    try:
        return TaskType.parse(value)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@click.command("run")
@click.argument("description")
@click.option(
    "--workspace", "-w", required=True, type=click.Path(file_okay=False), help="Project folder."
)
@click.option("--files", "-f", multiple=True, help="Files the task is about (repeatable).")
@click.option(
    "--new-file", "new_files", multiple=True, help="A file the task should create (repeatable)."
)
@click.option("--tests", "test_command", default=None, help="Test command, e.g. 'pytest -q'.")
@click.option("--type", "task_type", default=None, help="Force the task type.")
@click.option(
    "--complexity", type=click.IntRange(0, 10), default=None, help="Force the complexity (0-10)."
)
@click.option("--budget", type=float, default=None, help="Hard limit for this task in USD.")
@click.option("--chain", default=None, help="Override the chain: comma-separated model keys.")
@click.option("--yes", "yes", is_flag=True, help="Approve paid models.")
@click.option("--no-paid", "no_paid", is_flag=True, help="Never call paid models.")
@click.option("--dry-run", is_flag=True, help="Print the validated patch instead of applying it.")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="Task log file.")
@click.option("-q", "--quiet", is_flag=True, help="Show only the result.")
@click.option("-v", "--verbose", is_flag=True, help="Also show each verdict and its feedback.")
@policy_option
@json_option
@click.pass_context
@handle_errors
def run_command(
    ctx: click.Context,
    description: str,
    workspace: str,
    files: tuple[str, ...],
    new_files: tuple[str, ...],
    test_command: str | None,
    task_type: str | None,
    complexity: int | None,
    budget: float | None,
    chain: str | None,
    yes: bool,
    no_paid: bool,
    dry_run: bool,
    db: str | None,
    quiet: bool,
    verbose: bool,
    policy: str | None,
    as_json: bool,
) -> None:
    """Run DESCRIPTION on the cheapest model that can do it, proven by validators."""
    config = get_config(ctx)
    ws = Path(workspace).expanduser().resolve()
    if not ws.is_dir():
        raise InputError(
            f"workspace {workspace!r} is not a directory; pass an existing project folder"
        )
    if budget is not None and budget < 0:
        raise InputError(f"--budget {budget} is negative; pass a limit in USD")
    if yes and no_paid:
        raise InputError("--yes approves paid models and --no-paid refuses them: pass one")
    approve = True if yes else (False if no_paid else None)
    files = check_files(ws, files, new_files)
    request = TaskRequest(
        description=description,
        workspace=ws,
        files=files,
        test_command=test_command,
        task_type=parse_type(task_type),
        complexity=complexity,
        budget_usd=budget,
        dry_run=dry_run,
    )
    if quiet and verbose:
        raise InputError("-q shows less and -v shows more: pass one")
    interactive = sys.stdin.isatty() and approve is None and not as_json
    verbosity = QUIET if quiet or as_json else (VERBOSE if verbose else NORMAL)
    display = ProgressDisplay(verbosity=verbosity)
    tap = TaskIdTap(display)
    options = RunOptions(
        approve_paid=approve,
        approver=display.approver(ask_approval) if interactive else None,
        on_progress=tap,
        chain=tuple(m.strip() for m in chain.split(",") if m.strip()) if chain else None,
        policy_mode=PolicyMode(policy) if policy else None,
    )
    log = open_log(db, config=config)
    try:
        log.check_writable()  # a log that cannot be written fails before any model is paid
        with display:
            result = run_interruptible(
                run_task(request, config=config, options=options, log=log), tap
            )
    finally:
        log.close()
    if as_json:
        emit_json(result.to_json())
    else:
        print_result(result, config)
    sys.exit(0 if result.outcome == Outcome.PASSED else 1)
