"""`escalator demo` on the bundled suite (a few problems, to stay fast)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.bench.suite import load_suite
from escalator.cli.demo import demo_suite_path
from escalator.cli.main import cli


def test_bundled_demo_suite_is_valid_and_licensed() -> None:
    folder = demo_suite_path()
    suite = load_suite(folder)
    assert 20 <= len(suite.problems) <= 30
    assert any(m.is_local for m in suite.models) and any(not m.is_local for m in suite.models)
    notice = (folder / "NOTICE").read_text()
    assert "Apache License 2.0" in notice and "MIT License" in notice
    assert (folder / "LICENSE-APACHE-2.0").is_file()


def test_demo_json_compares_policies_on_held_out_problems(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(
        cli, ["demo", "--limit", "6", "--db", str(db), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["held_out"] + data["tuned_on"] == 6 and data["held_out"] == 3
    assert data["static"]["policy"] == "static" and data["learned"]["policy"] == "learned"
    strongest = data["strongest"]
    assert data["learned"]["strongest_model"] == data["strongest_model"]
    assert data["learned"]["strongest_cost_usd"] == strongest["cost_usd"]
    for side in ("static", "learned"):  # savings are against the strongest model alone
        ratio = data[side]["cost_ratio_vs_strongest"]
        if strongest["cost_usd"] > 0:
            assert ratio == pytest.approx(data[side]["cost_usd"] / strongest["cost_usd"], abs=1e-3)
        else:
            assert ratio is None
    assert "cloud-only" in data["definitions"]["strongest alone"]
    assert data["db_path"] == str(tmp_path / "demo-split-learned.db")
    with sqlite3.connect(data["db_path"]) as conn:  # the log holds what the text says
        assert conn.execute("select count(*) from tasks").fetchone()[0] == 6
    assert data["report_command"].startswith("escalator report --db")
    if data["report"] is not None:
        assert Path(data["report"]).read_text().startswith("<!DOCTYPE html>")


def test_demo_human_output_has_climbs_table_and_definitions(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["demo", "--limit", "4", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "r.html")],
    )
    assert result.exit_code == 0, result.output
    for text in ("static matrix", "learned policy", "strongest alone", "oracle", "savings"):
        assert text in result.stdout
    assert "cloud-only" in result.stdout and "task log (learned policy):" in result.stdout
    assert "accepted" in result.stderr  # each task's climb, live on stderr
    assert "held-out problems" in result.stderr
