"""``escalator classify``: type and complexity of one task, of a JSONL file, or an evaluation."""

from __future__ import annotations

from typing import Any

import click

from escalator.classify import Classification, classify, evaluate, load_tasks
from escalator.cli.common import emit_json, handle_errors, json_option
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = ["classify_command"]


@click.command("classify")
@click.argument("text", nargs=-1)
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False),
    default=None,
    help='JSONL file of tasks, one {"text": ...} object a line.',
)
@click.option("--eval", "run_eval", is_flag=True, help="Score against the 'type' labels in --file.")
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
@json_option
@handle_errors
def classify_command(
    text: tuple[str, ...],
    file_path: str | None,
    run_eval: bool,
    forced_type: str | None,
    complexity: int | None,
    as_json: bool,
) -> None:
    """Classify TEXT (or every task in --file) by task type and complexity.

    \b
    escalator classify "fix typo in README" --json
    escalator classify --file tasks.jsonl --eval --json
    """
    task_type = TaskType.parse(forced_type) if forced_type else None
    description = " ".join(text).strip()
    _check_arguments(description, file_path, run_eval, task_type, complexity)
    if file_path is None:
        result = classify(description, task_type=task_type, complexity=complexity)
        emit_json(result.to_json()) if as_json else _print_one(result)
    elif run_eval:
        report = {"file": file_path, **evaluate(load_tasks(file_path, labelled=True))}
        emit_json(report) if as_json else _print_eval(report)
    else:
        rows = [
            _prediction(item, classify(item["text"], task_type=task_type, complexity=complexity))
            for item in load_tasks(file_path)
        ]
        if as_json:
            emit_json({"file": file_path, "n": len(rows), "predictions": rows})
        else:
            _print_predictions(rows)


def _check_arguments(
    description: str,
    file_path: str | None,
    run_eval: bool,
    task_type: TaskType | None,
    complexity: int | None,
) -> None:
    """Exactly one of TEXT and --file; --eval needs --file and no forcing."""
    if description and file_path:
        raise InputError("give either TEXT or --file, not both")
    if not description and not file_path:
        raise InputError("nothing to classify: pass the task TEXT or --file TASKS.jsonl")
    if run_eval and not file_path:
        raise InputError("--eval needs --file with labelled tasks ('text' and 'type' per line)")
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
    click.echo(f"{report['n']} tasks, accuracy {report['accuracy']:.1%}")
    click.echo(
        f"complexity MAE {report['complexity_mae']}, {report['us_per_task']} us CPU per task "
        f"({report['wall_us_per_task']} us wall)"
    )
    click.echo(f"{'type':<22} {'precision':>9} {'recall':>7} {'support':>7}")
    for name, m in report["per_type"].items():
        click.echo(f"{name:<22} {m['precision']:>9.2f} {m['recall']:>7.2f} {m['support']:>7}")
    click.echo("confusion (rows: true type, columns: predicted):")
    for name, row in report["confusion"].items():
        click.echo(f"  {name:<22} " + " ".join(f"{n:>4}" for n in row.values()))
