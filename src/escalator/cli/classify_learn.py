"""``escalator classify --correct ID TYPE`` and ``--retrain``: labels in the task log, and
the refits that learn from them (a user's model beside the log; the shipped model from
the labelled sets of a source checkout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from escalator.classify import SHIPPED_MODEL, load_labelled, load_model
from escalator.classify._corrections import refit
from escalator.classify._methods import user_model_path
from escalator.classify._train import (
    SHIPPED_OPTIONS,
    repository_training_files,
    train,
    write_model,
)
from escalator.cli.common import get_config
from escalator.cli.tasklog import open_cli_log
from escalator.errors import InputError
from escalator.store import LabelRecord, TaskLog
from escalator.task import TaskType

__all__ = ["correct", "retrain_shipped", "retrain_user", "user_items"]

CORRECT = "correct"


def correct(
    ctx: click.Context, db_path: str | None, task_id: str, type_name: str
) -> dict[str, Any]:
    """Label a logged task with the type it should have had."""
    try:
        task_type = TaskType.parse(type_name)
    except ValueError as exc:
        raise InputError(f"{exc} (the TYPE of --correct TASK_ID TYPE)") from None
    with open_cli_log(ctx, db_path) as log:
        task = log.get_task(task_id)
        log.add_label(
            LabelRecord(
                text=task.description,
                task_type=task_type.value,
                origin=CORRECT,
                predicted=task.task_type,
                task_id=task.task_id,
                project=task.workspace,
            )
        )
        count = len(log.labels())
    return {
        "task_id": task.task_id,
        "task_type": task_type.value,
        "was": task.task_type,
        "labels": count,
    }


def user_items(log: TaskLog) -> list[dict[str, Any]]:
    """The log's labels as labelled tasks (grouped by project)."""
    return [
        {"text": label.text, "type": label.task_type, "group": label.project or "(no project)"}
        for label in log.labels()
    ]


def retrain_user(ctx: click.Context, db_path: str | None) -> dict[str, Any]:
    """Refit the user's classifier from the log's labels on top of the shipped model."""
    with open_cli_log(ctx, db_path) as log:
        items = user_items(log)
        on_server = "://" in log.path  # a PostgreSQL log: the model goes to the data dir
        target = user_model_path(get_config(ctx).db_path if on_server else Path(log.path))
    model = refit(items, load_model())
    write_model(model, target)
    return {"labels": len(items), "model": str(target), "features": len(model.weights)}


def retrain_shipped(files: tuple[str, ...]) -> dict[str, Any]:
    """Rebuild the packaged model from labelled sets (default: the checkout's)."""
    paths = [Path(f) for f in files] or repository_training_files()
    rows = load_labelled(paths)
    model = train(rows, SHIPPED_OPTIONS)
    write_model(model, SHIPPED_MODEL)
    return {
        "tasks": len(rows),
        "files": [str(p) for p in paths],
        "model": str(SHIPPED_MODEL),
        "features": len(model.weights),
    }
