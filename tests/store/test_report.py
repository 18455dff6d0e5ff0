"""The HTML report: self-contained, and rendered for real in headless Chromium."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.analytics import compute_stats
from escalator.cli.main import cli
from escalator.cli.report_html import render_report
from escalator.store import TaskLog, TaskRecord

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
]
MODELS = ("local-14b", "qwen3-30b", "local-32b", "haiku", "sonnet", "gemini-flash")
TYPES = ("quick_edit", "standard_development", "complex_architecture", "critical")


def _write_report(db: str, out: Path) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["report", "--out", str(out), "--db", db, "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_report_is_self_contained(db: str, seeded: dict[str, list[str]], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    data = _write_report(db, out)
    assert data["out"] == str(out) and data["tasks"] == 26
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"<script|<link|<img|@import|url\(|https?://", page)
    assert page.count("<svg") >= len(TYPES) * 2 + len(MODELS)
    for name in (*TYPES, *MODELS):
        assert name in page
    assert "drop local-32b from the complex_architecture chain" in page


def test_report_escapes_task_text(log: TaskLog) -> None:
    log.create_task(TaskRecord(task_type="quick_edit", description="<script>alert(1)</script>"))
    page = render_report(compute_stats(log), log.list_tasks())
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_report_of_an_empty_log(tmp_path: Path, log: TaskLog) -> None:
    page = render_report(compute_stats(log), [])
    assert "No tasks logged yet" in page and "<table" in page  # the chains table


def test_report_needs_a_writable_out(db: str, log: TaskLog, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(
        cli, ["report", "--out", str(tmp_path / "file" / "r.html"), "--db", db]
    )
    assert result.exit_code == 2 and "pass another --out" in result.stderr
    missing = CliRunner().invoke(cli, ["report", "--db", db])
    assert missing.exit_code == 2 and "--out" in missing.stderr


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)"
)
def test_report_renders_in_headless_chromium(
    db: str, seeded: dict[str, list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    _write_report(db, out)
    png = tmp_path / "report.png"
    shot = _chromium(tmp_path, f"--screenshot={png}", out.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 900)
    assert len(data) > 20_000  # a blank 1200x900 page compresses to a few kB

    dom = _chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    for name in (*TYPES, *MODELS):
        assert f">{name}<" in dom.stdout
    assert dom.stdout.count("<svg") >= len(TYPES) * 2 + len(MODELS)
    assert "Suggested chain changes" in dom.stdout
