"""``escalator bench`` and ``escalator replay-server``: the cascade over a recorded suite.

``bench`` starts the replay fleet in-process, runs every problem of the suite as a real
task through the engine, scores the accepted code on the hidden tests afterwards and
reports the cascade against each model alone and the oracle. ``replay-server`` serves a
suite's recorded answers on its own, in LM Studio's dialect, for manual runs.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from escalator.bench.display import PassProgress, summary_table
from escalator.bench.fleet import FleetSettings, ReplayServer
from escalator.bench.matrix import pareto_chain
from escalator.bench.protocols import PROTOCOLS, ProtocolOptions, ProtocolResult, run_protocols
from escalator.bench.replay import ReplayBook
from escalator.bench.report import BenchSummary
from escalator.bench.runner import BenchOptions, open_scorer
from escalator.bench.score_cache import default_score_cache_path
from escalator.bench.scorer import Scorer
from escalator.bench.suite import Suite, load_suite
from escalator.bench.tasks import BENCH_VALIDATORS, NAIVE_VALIDATORS
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config, PolicyMode, load_config
from escalator.errors import InputError

__all__ = ["bench_command", "bench_document", "replay_server_command"]


def _parse_chain(chain: str | None) -> tuple[str, ...] | None:
    if chain is None:
        return None
    models = tuple(m.strip() for m in chain.split(",") if m.strip())
    if not models:
        raise InputError("--chain is empty; pass model slugs separated by commas")
    return models


def _parse_speeds(pairs: tuple[str, ...]) -> dict[str, float]:
    speeds: dict[str, float] = {}
    for pair in pairs:
        model, sep, value = pair.partition("=")
        try:
            tps = float(value)
        except ValueError:
            tps = -1.0
        if not sep or not model or tps <= 0:
            raise InputError(f"--tps {pair!r} is invalid; use MODEL=TOKENS_PER_SECOND, e.g. x=45")
        speeds[model] = tps
    return speeds


def _base_config(ctx: click.Context, config_file: str | None) -> Config:
    return load_config(config_file) if config_file else get_config(ctx)


def print_summary(summary: BenchSummary) -> None:
    """The human-readable result: the table, the acceptance counts and where the log is."""
    console = Console()
    console.print(summary_table(summary))
    data = summary.to_json()
    console.print(
        f"accepted {summary.accepted}/{summary.tasks}, false accepts {summary.false_accepts} "
        f"({100 * summary.false_accept_rate:.1f}% of accepted); by model: "
        + ", ".join(f"{m} {n}" for m, n in summary.accepted_by_model.items()),
        highlight=False,
    )
    console.print(
        f"wall {data['wall_s']} s; simulated model time {data['estimated_model_time_s']} s; "
        f"task log: {summary.run.db_path}",
        highlight=False,
    )


@click.command("bench")
@click.option(
    "--suite",
    "suite_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Suite folder (problems.jsonl, models.json, generations/).",
)
@click.option(
    "--chain",
    default=None,
    help="Models to escalate through, cheapest first: a,b,c; or 'pareto': the free models, "
    "then the paid ones not beaten on both price and public pass rate.",
)
@click.option(
    "--config", "config_file", default=None, help="Config file for validation and the log path."
)
@click.option("--limit", type=int, default=None, help="Only the first N problems.")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Tasks at once.")
@click.option(
    "--gate",
    type=click.Choice(["agreement", "tests"]),
    default="agreement",
    show_default=True,
    help="agreement: visible tests plus agreement between models; tests: visible tests only "
    "(the naive cascade).",
)
@click.option(
    "--trust",
    default=None,
    help="Models whose passing answer is accepted alone unless other models contradict it: a,b.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Task log path: each protocol pass writes its own log beside it, DB-<pass>.db, "
    "replaced on each run (default: bench.db next to the configured log).",
)
@click.option("--tps", multiple=True, help="Simulated speed MODEL=TOKENS_PER_SECOND (repeatable).")
@click.option(
    "--sleep-scale",
    type=float,
    default=0.0,
    show_default=True,
    help="Sleep this fraction of the simulated model time per call (0: no waiting).",
)
@click.option(
    "--score-workers",
    type=int,
    default=None,
    help="Hidden-test programs run at once (default: the number of CPUs, at least 2).",
)
@click.option(
    "--policy",
    type=click.Choice([m.value for m in PolicyMode]),
    default=None,
    help="Pin the policy that picks the next model (default: the config's [policy] mode).",
)
@click.option(
    "--protocol",
    "protocols",
    default="all",
    show_default=True,
    help="Protocols to run, comma-separated: default (what `run` does), online (learn task "
    "by task in a seeded shuffled order from cold start), split (tune on a share of the "
    "problems, measure the rest with the static and the learned policy); or all.",
)
@click.option(
    "--score-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Score cache file: hidden and visible scoring results kept between runs, keyed on "
    "the program, its limit and the scoring recipe (default: escalator/scores.sqlite "
    "under the user's cache dir).",
)
@click.option(
    "--no-score-cache",
    is_flag=True,
    help="Score every program afresh and keep nothing (a cold run).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the orders.")
@click.option(
    "--tune-fraction",
    type=float,
    default=0.5,
    show_default=True,
    help="split: the share of the problems the policy learns from.",
)
@json_option
@click.pass_context
@handle_errors
def bench_command(
    ctx: click.Context,
    suite_dir: Path,
    chain: str | None,
    config_file: str | None,
    limit: int | None,
    concurrency: int,
    gate: str,
    trust: str | None,
    db_path: Path | None,
    tps: tuple[str, ...],
    sleep_scale: float,
    score_workers: int | None,
    policy: str | None,
    protocols: str,
    score_cache: Path | None,
    no_score_cache: bool,
    seed: int,
    tune_fraction: float,
    as_json: bool,
) -> None:
    """Run the cascade over a recorded suite and compare it with each model and the oracle."""
    suite = load_suite(suite_dir)
    if sleep_scale < 0:
        raise InputError("--sleep-scale must be >= 0")
    if score_workers is not None and score_workers < 1:
        raise InputError("--score-workers must be at least 1")
    options = BenchOptions(
        chain=pareto_chain(suite) if chain == "pareto" else _parse_chain(chain),
        limit=limit,
        concurrency=concurrency,
        db_path=db_path,
        base=_base_config(ctx, config_file),
        fleet=FleetSettings(tokens_per_second=_parse_speeds(tps), sleep_scale=sleep_scale),
        validators=BENCH_VALIDATORS if gate == "agreement" else NAIVE_VALIDATORS,
        trusted=_parse_chain(trust) or (),
        policy=PolicyMode(policy) if policy else None,
    )
    if score_workers is not None:
        options.score_workers = score_workers
    if no_score_cache and score_cache is not None:
        raise InputError("--score-cache and --no-score-cache contradict; pass one of them")
    if not no_score_cache:
        options.score_cache = score_cache or default_score_cache_path()
    chosen = _parse_protocols(protocols)
    _bench_protocols(suite, options, ProtocolOptions(chosen, seed, tune_fraction), as_json)


def _parse_protocols(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("all",):
        return PROTOCOLS
    for name in names:
        if name not in PROTOCOLS:
            raise InputError(
                f"--protocol {name!r} is unknown; use {', '.join(PROTOCOLS)} or all, "
                "comma-separated"
            )
    if not names:
        raise InputError("--protocol is empty; use default, online, split or all")
    return names


def _bench_protocols(
    suite: Suite, options: BenchOptions, protocols: ProtocolOptions, as_json: bool
) -> None:
    """Run the chosen protocols (one scorer for all) and print their figures."""
    if options.db_path is None:
        options.db_path = options.base.db_path.with_name("bench.db") if options.base else None
    display = PassProgress(Console(stderr=True)) if sys.stderr.isatty() else None
    if display is not None:
        options.on_event = display
        protocols = replace(protocols, on_pass=display.on_pass)
    started = time.monotonic()
    measured = suite.subset(options.limit)
    scorer = options.scorer = open_scorer(measured, options)
    try:
        results = run_protocols(measured, options, protocols)
    finally:
        scorer.close()
        if display is not None:
            display.close()
    data = bench_document(suite, protocols, results, time.monotonic() - started, scorer)
    if as_json:
        emit_json(data)
        return
    if "default" in results:
        print_summary(results["default"].summary)
    Console().print(protocol_table(results))
    cache = data["score_cache"] or "off"
    Console().print(
        f"total wall {data['total_wall_s']} s; scoring runs {data['scoring_runs']}, "
        f"{data['scoring_cached']} more from the score cache ({cache})",
        highlight=False,
    )


def bench_document(
    suite: Suite,
    protocols: ProtocolOptions,
    results: dict[str, ProtocolResult],
    wall_s: float,
    scorer: Scorer,
) -> dict[str, Any]:
    """The ``--json`` document: the default protocol's figures at the top level (the keys
    outside checks read), every protocol's under ``protocols``; the scoring counts are the
    whole command's (one scorer serves every pass)."""
    data = results["default"].summary.to_json() if "default" in results else {}
    return {
        "suite": suite.name,
        **data,
        "seed": protocols.seed,
        "tune_fraction": protocols.tune_fraction,
        "total_wall_s": round(wall_s, 2),
        "scoring_runs": scorer.runs,
        "scoring_cached": scorer.cached,
        "scoring_reruns": scorer.reruns,
        "scoring_reruns_skipped": scorer.reruns_skipped,
        "score_cache": None if scorer.cache_path is None else str(scorer.cache_path),
        "protocols": {name: r.to_json() for name, r in results.items()},
    }


