"""``escalator demo``: the static matrix vs the learned policy, on bundled recorded answers.

No LM Studio or API keys needed. The bundled demo suite (HumanEval problems with six
models' recorded answers, ``escalator/data/demo``) is split with a seed: the learned
policy first runs the tuning share and learns from what the engine itself can know
(validators, agreement; never the hidden tests). Then the *other* problems, which the
policy did not learn from, are run twice through the replay fleet: with the static
matrix and with the learned policy. Each task's climb up the chain is shown as it ends;
then one table puts both beside the strongest model alone and the oracle, every figure
defined under it. Each measured pass writes its hidden results and strongest-alone
baseline into its task log, and the table's figures are ``escalator stats``'s for those
logs (computed by the same function); the learned run's HTML report is written.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from escalator.analytics import compute_stats, format_pct, format_rate, format_usd
from escalator.bench.display import climb_line
from escalator.bench.protocols import ProtocolOptions, ProtocolResult, run_protocols
from escalator.bench.runner import BenchEvent, BenchOptions
from escalator.bench.suite import load_suite
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.errors import InputError
from escalator.pricing import savings
from escalator.scored import HIDDEN_PASS_MEANING, STRONGEST_ALONE_MEANING, ScoredStats
from escalator.store import open_log

__all__ = ["demo_command", "demo_suite_path", "scored_figures", "write_report"]

DEMO_DB = "demo-tasks.db"
DEMO_REPORT = "demo-report.html"
TUNE_FRACTION = 0.5
PASS_TITLES = {
    "split_tune": "learning: the learned policy on the tuning problems",
    "split_static": "measured: the static matrix on the held-out problems",
    "split_learned": "measured: the learned policy on the held-out problems",
}


def demo_suite_path() -> Path:
    """The bundled demo suite's folder."""
    return Path(str(resources.files("escalator") / "data" / "demo"))


def write_report(db_path: Path, out: Path) -> str | None:
    """Write ``escalator report`` for the log at ``db_path``; None when that is unavailable."""
    try:
        from escalator.cli.report_html import RECENT_TASKS, render_report
    except ImportError:
        return None
    with open_log(db_path, create=False) as log:
        page = render_report(
            compute_stats(log), log.list_tasks(limit=RECENT_TASKS), db=str(log.path)
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc}; pass another --out") from None
    return str(out)


def definitions(results: dict[str, ProtocolResult]) -> dict[str, str]:
    """What each figure of the comparison means, for these results (the hidden-test and
    strongest-alone wording is ``escalator.scored``'s, as in ``stats`` and the report)."""
    learned = results["split_learned"]
    strongest = scored_figures(learned).baseline_model
    return {
        "passed validation": "share of the held-out problems whose answer the engine "
        "accepted: it passed every validator (visible tests, agreement)",
        "hidden pass": f"share of the {learned.summary.tasks} held-out problems whose "
        f"accepted code passes the hidden tests: {HIDDEN_PASS_MEANING}",
        "cost": "what the run's model calls cost at the models' list prices (tokens of the "
        "engine's real prompts and the recorded answers)",
        "strongest alone": STRONGEST_ALONE_MEANING.format(model=strongest),
        "savings": "(the strongest model alone's cost - cost) / the strongest model "
        "alone's cost, on the same problems",
        "false accepts": "accepted answers that fail the hidden tests",
        "oracle": "per problem, the cheapest model whose recorded answer passes the hidden "
        "tests: a bound that needs the answers, not a policy (bench only, not in the log)",
        "learned policy": f"learned from the other {learned.tuned_on} problems (the tuning "
        "share), starting from their task log; static matrix: the configured chain as "
        "written, cheapest first",
    }


def scored_figures(result: ProtocolResult) -> ScoredStats:
    """The figures ``escalator stats`` shows for the tasks this pass scored in its log."""
    with open_log(result.summary.run.db_path, create=False) as log:
        scored = compute_stats(log).scored
    if scored is None:
        raise InputError(f"the demo's log {result.summary.run.db_path} holds no scored tasks")
    return scored


def comparison_table(results: dict[str, ProtocolResult]) -> Table:
    """Static matrix | learned policy | strongest alone | oracle, on the held-out problems.

    The first three columns are the task logs' figures as ``escalator stats`` computes
    them; the oracle is the bench's own bound."""
    static = scored_figures(results["split_static"])
    learned = scored_figures(results["split_learned"])
    oracle = results["split_learned"].summary.oracle
    table = Table(title=f"{learned.tasks} held-out problems the policy did not learn from")
    for column in ("", "static matrix", "learned policy", "strongest alone", "oracle"):
        table.add_column(column, justify="left" if not column else "right")
    rates = (static.hidden_pass_rate, learned.hidden_pass_rate)
    alone = (learned.baseline_hidden_pass_rate, oracle.pass_rate)
    costs = (static.cost_usd, learned.cost_usd, learned.baseline_cost_usd, oracle.cost_usd)
    alone_pct = savings(learned.baseline_cost_usd, learned.baseline_cost_usd)[1]
    oracle_pct = savings(oracle.cost_usd, learned.baseline_cost_usd)[1]
    validated = (static.validation_pass_rate, learned.validation_pass_rate)
    table.add_row("passed validation", *(format_rate(r) for r in validated), "", "")
    table.add_row("hidden pass", *(format_rate(r) for r in (*rates, *alone)))
    table.add_row("cost", *(format_usd(c) for c in costs))
    pcts = (static.savings_pct, learned.savings_pct, alone_pct, oracle_pct)
    table.add_row("savings", *(format_pct(p) for p in pcts))
    table.add_row("false accepts", str(static.false_accepts), str(learned.false_accepts), "", "")
    return table


