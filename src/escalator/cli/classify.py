"""``escalator classify``: type and complexity of one task, of JSONL files, an evaluation
(optionally leaving one repository out at a time), a retrain, or a correction."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import click

from escalator.classify import Classification, cross_validate, evaluate, load_labelled, load_tasks
from escalator.classify._evaluate import score
from escalator.classify._methods import (
    EVAL_METHODS,
    LANGUAGE_MODEL_METHODS,
    classifier_for,
    model_classifier,
    trainer_for,
)
from escalator.cli import classify_learn as learn
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.cli.tasklog import db_option
from escalator.config import Config
from escalator.errors import InputError
from escalator.providers import open_fleet
from escalator.task import TaskType

__all__ = ["classify_command"]


@click.command("classify")
@click.argument("text", nargs=-1)
@click.option(
    "--file",
    "file_paths",
    type=click.Path(dir_okay=False),
    multiple=True,
    help='JSONL file of tasks, one {"text": ...} object a line (repeatable).',
)
@click.option("--eval", "run_eval", is_flag=True, help="Score against the 'type' labels in --file.")
@click.option(
    "--cv",
    type=click.Choice(["repo", "file"]),
    default=None,
    help="With --eval: refit per fold, leaving one repository (or file) out at a time.",
)
@click.option(
    "--method",
    type=click.Choice(EVAL_METHODS),
    default=None,
    help="Classifier to use (default: classify.method); keywords = the hand rules alone.",
)
@click.option(
    "--type",
    "forced_type",
    type=click.Choice([t.value for t in TaskType], case_sensitive=False),
    default=None,
    help="Force the task type (reported as forced).",
)
@click.option(
    "--complexity",
    type=click.IntRange(0, 10),
    default=None,
    help="Force the complexity, 0-10 (reported as forced).",
)
@click.option(
    "--correct",
    nargs=2,
    metavar="TASK_ID TYPE",
    default=None,
    help="Record the type a logged task should have had (a label for --retrain).",
)
@click.option(
    "--retrain",
    is_flag=True,
    help="Refit your classifier from the labels in the task log (--shipped: the packaged one).",
)
@click.option(
    "--shipped",
    is_flag=True,
    help="With --retrain: rebuild the packaged model from --file sets (default: the checkout's).",
)
@db_option
@json_option
@click.pass_context
@handle_errors
def classify_command(
    ctx: click.Context,
    text: tuple[str, ...],
    file_paths: tuple[str, ...],
    run_eval: bool,
    cv: str | None,
    method: str | None,
    forced_type: str | None,
    complexity: int | None,
    correct: tuple[str, str] | None,
    retrain: bool,
    shipped: bool,
    db_path: str | None,
    as_json: bool,
) -> None:
    """Classify TEXT (or every task in --file) by task type and complexity.

    \b
    escalator classify "fix typo in README" --json
    escalator classify --file tasks.jsonl --eval --json
    escalator classify --file a.jsonl --file b.jsonl --eval --cv repo --json
    escalator classify --correct 3f2a complex_architecture
    escalator classify --retrain
    """
    if correct or retrain or shipped:
        _learn(ctx, text, correct, retrain, shipped, file_paths, db_path, as_json)
        return
    task_type = TaskType.parse(forced_type) if forced_type else None
    description = " ".join(text).strip()
    _check_arguments(description, file_paths, run_eval, cv, task_type, complexity)
    config = get_config(ctx)
    chosen = method or config.classify.method
    if not file_paths:
        [result] = _classify_all([description], chosen, config, task_type, complexity)
        emit_json(result.to_json()) if as_json else _print_one(result)
    elif run_eval:
        report = _evaluate(file_paths, chosen, cv, config)
        emit_json(report) if as_json else _print_eval(report)
    else:
        items = [item for path in file_paths for item in load_tasks(path)]
        texts = [str(item["text"]) for item in items]
        results = _classify_all(texts, chosen, config, task_type, complexity)
        rows = [_prediction(item, r) for item, r in zip(items, results, strict=True)]
        if as_json:
            emit_json({**_files(file_paths), "n": len(rows), "predictions": rows})
        else:
            _print_predictions(rows)


def _learn(
    ctx: click.Context,
    text: tuple[str, ...],
    correct: tuple[str, str] | None,
    retrain: bool,
    shipped: bool,
    file_paths: tuple[str, ...],
    db_path: str | None,
    as_json: bool,
) -> None:
    """--correct, --retrain and --retrain --shipped (one at a time, without TEXT)."""
    if text or (correct and retrain) or (shipped and not retrain):
        raise InputError(
            "use --correct TASK_ID TYPE, --retrain or --retrain --shipped on their own"
        )
    if correct:
        doc = learn.correct(ctx, db_path, *correct)
        message = (
            f"task {doc['task_id'][:12]}: {doc['was']} -> {doc['task_type']} "
            f"({doc['labels']} labels)"
        )
    elif shipped:
        doc = learn.retrain_shipped(file_paths)
        message = f"{doc['model']}: fitted on {doc['tasks']} labelled tasks"
    else:
        if file_paths:
            raise InputError("--retrain learns from the task log's labels: drop --file")
        doc = learn.retrain_user(ctx, db_path)
        message = f"{doc['model']}: refitted on {doc['labels']} labels"
    emit_json(doc) if as_json else click.echo(message)


def _files(file_paths: tuple[str, ...]) -> dict[str, Any]:
    if len(file_paths) == 1:
        return {"file": file_paths[0]}
    return {"files": list(file_paths)}


def _evaluate(
    file_paths: tuple[str, ...], method: str, cv: str | None, config: Config
) -> dict[str, Any]:
    rows = load_labelled([Path(p) for p in file_paths])
    head = {**_files(file_paths), "method": method}
    if cv is not None:
        return {**head, **cross_validate(rows, trainer_for(method, config), by=cv)}
    if method in LANGUAGE_MODEL_METHODS:
        start = time.perf_counter()
        results = _classify_all([str(r["text"]) for r in rows], method, config)
        wall = (time.perf_counter() - start) / len(rows)
        head["wall_us_per_task"] = round(wall * 1e6, 2)
        return {**head, **score(rows, results), "us_per_task": head["wall_us_per_task"]}
    classifier = classifier_for(method, config)
    if method == "rules":
        head["note"] = (
            "the learned model was fitted on the repository's labelled sets: on them this "
            "figure is optimistic; --cv repo refits per fold for the honest one"
        )
    return {**head, **evaluate(rows, lambda text: classifier.classify(text))}


def _classify_all(
    texts: list[str],
    method: str,
    config: Config,
    task_type: TaskType | None = None,
    complexity: int | None = None,
) -> list[Classification]:
    """Classify each text; ``model``/``auto`` ask the language model, one task at a time."""
    if method not in LANGUAGE_MODEL_METHODS:
        classifier = classifier_for(method, config)
        return [classifier.classify(t, task_type=task_type, complexity=complexity) for t in texts]

    async def ask_all() -> list[Classification]:
        async with open_fleet(config) as fleet:
            asker = model_classifier(config, fleet, method=method)
            return [
                await asker.classify(t, task_type=task_type, complexity=complexity) for t in texts
            ]

    return asyncio.run(ask_all())


def _check_arguments(
    description: str,
    file_paths: tuple[str, ...],
    run_eval: bool,
    cv: str | None,
    task_type: TaskType | None,
    complexity: int | None,
) -> None:
    """Exactly one of TEXT and --file; --eval needs --file and no forcing; --cv needs --eval."""
    if description and file_paths:
        raise InputError("give either TEXT or --file, not both")
    if not description and not file_paths:
        raise InputError("nothing to classify: pass the task TEXT or --file TASKS.jsonl")
    if run_eval and not file_paths:
        raise InputError("--eval needs --file with labelled tasks ('text' and 'type' per line)")
    if cv is not None and not run_eval:
        raise InputError("--cv is a way to evaluate: add --eval")
    if run_eval and (task_type is not None or complexity is not None):
        raise InputError("--eval measures the classifier: drop --type/--complexity")


def _prediction(item: dict[str, Any], result: Classification) -> dict[str, Any]:
    row: dict[str, Any] = {"text": item["text"], **result.to_json()}
    if "type" in item:
        row["label"] = item["type"]
    return row


def _print_one(result: Classification) -> None:
    forced = ", forced" if result.forced else ""
    click.echo(
        f"{result.task_type.value} (complexity {result.complexity}, "
        f"confidence {result.confidence:.2f}{forced})"
    )
    for reason in result.reasons:
        click.echo(f"  - {reason}")


def _print_predictions(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(
            f"{row['task_type']:<22} {row['complexity']:>2}  {row['confidence']:.2f}  {row['text']}"
        )


def _print_eval(report: dict[str, Any]) -> None:
    how = f", leave-one-{report['cv']['by']}-out" if "cv" in report else ""
    click.echo(f"{report['n']} tasks, accuracy {report['accuracy']:.1%} ({report['method']}{how})")
    click.echo(
        f"complexity MAE {report['complexity_mae']}, {report['us_per_task']} us CPU per task"
    )
    click.echo(f"{'type':<22} {'precision':>9} {'recall':>7} {'support':>7}")
    for name, m in report["per_type"].items():
        click.echo(f"{name:<22} {m['precision']:>9.2f} {m['recall']:>7.2f} {m['support']:>7}")
    click.echo("confusion (rows: true type, columns: predicted):")
    for name, row in report["confusion"].items():
        click.echo(f"  {name:<22} " + " ".join(f"{n:>4}" for n in row.values()))
    if "cv" in report:
        cv = report["cv"]
        click.echo(
            f"{cv['folds']} folds; accuracy on folds of 10+ tasks: mean {cv['large_fold_mean']}, "
            f"std {cv['large_fold_std']}"
        )