def protocol_table(results: dict[str, ProtocolResult]) -> Any:
    """One compact row per protocol pass: pass rate, cost, false accepts, tokens, wall."""
    from rich import box
    from rich.table import Table

    table = Table(
        title="Bench protocols",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        caption=_protocol_caption(results),
    )
    table.add_column("protocol", no_wrap=True, min_width=len("split_learned"))
    for column in ("tasks", "hidden", "cost $", "vs best", "false", "paid tok", "wall s"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("oracle", justify="right")
    for name, r in results.items():
        j = r.to_json()
        ratio = j["cost_ratio_vs_strongest"]
        tokens = j["paid_prompt_tokens_median"]
        table.add_row(
            name,
            str(j["tasks"]),
            f"{100 * j['pass_rate']:.1f}%",
            f"{j['cost_usd']:.4f}",
            "-" if ratio is None else f"{100 * ratio:.0f}%",
            str(j["false_accepts"]),
            "-" if tokens is None else f"{tokens:.0f}",
            f"{j['wall_s']:.0f}",
            f"{100 * j['oracle_pass_rate']:.1f}%",
        )
    return table


def _protocol_caption(results: dict[str, ProtocolResult]) -> str:
    """What the columns mean, with each pass's policy and its strongest model."""
    policies = ", ".join(f"{name} {r.policy}" for name, r in results.items())
    strongest = sorted({r.summary.strongest for r in results.values()})
    return (
        f"policy: {policies}. hidden: pass rate on the hidden tests; vs best: cost as a share "
        f"of the strongest model alone on the same problems ({', '.join(strongest)}); false: "
        "false accepts; paid tok: median prompt tokens of paid calls; oracle: per problem "
        "the cheapest model whose answer passes"
    )


@click.command("replay-server")
@click.option(
    "--suite",
    "suite_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Suite folder whose recorded answers to serve.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=1234, show_default=True)
@click.option("--tps", multiple=True, help="Simulated speed MODEL=TOKENS_PER_SECOND.")
@click.option("--sleep-scale", type=float, default=0.0, show_default=True)
@handle_errors
def replay_server_command(
    suite_dir: Path, host: str, port: int, tps: tuple[str, ...], sleep_scale: float
) -> None:
    """Serve a suite's recorded answers in LM Studio's dialect until interrupted."""
    suite = load_suite(suite_dir)
    settings = FleetSettings(tokens_per_second=_parse_speeds(tps), sleep_scale=sleep_scale)
    try:
        server = ReplayServer(ReplayBook(suite), settings, host=host, port=port)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc}); pick another --port") from None
    click.echo(
        f"replay fleet for suite {suite.name} ({len(suite.models)} models, "
        f"{len(suite.problems)} problems) at {server.url}; Ctrl-C stops it",
        err=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _stop_on_signal(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl-C does."""
    raise KeyboardInterrupt