def stats_commands(results: dict[str, ProtocolResult]) -> list[str]:
    """The ``escalator stats`` commands whose scored figures the table repeats."""
    return [
        f"escalator stats --db {results[name].summary.run.db_path}"
        for name in ("split_static", "split_learned")
    ]


def _progress(console: Console) -> tuple[Any, Any]:
    def on_pass(name: str, tasks: int) -> None:
        console.print(f"\n[bold]{PASS_TITLES.get(name, name)}[/] ({tasks} tasks)")

    def on_event(event: BenchEvent) -> None:
        if event.kind == "task_done" and event.outcome is not None:
            console.print(climb_line(event.outcome), highlight=False)

    return on_pass, on_event


def _json(results: dict[str, ProtocolResult], report: str | None, command: str) -> dict[str, Any]:
    learned = results["split_learned"].summary
    strongest = learned.baselines[learned.strongest]
    return {
        "held_out": learned.tasks,
        "tuned_on": results["split_learned"].tuned_on,
        "static": results["split_static"].to_json(),
        "learned": results["split_learned"].to_json(),
        "strongest_model": learned.strongest,
        "strongest": strongest.to_json(),
        "oracle": learned.oracle.to_json(),
        "definitions": definitions(results),
        "figures": {
            side: asdict(scored_figures(results[f"split_{side}"])) for side in ("static", "learned")
        },
        "stats_commands": stats_commands(results),
        "db_path": learned.run.db_path,
        "report": report,
        "report_command": command,
    }


@click.command("demo")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Tasks at once.")
@click.option("--limit", type=int, default=None, help="Only the first N demo problems.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Task logs for the demo: DB-split-tune/-static/-learned beside this path "
    f"(default: {DEMO_DB} next to the configured log); replaced on each run.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"HTML report path (default: {DEMO_REPORT} next to the demo logs).",
)
@json_option
@click.pass_context
@handle_errors
def demo_command(
    ctx: click.Context,
    concurrency: int,
    limit: int | None,
    seed: int,
    db_path: Path | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Compare the static matrix and the learned policy on problems held out from learning."""
    config = get_config(ctx)
    suite = load_suite(demo_suite_path()).subset(limit)
    if len(suite.problems) < 2:
        raise InputError("--limit must leave at least 2 problems (one to learn, one to measure)")
    db = db_path or config.db_path.with_name(DEMO_DB)
    console = Console(stderr=True)
    on_pass, on_event = _progress(console)
    options = BenchOptions(concurrency=concurrency, db_path=db, base=config)
    if not as_json:
        options.on_event = on_event
        console.print(
            f"Escalator demo: {len(suite.problems)} HumanEval tasks, {len(suite.models)} "
            "recorded models (free first, paid last). The learned policy learns from part "
            "of them; both policies are then measured on the rest. Hidden tests score the "
            "accepted code afterwards and never feed learning.",
            highlight=False,
        )
    protocols = ProtocolOptions(("split",), seed, TUNE_FRACTION, None if as_json else on_pass)
    results = run_protocols(suite, options, protocols)
    learned_db = Path(results["split_learned"].summary.run.db_path)
    report_path = out or learned_db.with_name(DEMO_REPORT)
    report = write_report(learned_db, report_path)
    command = f"escalator report --db {learned_db} --out {report_path}"
    if as_json:
        emit_json(_json(results, report, command))
        return
    _print_result(results, report, command)


def _print_result(results: dict[str, ProtocolResult], report: str | None, command: str) -> None:
    console = Console()
    console.print(comparison_table(results))
    for name, meaning in definitions(results).items():
        console.print(f"  {name}: {meaning}", highlight=False)
    learned = results["split_learned"]
    console.print("the same figures from the task logs ('tasks scored by a bench'):")
    for command in stats_commands(results):  # whole lines, so they can be copied
        console.print(f"  {command}", highlight=False, soft_wrap=True)
    console.print(
        f"task log (learned policy): {learned.summary.run.db_path}, holding its "
        f"{learned.tuned_on} tuning tasks (not scored) and {learned.summary.tasks} held-out "
        "tasks; " + (f"report: {report}" if report else f"report: run `{command}`"),
        highlight=False,
    )
