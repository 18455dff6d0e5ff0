"""``escalator bench`` and ``escalator replay-server``: the cascade over a recorded suite.

``bench`` starts the replay fleet in-process, runs every problem of the suite as a real
task through the engine, scores the accepted code on the hidden tests afterwards and
reports the cascade against each model alone and the oracle. ``replay-server`` serves a
suite's recorded answers on its own, in LM Studio's dialect, for manual runs.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from escalator.bench.display import BenchProgress, summary_table
from escalator.bench.fleet import FleetSettings, ReplayServer
from escalator.bench.protocols import PROTOCOLS, ProtocolOptions, ProtocolResult, run_protocols
from escalator.bench.replay import ReplayBook
from escalator.bench.report import BenchSummary, summarise
from escalator.bench.runner import BenchOptions, pareto_chain, run_bench
from escalator.bench.suite import Suite, load_suite
from escalator.bench.tasks import BENCH_VALIDATORS, NAIVE_VALIDATORS
from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config, PolicyMode, load_config
from escalator.errors import InputError

__all__ = ["bench_command", "replay_server_command", "run_and_summarise"]


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


def run_and_summarise(
    suite: Suite, options: BenchOptions, *, progress: bool, climbs: bool = False
) -> BenchSummary:
    """Run the bench with a progress display on stderr when asked, and summarise it."""
    console = Console(stderr=True)
    if progress:
        total = len(suite.subset(options.limit).problems)
        with BenchProgress(console, total, climbs=climbs) as display:
            options.on_event = display
            run = run_bench(suite, options)
    else:
        run = run_bench(suite, options)
    return summarise(run)


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
    help="Task log file (default: the configured one).",
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
    default="default",
    show_default=True,
    help="Protocols to run, comma-separated: default (what `run` does), online (learn task "
    "by task in a seeded shuffled order from cold start), split (tune on a share of the "
    "problems, measure the rest with the static and the learned policy); or all.",
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
    chosen = _parse_protocols(protocols)
    if chosen != ("default",):
        _bench_protocols(suite, options, ProtocolOptions(chosen, seed, tune_fraction), as_json)
        return
    summary = run_and_summarise(suite, options, progress=sys.stderr.isatty())
    if as_json:
        emit_json(summary.to_json())
    else:
        print_summary(summary)


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
    """Run several protocols (one scorer for all) and print each one's figures."""
    if options.db_path is None:
        options.db_path = options.base.db_path.with_name("bench.db") if options.base else None
    results = run_protocols(suite.subset(options.limit), options, protocols)
    data = {
        "suite": suite.name,
        "seed": protocols.seed,
        "tune_fraction": protocols.tune_fraction,
        "protocols": {name: r.to_json() for name, r in results.items()},
    }
    if as_json:
        emit_json(data)
    else:
        Console().print(protocol_table(results))


def protocol_table(results: dict[str, ProtocolResult]) -> Any:
    """One row per protocol pass: pass rate, cost, false accepts, tokens, wall time."""
    from rich.table import Table

    table = Table(
        title="Bench protocols",
        caption="strongest: the model with the best hidden pass rate alone on the same "
        "problems; oracle: per problem, the cheapest model whose answer passes",
    )
    for column in (
        "protocol",
        "policy",
        "tasks",
        "hidden pass",
        "cost $",
        "vs strongest",
        "false acc.",
        "paid prompt tok (median)",
        "wall s",
        "oracle",
    ):
        table.add_column(column, justify="left" if column in ("protocol", "policy") else "right")
    for name, r in results.items():
        j = r.to_json()
        ratio = j["cost_ratio_vs_strongest"]
        table.add_row(
            name,
            j["policy"],
            str(j["tasks"]),
            f"{100 * j['pass_rate']:.1f}%",
            f"{j['cost_usd']:.4f}",
            "-" if ratio is None else f"{100 * ratio:.0f}% of {j['strongest_model']}",
            str(j["false_accepts"]),
            "-"
            if j["paid_prompt_tokens_median"] is None
            else f"{j['paid_prompt_tokens_median']:.0f}",
            f"{j['wall_s']:.0f}",
            f"{100 * j['oracle_pass_rate']:.1f}% ${j['oracle_cost_usd']:.4f}",
        )
    return table


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
