"""The report as a browser renders it states the same figures as ``stats --json``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from escalator.analytics import format_pct, format_rate, format_usd
from escalator.cli.main import cli
from escalator.store import AttemptRecord, TaskLog, TaskRecord
from tests.store.test_report import CHROMIUM, _chromium


def _forced_approval(log: TaskLog) -> None:
    tid = log.create_task(
        TaskRecord(task_type="complex_architecture", description="forced", outcome="running")
    )
    log.add_attempt(AttemptRecord(tid, "local-32b", "failed", cost_usd=0.0))
    log.update_task(tid, outcome="approved_by_reviewer", final_model="local-32b")


def _card(dom: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">[^<]*<b>([^<]*)</b>', dom)
    assert match, key
    return match.group(1).replace("&amp;", "&")


def _render(db: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    out = tmp_path / "report.html"
    written = CliRunner().invoke(cli, ["report", "--out", str(out), "--db", db])
    assert written.exit_code == 0, written.output
    stats = json.loads(CliRunner().invoke(cli, ["stats", "--db", db, "--json"]).stdout)
    dom = _chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    return stats, dom.stdout


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
def test_rendered_report_figures_match_stats_json(
    db: str, log: TaskLog, seeded: dict[str, list[str]], tmp_path: Path
) -> None:
    _forced_approval(log)
    stats, page = _render(db, tmp_path)

    assert _card(page, "tasks") == str(stats["tasks"]) == "27"
    assert _card(page, "passed") == f"{stats['passed']} ({format_rate(stats['pass_rate'])})"
    assert _card(page, "approved_by_reviewer") == str(stats["approved_by_reviewer"]) == "1"
    assert _card(page, "escalated") == format_rate(stats["escalation_rate"])
    assert _card(page, "cost") == format_usd(stats["cost_usd"])
    assert _card(page, "cloud_only") == format_usd(stats["cloud_only_cost_usd"])
    saved = format_pct(stats["savings_pct"])
    assert _card(page, "saved") == f"{format_usd(stats['savings_usd'])} ({saved})"
    assert stats["cloud_only_definition"] in page  # "cloud-only" defined where shown

    for name, model in stats["by_model"].items():
        row = re.search(rf'<tr data-model="{re.escape(name)}">(.*?)</tr>', page, re.S)
        assert row, name
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
        assert cells[1] == str(model["attempts"]) and cells[2] == str(model["passes"])
        assert cells[4] == f"{model['tasks_passed']}/{model['tasks']}"
        assert cells[5] == str(model["tasks_accepted"])
        assert cells[6] == format_usd(model["cost_usd"])
    for task_type, runs in stats["chains_run"].items():
        for run in runs:
            assert " → ".join(run["chain"]) in page, task_type


def _score(log: TaskLog, task_ids: list[str]) -> None:
    """Write a bench's scores for these tasks, as ``bench.record`` does: some accepted
    answers fail the hidden tests (false accepts), the baseline costs vary per task."""
    for i, tid in enumerate(task_ids):
        task = log.get_task(tid)
        log.update_task(
            tid,
            hidden_pass=task.outcome == "passed" and i % 3 != 0,
            baseline_model="opus",
            baseline_cost_usd=0.011 * (i + 1),
            baseline_hidden_pass=i % 4 != 0,
        )


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
@pytest.mark.parametrize("share", ["some", "all"])
def test_rendered_report_scored_figures_match_stats_json(
    db: str, log: TaskLog, seeded: dict[str, list[str]], tmp_path: Path, share: str
) -> None:
    ids = [tid for ids in seeded.values() for tid in ids]
    _score(log, ids if share == "all" else ids[::2])
    stats, page = _render(db, tmp_path)
    s = stats["scored"]
    assert s["tasks"] == (len(ids) if share == "all" else len(ids[::2]))
    assert s["false_accepts"] > 0 and s["baseline_model"] == "opus"
    of = f" of {s['tasks']}"
    assert _card(page, "hidden_passed") == f"{s['hidden_passed']}{of} " + (
        f"({format_rate(s['hidden_pass_rate'])})"
    )
    assert _card(page, "scored_validated") == f"{s['passed_validation']}{of} " + (
        f"({format_rate(s['validation_pass_rate'])})"
    )
    assert _card(page, "false_accepts") == str(s["false_accepts"])
    assert _card(page, "scored_cost") == format_usd(s["cost_usd"])
    assert _card(page, "baseline") == format_usd(s["baseline_cost_usd"])
    assert _card(page, "saved_baseline") == (
        f"{format_usd(s['savings_usd'])} ({format_pct(s['savings_pct'])})"
    )
    # each baseline shown is defined on the page, and named
    assert "Strongest model alone* (opus)" in page
    assert s["baseline_definition"] in page and s["hidden_definition"] in page
    if share == "all":  # a wholly scored log measures savings against the baseline only
        assert 'data-figure="cloud_only"' not in page
        assert f"vs strongest model alone (opus) {format_usd(s['baseline_cost_usd'])}" in page
    else:
        assert _card(page, "cloud_only") == format_usd(stats["cloud_only_cost_usd"])
        assert stats["cloud_only_definition"] in page
