"""Honest outcomes: what did not run is said, and critical work waits for a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from escalator.cli.main import cli
from tests.engine.conftest import BUGGY, FIXED, search_replace, whole
from tests.fakes import AnthropicFake, LMStudioFake

QWEN3 = "qwen/qwen3-30b-a3b"
SONNET = "claude-sonnet-5-5"


def _config(tmp_path: Path, lms: str, claude: str, extra: str = "") -> Path:
    cfg = tmp_path / "escalator.toml"
    cfg.write_text(
        f'[providers.lmstudio]\nbase_url = "{lms}"\nbackoff_base_s = 0.0\n'
        f'[providers.anthropic]\nbase_url = "{claude}"\nbackoff_base_s = 0.0\n'
        f'[store]\ndb_path = "{tmp_path / "tasks.db"}"\n{extra}'
    )
    return cfg


def _run(cfg: Path, ws: Path, task_type: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        cli,
        [
            "--config", str(cfg), "run", "Fix add() so that it returns the sum",
            "--workspace", str(ws), "--files", "calc.py", "--tests", "python -m pytest -q",
            "--type", task_type, "--json", *extra,
        ],
    )  # fmt: skip
    return result.exit_code, json.loads(result.stdout)


def test_a_validator_that_did_not_run_is_not_validated_by(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    # complex work: syntax, tests, semantic; the checker is paid (sonnet) and paid models
    # are refused, so the semantic check cannot run
    extra = (
        '[matrix.complex_architecture]\nchain = ["qwen3-30b"]\ncheckers = ["sonnet"]\n'
        'validators = ["syntax", "tests", "semantic"]\nafter_last = "skip"\n'
    )
    cfg = _config(tmp_path, lmstudio_fake.url, anthropic_fake.url, extra)
    lmstudio_fake.script(QWEN3, whole(FIXED))
    _, record = _run(cfg, workspace, "complex_architecture", "--complexity", "8", "--no-paid")
    reason = str(record["reason"])
    # the fixed code passes syntax and tests, so the task passes, and says what did not run
    assert record["outcome"] == "passed", reason
    assert "validated by syntax, tests" in reason
    assert "validated by syntax, tests, semantic" not in reason
    assert "not run: semantic" in reason
    assert "checker sonnet not used: paid models were not approved" in reason
    assert float(record["confidence"]) <= 2 / 3  # two of three validators ran
    assert anthropic_fake.requests == []


def test_critical_work_waits_for_review_with_the_validated_change(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake, anthropic_fake: AnthropicFake
) -> None:
    row = '[matrix.critical]\nvalidators = ["syntax", "tests"]\ncheckers = []\n'
    cfg = _config(tmp_path, lmstudio_fake.url, anthropic_fake.url, row)
    anthropic_fake.script(SONNET, search_replace("    return a - b", "    return a + b"))
    _, record = _run(cfg, workspace, "critical", "--yes")
    assert record["outcome"] == "needs_review", record["reason"]
    assert "reviewed by a person" in str(record["reason"])
    assert (workspace / "calc.py").read_text() == BUGGY  # nothing applied yet
    approved = CliRunner().invoke(
        cli, ["--config", str(cfg), "review", "approve", str(record["task_id"])[:10], "--json"]
    )
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.stdout)["outcome"] == "passed"  # validated: no --force needed
    assert (workspace / "calc.py").read_text() == FIXED

    (workspace / "calc.py").write_text(BUGGY)
    opted_out = _config(
        tmp_path, lmstudio_fake.url, anthropic_fake.url,
        row + "review_passed = false\n",
    )  # fmt: skip
    anthropic_fake.script(SONNET, search_replace("    return a - b", "    return a + b"))
    _, record = _run(opted_out, workspace, "critical", "--yes")
    assert record["outcome"] == "passed" and record["applied"] is True
    assert (workspace / "calc.py").read_text() == FIXED
