from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from escalator.analytics import compute_stats
from escalator.cli.main import cli
from escalator.store import TaskLog


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_log_lists_tasks_as_json(db: str, log: TaskLog, seeded: dict[str, list[str]]) -> None:
    result = _run("log", "--db", db, "--json", "--limit", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["db"] == db and len(data["tasks"]) == 5
    newest = log.list_tasks(limit=5)
    assert [t["task_id"] for t in data["tasks"]] == [t.task_id for t in newest]
    first = data["tasks"][0]
    assert set(first) >= {
        "task_id",
        "timestamp",
        "task_type",
        "outcome",
        "final_model",
        "attempts",
        "cost_usd",
    }


def test_log_filters_by_type_and_outcome(db: str, seeded: dict[str, list[str]]) -> None:
    result = _run(
        "log",
        "--db",
        db,
        "--json",
        "--type",
        "complex_architecture",
        "--outcome",
        "needs_review",
    )
    tasks = json.loads(result.stdout)["tasks"]
    assert [t["description"] for t in tasks] == ["design plugin system"]


def test_log_shows_one_task_by_prefix(db: str, seeded: dict[str, list[str]]) -> None:
    tid = seeded["standard_development"][-1]
    result = _run("log", tid[:10], "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["task"]["task_id"] == tid and data["task"]["description"] == "add retry to client"
    assert [a["model"] for a in data["attempts"]] == ["qwen3-30b"] * 3 + ["local-32b"] * 3 + [
        "haiku"
    ]
    assert data["attempts"][4]["error_kind"] == "endpoint_unreachable"
    assert [v["validator"] for v in data["attempts"][0]["verdicts"]] == ["syntax", "tests"]
    assert [(e["kind"], e["from_model"], e["to_model"]) for e in data["events"]] == [
        ("escalation", "qwen3-30b", "local-32b"),
        ("escalation", "local-32b", "haiku"),
    ]


def test_log_human_output(db: str, seeded: dict[str, list[str]]) -> None:
    listing = _run("log", "--db", db)
    assert listing.exit_code == 0
    assert "design plugin system" not in listing.stdout  # the list shows ids, not text
    assert seeded["critical"][-1][:8] in listing.stdout and "awaiting_approval" in listing.stdout
    detail = _run("log", seeded["standard_development"][-1][:8], "--db", db)
    assert "add retry to client" in detail.stdout
    assert "tests:failed" in detail.stdout and "escalation qwen3-30b -> local-32b" in detail.stdout


def test_log_errors_exit_2_and_name_the_fix(
    db: str, seeded: dict[str, list[str]], tmp_path: Path
) -> None:
    unknown = _run("log", "ffffffff", "--db", db, "--json")
    assert unknown.exit_code == 2
    error = json.loads(unknown.stdout)  # under --json the error is a JSON object on stdout
    assert error["exit_code"] == 2 and error["error_kind"] == "input_error"
    assert "run 'escalator log' to list task ids" in error["error"]
    assert "run 'escalator log' to list task ids" in unknown.stderr
    missing = _run("log", "--db", str(tmp_path / "nope.db"))
    assert missing.exit_code == 2 and "pass --db" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
    bad = _run("log", "--db", db, "--type", "poetry")
    assert bad.exit_code == 2


def test_stats_json_matches_the_library(
    db: str, log: TaskLog, seeded: dict[str, list[str]]
) -> None:
    result = _run("stats", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = json.loads(json.dumps(compute_stats(log).to_json()))
    assert data == {"db": db, **expected, "arms": []}
    assert data["by_type"]["quick_edit"]["tasks"] == 10
    assert data["suggestions"][0]["model"] == "local-32b"


def test_stats_human_output(db: str, seeded: dict[str, list[str]]) -> None:
    result = _run("stats", "--db", db)
    assert result.exit_code == 0
    out = result.stdout
    assert re.search(r"26 tasks: 23 passed validation \(88%\)", out)
    assert "cloud-only: what the strongest" in out
    for name in ("quick_edit", "critical", "local-14b", "sonnet", "Suggested chain changes"):
        assert name in out
    assert "drop local-32b from the complex_architecture chain" in out


def test_stats_on_an_empty_default_log(isolated_user_dirs: Path) -> None:
    result = _run("stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tasks"] == 0 and data["db"].startswith(str(isolated_user_dirs / "data"))


def test_log_json_through_a_real_subprocess(db: str, seeded: dict[str, list[str]]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "escalator.cli.main", "log", "--db", db, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["tasks"]) == 20
