"""The report as a browser renders it states the same figures as ``stats --json``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.analytics import format_rate, format_usd
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


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
def test_rendered_report_figures_match_stats_json(
    db: str, log: TaskLog, seeded: dict[str, list[str]], tmp_path: Path
) -> None:
    _forced_approval(log)
    out = tmp_path / "report.html"
    written = CliRunner().invoke(cli, ["report", "--out", str(out), "--db", db])
    assert written.exit_code == 0, written.output
    stats = json.loads(CliRunner().invoke(cli, ["stats", "--db", db, "--json"]).stdout)
    dom = _chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout

    assert _card(page, "tasks") == str(stats["tasks"]) == "27"
    assert _card(page, "passed") == f"{stats['passed']} ({format_rate(stats['pass_rate'])})"
    assert _card(page, "approved_by_reviewer") == str(stats["approved_by_reviewer"]) == "1"
    assert _card(page, "escalated") == format_rate(stats["escalation_rate"])
    assert _card(page, "cost") == format_usd(stats["cost_usd"])
    assert _card(page, "cloud_only") == format_usd(stats["cloud_only_cost_usd"])
    saved = f"{stats['savings_pct']:.0f}%"
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
