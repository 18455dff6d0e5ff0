"""A tiny 3-problem, 3-model suite run end to end through the real engine and scorer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.bench.matrix import pareto_chain
from escalator.bench.report import summarise
from escalator.bench.runner import BenchOptions, run_bench
from escalator.bench.suite import load_suite
from escalator.bench.tasks import NAIVE_VALIDATORS
from escalator.cli.main import cli


def test_cascade_escalates_accepts_and_scores(tiny_suite_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    events: list[str] = []
    run = run_bench(
        load_suite(tiny_suite_dir),
        BenchOptions(
            concurrency=2,
            db_path=db,
            on_event=lambda e: events.append(e.kind),
            validators=NAIVE_VALIDATORS,
        ),
    )
    summary = summarise(run)
    records = {r.id: r for r in run.records}
    assert run.chain == ("free-weak", "free-multi", "paid-strong")

    add = records["Tiny/add"]
    assert add.final_model == "free-weak" and add.hidden_pass and add.cost_usd == 0

    rev = records["Tiny/rev"]  # both free models fail the visible test: paid model accepts
    assert rev.models_tried == ["free-weak", "free-multi", "paid-strong"]
    assert rev.final_model == "paid-strong" and rev.hidden_pass and rev.cost_usd > 0

    clamp = records["Tiny/clamp"]  # free-weak passes the visible test, fails hidden ones
    assert clamp.final_model == "free-weak" and clamp.visible_pass and not clamp.hidden_pass
    assert clamp.models_tried == ["free-weak"]  # free-multi has no answer for it

    data = summary.to_json()
    assert data["tasks"] == 3
    assert data["pass_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert data["false_accept_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert data["accepted_by_model"] == {"free-weak": 2, "paid-strong": 1}
    assert data["cost_usd"] == pytest.approx(rev.cost_usd)
    base = data["baselines"]
    assert base["free-weak"]["pass_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert base["free-multi"]["pass_rate"] == 0
    assert base["paid-strong"]["pass_rate"] == 1
    assert base["oracle"]["pass_rate"] == 1
    assert base["oracle"]["assigned"] == {"paid-strong": 2, "free-weak": 1}
    assert 0 < base["oracle"]["cost_usd"] < base["paid-strong"]["cost_usd"]
    assert data["strongest_model"] == "paid-strong"
    assert 0 < data["cost_ratio_vs_strongest"] < 1
    assert data["estimated_model_time_s"] > 0
    assert events.count("task_done") == 3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from tasks").fetchone()[0] == 3
        attempts = conn.execute("select count(*) from attempts").fetchone()[0]
    assert attempts == sum(r.attempts for r in run.records) == 5


def test_agreement_gate_does_not_accept_a_lone_answer_while_others_can_check_it(
    tiny_suite_dir: Path, tmp_path: Path
) -> None:
    run = run_bench(
        load_suite(tiny_suite_dir), BenchOptions(concurrency=2, db_path=tmp_path / "a.db")
    )
    records = {r.id: r for r in run.records}
    add = records["Tiny/add"]  # free-weak alone passes: the paid model is asked and agrees
    assert add.models_tried == ["free-weak", "free-multi", "paid-strong"]
    assert add.final_model == "paid-strong" and add.hidden_pass and add.cost_usd > 0
    clamp = records["Tiny/clamp"]  # the naive cascade's false accept: the paid model disagrees
    assert clamp.models_tried == ["free-weak", "paid-strong"]  # free-multi has no answer
    assert clamp.final_model == "paid-strong" and clamp.hidden_pass


def test_more_attempts_use_the_next_sample(tiny_suite_dir: Path, tmp_path: Path) -> None:
    run = run_bench(
        load_suite(tiny_suite_dir),
        BenchOptions(
            chain=("free-multi",), attempts_per_model=2, db_path=tmp_path / "l.db", limit=2
        ),
    )
    rev = next(r for r in run.records if r.id == "Tiny/rev")
    assert rev.final_model == "free-multi" and rev.attempts == 2 and rev.hidden_pass


def test_cli_bench_json(tiny_suite_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "--suite",
            str(tiny_suite_dir),
            "--db",
            str(tmp_path / "c.db"),
            "--protocol",
            "default",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "suite",
        "tasks",
        "pass_rate",
        "cost_usd",
        "false_accept_rate",
        "accepted_by_model",
        "baselines",
        "wall_s",
        "cost_ratio_vs_strongest",
        "estimated_model_time_s",
        "records",
    ):
        assert key in data
    assert set(data["records"][0]) >= {
        "id",
        "outcome",
        "final_model",
        "models_tried",
        "attempts",
        "cost_usd",
        "visible_pass",
        "hidden_pass",
    }
    assert data["suite"] == "tiny"
    assert set(data["protocols"]) == {"default"}
    assert data["protocols"]["default"]["pass_rate"] == data["pass_rate"]


def test_cli_bench_bad_suite_exits_2(tmp_path: Path, tiny_suite_dir: Path) -> None:
    (tiny_suite_dir / "models.json").unlink()
    result = CliRunner().invoke(cli, ["bench", "--suite", str(tiny_suite_dir), "--json"])
    assert result.exit_code == 2
    assert "models.json" in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 2  # --json: the error as JSON on stdout


def test_cli_bench_unknown_chain_model_exits_2(tiny_suite_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "--suite",
            str(tiny_suite_dir),
            "--chain",
            "free-weak,gpt-9",
            "--db",
            str(tmp_path / "x.db"),
            "--protocol",
            "default",
        ],
    )
    assert result.exit_code == 2
    assert "gpt-9" in result.stderr


def test_bench_config_replay_provider_prices_and_limits(tiny_suite_dir: Path) -> None:
    from escalator.bench.matrix import bench_config, default_chain
    from escalator.registry import ModelTier

    suite = load_suite(tiny_suite_dir)
    chain = default_chain(suite)
    cfg = bench_config(suite, chain, "http://127.0.0.1:9", concurrency=3)
    assert cfg.providers["replay"].kind == "lmstudio"
    assert cfg.providers["replay"].max_concurrent == 3
    assert cfg.models["free-weak"].tier is ModelTier.LOCAL_FAST
    assert cfg.models["paid-strong"].is_paid
    assert cfg.models["paid-strong"].price_out_per_mtok == 15.0
    assert all(row.chain == chain and row.after_last == "skip" for row in cfg.matrix.values())
    assert cfg.validation.timeout_s == 10


def test_unknown_trusted_model_is_a_clear_error(tiny_suite_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "--suite",
            str(tiny_suite_dir),
            "--trust",
            "gpt-9",
            "--db",
            str(tmp_path / "t.db"),
            "--protocol",
            "default",
            "--json",
        ],
    )
    assert result.exit_code == 2
    assert "trusted" in result.output and "gpt-9" in result.output


def test_pareto_chain_drops_paid_models_beaten_on_price_and_pass_rate(
    tiny_suite_dir: Path,
) -> None:
    suite = load_suite(tiny_suite_dir)
    chain = pareto_chain(suite)
    assert chain[-1] == "paid-strong"
    assert set(chain) >= {m.slug for m in suite.models if m.is_local}


def test_pareto_chain_on_the_shared_suite() -> None:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "humaneval"
    if not (shared / "models.json").is_file():
        pytest.skip("shared/bench/humaneval is not checked out here")
    suite = load_suite(shared)
    paid = [slug for slug in pareto_chain(suite) if not suite.model(slug).is_local]
    # gpt-3.5-0301, claude-*, gpt-4-1106 and gpt-4-0314 cost as much or more and pass fewer
    assert paid == ["gpt-3.5-turbo-0613", "gpt-4-reflexion"]
