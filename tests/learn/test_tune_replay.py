"""``escalator tune`` and ``escalator replay`` on a log whose right answers are known by
construction (real SQLite log, real CLI)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from escalator.cli.main import cli
from escalator.config import default_config, load_config
from escalator.config_template import render_default_toml
from escalator.store import AttemptRecord, TaskRecord, open_log

T = "standard_development"
COST = {"qwen3-30b": 0.0, "haiku": 0.002, "sonnet": 0.004, "opus": 0.008}
F, V = "failed", "verified"
GROUPS = [
    # (tasks, [(model, label)]): the log a static chain qwen3-30b -> haiku -> sonnet -> opus
    # would leave, plus tasks where the local answer and sonnet's agreed
    (15, [("qwen3-30b", F), ("haiku", F), ("sonnet", V)]),
    (5, [("qwen3-30b", F), ("haiku", F), ("sonnet", F), ("opus", F)]),
    (5, [("qwen3-30b", V), ("sonnet", V)]),
    (3, [("qwen3-30b", F), ("haiku", V)]),
]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.db"
    with open_log(path, config=default_config()) as log:
        for count, steps in GROUPS:
            for _ in range(count):
                final = next((m for m, label in steps if label == V), None)
                tid = log.create_task(TaskRecord(task_type=T, description="x"))
                for model, label in steps:
                    outcome = "passed" if label == V and model == final else "failed"
                    log.add_attempt(
                        AttemptRecord(
                            task_id=tid,
                            model=model,
                            outcome=outcome,
                            label=label,
                            cost_usd=COST[model],
                            tokens_in=1000,
                            tokens_out=200,
                        )
                    )
                log.update_task(tid, outcome="passed" if final else "skipped", final_model=final)
    return path


def test_tune_orders_by_evidence_and_learns_trust_and_pairs(db: Path) -> None:
    result = _run("tune", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["types"][T]
    assert row["tasks"] == 28 and row["enough_evidence"] and row["changed"]
    # free models first (local-32b: configured, no evidence yet); then sonnet before
    # haiku: haiku rarely succeeds after the local model failed (3 of 23), so its cost per
    # verified result (about $0.015) is three times sonnet's ($0.005)
    assert row["chain"][:3] == ["qwen3-30b", "local-32b", "sonnet"]
    assert row["chain"].index("sonnet") < row["chain"].index("haiku")
    models = {m["model"]: m for m in row["models"]}
    assert (models["sonnet"]["n"], models["sonnet"]["rate"]) == (25, 0.8)
    assert models["haiku"]["rate_after_local"] == pytest.approx(3 / 23, abs=1e-4)
    assert models["sonnet"]["cost_usd"] == pytest.approx(0.004)
    assert "sonnet" in row["trusted"]  # 20 corroborated answers, none contradicted
    pair = next(p for p in row["pairs"] if (p["worker"], p["checker"]) == ("qwen3-30b", "sonnet"))
    assert (pair["n"], pair["rate"]) == (25, 0.2)
    assert not json.loads(result.stdout)["types"]["critical"]["enough_evidence"]


def test_replay_counts_what_it_can_and_cannot_tell(db: Path, tmp_path: Path) -> None:
    matrix = tmp_path / "matrix.toml"
    matrix.write_text('[matrix.standard_development]\nchain = ["qwen3-30b", "sonnet"]\n')
    result = _run("replay", "--matrix", str(matrix), "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the 3 tasks only haiku solved reach sonnet, which the log never asked: unknown
    assert (data["tasks"], data["known"], data["unknown"]) == (28, 25, 3)
    assert data["pass_rate"] == pytest.approx(20 / 25)
    assert data["cost_usd"] == pytest.approx(20 * 0.004)
    assert data["logged_pass_rate"] == pytest.approx(20 / 25)
    assert data["logged_cost_usd"] == pytest.approx(15 * 0.006 + 5 * 0.014 + 5 * 0.004)


def test_replay_names_an_unknown_model(db: Path, tmp_path: Path) -> None:
    matrix = tmp_path / "matrix.toml"
    matrix.write_text('[matrix.standard_development]\nchain = ["qwen3-30b", "gpt-9"]\n')
    result = CliRunner().invoke(cli, ["replay", "--matrix", str(matrix), "--db", str(db)])
    assert result.exit_code == 2
    assert "gpt-9" in result.output and "Traceback" not in result.output


def test_tune_apply_writes_the_config_and_keeps_the_previous_one(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "escalator.toml"
    original = render_default_toml()
    config.write_text(original)
    result = _run("--config", str(config), "tune", "--db", str(db), "--apply", "--json")
    assert result.exit_code == 0, result.output
    applied = json.loads(result.stdout)["applied"]
    assert applied["changed"] == [T]
    assert Path(applied["previous"]).read_text() == original
    tuned = load_config(config)
    row = next(r for t, r in tuned.matrix.items() if t.value == T)
    assert row.chain[:3] == ("qwen3-30b", "local-32b", "sonnet")
    assert "sonnet" in tomllib.loads(config.read_text())["matrix"][T]["trusted"]
    assert not list(tmp_path.glob(".escalator.toml.*"))  # no temp file left behind


def test_tune_apply_without_a_config_file_says_how_to_make_one(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["tune", "--db", str(db), "--apply"])
    assert result.exit_code == 2
    assert "escalator init" in result.output
