"""`escalator demo` on the bundled suite (a few problems, to stay fast)."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_demo_json_reports_log_and_report(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(
        cli, ["demo", "--limit", "4", "--db", str(db), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tasks"] == 4
    assert data["db_path"] == str(db)
    assert "oracle" in data["baselines"]
    assert data["report_command"].startswith("escalator report --db")
    if data["report"] is not None:
        assert Path(data["report"]).read_text().startswith("<!DOCTYPE html>")


def test_demo_human_output_has_climbs_and_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["demo", "--limit", "3", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "r.html")],
    )
    assert result.exit_code == 0, result.output
    assert "cascade" in result.stdout and "oracle" in result.stdout
    assert "accepted" in result.stderr  # each task's climb, live on stderr
    assert "task log:" in result.stdout
