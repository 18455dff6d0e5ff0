"""`escalator demo` on the bundled suite (a few problems, to stay fast)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from escalator.analytics import format_pct, format_rate, format_usd
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
    assert data["strongest_model"] in data["definitions"]["strongest alone"]
    # The bench's own figures (from its records) equal what the task logs now say.
    for side in ("static", "learned"):
        figures, bench = data["figures"][side], data[side]
        assert figures["tasks"] == 3
        assert figures["hidden_pass_rate"] == pytest.approx(bench["pass_rate"], abs=1e-4)
        assert figures["cost_usd"] == pytest.approx(bench["cost_usd"], abs=1e-6)
        assert figures["false_accepts"] == bench["false_accepts"]
        assert figures["baseline_model"] == bench["strongest_model"]
        assert figures["baseline_cost_usd"] == pytest.approx(bench["strongest_cost_usd"], abs=1e-6)
        assert figures["baseline_hidden_pass_rate"] == pytest.approx(
            bench["strongest_pass_rate"], abs=1e-4
        )
    assert data["db_path"] == str(tmp_path / "demo-split-learned.db")
    with sqlite3.connect(data["db_path"]) as conn:  # the log holds what the text says
        assert conn.execute("select count(*) from tasks").fetchone()[0] == 6
        # only the held-out tasks are scored; the tuning tasks (learned from) are not
        scored = "select count(*) from tasks where hidden_pass is not null"
        assert conn.execute(scored).fetchone()[0] == 3
    assert data["report_command"].startswith("escalator report --db")
    if data["report"] is not None:
        assert Path(data["report"]).read_text().startswith("<!DOCTYPE html>")


def _row(stdout: str, name: str) -> list[str]:
    """The cells of the comparison table's row ``name`` as the terminal shows them."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == name:
            return cells[1:]
    raise AssertionError(f"no row {name!r} in:\n{stdout}")


def _stats(db: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["stats", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_demo_terminal_figures_equal_stats_json_on_its_logs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["demo", "--limit", "6", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "r.html")],
        env={"COLUMNS": "220"},
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("static matrix", "learned policy", "strongest alone", "oracle", "savings"):
        assert text in out
    assert "accepted" in result.stderr  # each task's climb, live on stderr
    assert "held-out problems" in result.stderr
    static = _stats(str(tmp_path / "d-split-static.db"))
    learned = _stats(str(tmp_path / "d-split-learned.db"))
    for command in (
        f"escalator stats --db {static['db']}",
        f"escalator stats --db {learned['db']}",
    ):
        assert command in out  # the terminal names the commands that reproduce its figures
    s, m = static["scored"], learned["scored"]
    assert s["tasks"] == m["tasks"] == 3 and static["tasks"] == 3 and learned["tasks"] == 6
    assert f"{m['tasks']} held-out problems" in out
    assert _row(out, "passed validation")[:2] == [
        format_rate(s["validation_pass_rate"]),
        format_rate(m["validation_pass_rate"]),
    ]
    assert _row(out, "hidden pass")[:3] == [
        format_rate(s["hidden_pass_rate"]),
        format_rate(m["hidden_pass_rate"]),
        format_rate(m["baseline_hidden_pass_rate"]),
    ]
    assert _row(out, "cost")[:3] == [
        format_usd(s["cost_usd"]),
        format_usd(m["cost_usd"]),
        format_usd(m["baseline_cost_usd"]),
    ]
    assert _row(out, "savings")[:2] == [format_pct(s["savings_pct"]), format_pct(m["savings_pct"])]
    assert _row(out, "false accepts")[:2] == [str(s["false_accepts"]), str(m["false_accepts"])]
    assert f"strongest alone: {m['baseline_model']}, what it would have cost" in out
    # stats on a log a bench scored throughout shows savings against that baseline only
    headline = CliRunner().invoke(cli, ["stats", "--db", static["db"]]).stdout.splitlines()[0]
    assert f"vs strongest model alone ({s['baseline_model']})" in headline
    assert "cloud-only" not in headline
    assert f"{format_usd(s['savings_usd'])}, {format_pct(s['savings_pct'])})" in headline
    # the learned log (tuning tasks unscored): its headline gives the scored tasks' savings
    # too, so the demo's report (rendered from that log) shows the demo's own figure
    words = CliRunner().invoke(cli, ["stats", "--db", learned["db"]]).stdout.split()
    headline = " ".join(words)  # the terminal wraps the line
    assert f"on the {m['tasks']} tasks a bench scored" in headline
    assert f"{format_usd(m['savings_usd'])} ({format_pct(m['savings_pct'])})" in headline
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"on the {m['tasks']} tasks a bench scored" in page
