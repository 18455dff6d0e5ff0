"""Bench protocols (default, online, split) on a small suite of the suite format."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from escalator.bench.protocols import ProtocolOptions, run_protocols, split_problems
from escalator.bench.runner import BenchOptions
from escalator.bench.suite import load_suite
from escalator.cli.main import cli

DESCRIBED = Path(__file__).resolve().parent / "shapes" / "described"


def _hidden() -> dict[tuple[str, str], bool]:
    with (DESCRIBED / "outcomes.csv").open() as fh:
        return {
            (r["model"], r["id"]): r["hidden_pass"] == "1"
            for r in csv.DictReader(fh)
            if r["sample"] == "0"
        }


def test_split_is_seeded_disjoint_and_complete() -> None:
    suite = load_suite(DESCRIBED)
    tune, rest = split_problems(suite, 0.4, seed=3)
    again, _ = split_problems(suite, 0.4, seed=3)
    ids = [p.id for p in suite.problems]
    assert [p.id for p in tune.problems] == [p.id for p in again.problems]
    assert len(tune.problems) == 2 and len(rest.problems) == 3
    assert sorted(p.id for p in tune.problems + rest.problems) == sorted(ids)
    other = {tuple(p.id for p in split_problems(suite, 0.4, seed=s)[0].problems) for s in range(8)}
    assert len(other) > 1  # the seed matters


def test_three_protocols_share_a_scorer_and_keep_their_logs_apart(tmp_path: Path) -> None:
    suite = load_suite(DESCRIBED)
    options = BenchOptions(concurrency=2, db_path=tmp_path / "bench.db")
    results = run_protocols(suite, options, ProtocolOptions(("default", "online", "split"), 1))
    assert set(results) == {"default", "online", "split_static", "split_learned"}
    assert results["default"].summary.tasks == results["online"].summary.tasks == 5

    shuffled = list(suite.problems)
    random.Random(1).shuffle(shuffled)
    online = results["online"].summary.run
    assert [p.id for p in online.suite.problems] == [p.id for p in shuffled]
    assert results["online"].policy == "learned"

    static, learned = results["split_static"], results["split_learned"]
    _, rest = split_problems(suite, 0.5, seed=1)
    measured = {p.id for p in rest.problems}
    assert {r.id for r in static.summary.run.records} == measured
    assert {r.id for r in learned.summary.run.records} == measured
    assert static.policy == "static" and learned.policy == "learned"
    assert static.tuned_on == learned.tuned_on == len(suite.problems) - len(measured)

    # the strongest model and the oracle are measured on the measured problems only
    hidden = _hidden()
    data = static.to_json()
    solved = sum(any(hidden.get((m.slug, pid), False) for m in suite.models) for pid in measured)
    assert data["oracle_pass_rate"] == round(solved / len(measured), 4)
    cloud = sum(hidden[("cloud-x", pid)] for pid in measured) / len(measured)
    assert data["strongest_pass_rate"] == round(cloud, 4)
    for key in ("pass_rate", "cost_usd", "false_accepts", "paid_prompt_tokens_median", "wall_s"):
        assert key in data

    def tasks_in(db: str) -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("select count(*) from tasks").fetchone()[0])

    assert tasks_in(results["default"].summary.run.db_path) == 5
    assert tasks_in(static.summary.run.db_path) == len(measured)
    # the learned pass starts from the tuning log: it holds the tuning tasks too
    assert tasks_in(learned.summary.run.db_path) == 5
    assert len({r.summary.run.db_path for r in results.values()}) == 4


def test_cli_reports_every_protocol_by_default_with_default_figures_on_top(
    tmp_path: Path,
) -> None:
    args = ["bench", "--suite", str(DESCRIBED), "--db", str(tmp_path / "b.db"), "--json"]
    result = CliRunner().invoke(cli, [*args, "--seed", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["protocols"]) == {"default", "online", "split_static", "split_learned"}
    assert data["seed"] == 2 and data["protocols"]["online"]["tasks"] == 5
    default = data["protocols"]["default"]
    # the top level is the default protocol's document, as before protocols existed
    for key in ("pass_rate", "cost_usd", "false_accepts", "cascade_s", "db_path"):
        assert data[key] == default[key]
    assert data["tasks"] == 5 and len(data["records"]) == 5
    assert {"baselines", "accepted_by_model", "sample0_vs_outcomes_csv"} <= set(data)
    assert data["total_wall_s"] >= data["wall_s"]
    for figures in data["protocols"].values():
        assert figures["wall_s"] >= figures["cascade_s"] > 0
    bad = CliRunner().invoke(cli, [*args, "--protocol", "sometimes"])
    assert bad.exit_code == 2 and "sometimes" in bad.stderr


def test_cli_text_shows_the_default_summary_and_the_protocol_table(tmp_path: Path) -> None:
    args = ["bench", "--suite", str(DESCRIBED), "--db", str(tmp_path / "t.db")]
    result = CliRunner().invoke(cli, [*args, "--protocol", "default,online", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "cascade" in result.stdout and "oracle" in result.stdout  # the default's table
    assert "Bench protocols" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:6] == "online"]
    assert rows and rows[0][1] == "2", result.stdout  # the online pass: 2 tasks, not squeezed
    assert "online learned" in " ".join(result.stdout.split())
