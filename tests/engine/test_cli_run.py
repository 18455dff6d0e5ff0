"""`escalator run`, `log`, `review` and `resume` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from escalator.cli.main import cli
from tests.engine.conftest import BUGGY, FIXED, WRONG, whole
from tests.fakes import LMStudioFake

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"


def write_config(tmp_path: Path, lmstudio_url: str, extra: str = "") -> Path:
    cfg = tmp_path / "escalator.toml"
    cfg.write_text(
        f'[providers.lmstudio]\nbase_url = "{lmstudio_url}"\nbackoff_base_s = 0.0\n'
        f'[store]\ndb_path = "{tmp_path / "tasks.db"}"\n{extra}'
    )
    return cfg


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout


def test_run_first_model_wrong_second_right(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(WRONG), whole(WRONG))
    lmstudio_fake.script(CODER, whole(FIXED))
    cfg = write_config(tmp_path, lmstudio_fake.url)
    code, out = invoke(
        "--config",
        str(cfg),
        "run",
        "Fix add() so that it returns the sum",
        "--workspace",
        str(workspace),
        "--files",
        "calc.py",
        "--tests",
        "python -m pytest -q",
        "--type",
        "standard_development",
        "--no-paid",
        "--json",
    )
    assert code == 0, out
    record = json.loads(out)
    assert record["outcome"] == "passed"
    assert record["escalations"] == 1
    assert record["final_model"] == "local-32b"
    assert record["models_tried"] == ["qwen3-30b", "local-32b"]
    assert set(record) >= {
        "task_id",
        "outcome",
        "task_type",
        "complexity",
        "attempts",
        "escalations",
        "final_model",
        "cost_usd",
        "tokens_in",
        "tokens_out",
        "latency_ms",
        "models_tried",
        "patch",
    }
    assert (workspace / "calc.py").read_text() == FIXED

    code, out = invoke("--config", str(cfg), "log", record["task_id"], "--json")
    assert code == 0, out
    shown = json.loads(out)
    attempts = shown["attempts"]
    assert len(attempts) == 3 == record["attempts"]  # every model call, the repeat included
    assert [a["model"] for a in attempts] == ["qwen3-30b", "qwen3-30b", "local-32b"]
    assert attempts[1]["error_kind"] == "identical_retry"

    code, out = invoke("--config", str(cfg), "log", "--json")
    assert code == 0
    listed = json.loads(out)
    tasks = listed["tasks"] if isinstance(listed, dict) else listed
    assert tasks[0]["task_id"] == record["task_id"]


def test_run_bad_input_exits_2(tmp_path: Path) -> None:
    code, _ = invoke("run", "do it", "--workspace", str(tmp_path / "missing"))
    assert code == 2
    result = CliRunner().invoke(
        cli, ["run", "do it", "--workspace", str(tmp_path), "--type", "huge"]
    )
    assert result.exit_code == 2
    assert "quick_edit" in result.output


def test_failed_complex_task_lands_in_review_and_approve_applies_it(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    # complex tasks end in manual review; a candidate that only misses the semantic check is
    # the best attempt and approving it applies it
    lmstudio_fake.script(CODER, whole(FIXED), whole(WRONG), whole(WRONG))
    cfg = write_config(
        tmp_path,
        lmstudio_fake.url,
        '[matrix.complex_architecture]\nchain = ["local-32b"]\n'
        'validators = ["syntax", "tests", "semantic"]\n',
    )
    code, out = invoke(
        "--config",
        str(cfg),
        "run",
        "Redesign the calculator plugin architecture",
        "--workspace",
        str(workspace),
        "--files",
        "calc.py",
        "--tests",
        "python -m pytest -q",
        "--type",
        "complex_architecture",
        "--complexity",
        "6",
        "--no-paid",
        "--json",
    )
    record = json.loads(out)
    assert code == 1
    assert record["outcome"] == "needs_review"
    assert (workspace / "calc.py").read_text() == BUGGY

    code, out = invoke("--config", str(cfg), "review", "list", "--json")
    assert code == 0
    assert [t["task_id"] for t in json.loads(out)] == [record["task_id"]]

    code, out = invoke("--config", str(cfg), "review", "show", record["task_id"][:8], "--json")
    assert code == 0
    item = json.loads(out)
    assert item["models_tried"] == ["local-32b"]
    assert "+    return a + b" in item["patch"]

    assert item["best_passed"] is False and item["failed_verdicts"]

    # the change failed a check: approving it needs --force, and is not recorded as passed
    code, out = invoke("--config", str(cfg), "review", "approve", record["task_id"][:8], "--json")
    assert code == 2 and "--force" in out
    assert (workspace / "calc.py").read_text() == BUGGY
    code, out = invoke(
        "--config", str(cfg), "review", "approve", record["task_id"][:8], "--force", "--json"
    )
    assert code == 0, out
    decision = json.loads(out)
    assert decision["applied"] is True and decision["outcome"] == "approved_by_reviewer"
    assert decision["failed_verdicts"]
    assert (workspace / "calc.py").read_text() == FIXED
    code, out = invoke("--config", str(cfg), "log", record["task_id"], "--json")
    shown = json.loads(out)
    assert shown["task"]["outcome"] == "approved_by_reviewer"
    approved = [e for e in shown["events"] if e["kind"] == "review_approved"]
    assert approved and approved[0]["detail"]["forced"] is True

    code, out = invoke("--config", str(cfg), "review", "approve", record["task_id"][:8], "--json")
    assert code == 2  # no longer in the queue


def test_a_dry_run_is_applied_later_with_escalator_apply(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(FIXED))
    cfg = write_config(tmp_path, lmstudio_fake.url)
    args = ["--files", "calc.py", "--tests", "python -m pytest -q", "--no-paid", "--json"]
    code, out = invoke(
        "--config", str(cfg), "run", "Fix add()", "--workspace", str(workspace),
        "--type", "standard_development", "--dry-run", *args,
    )  # fmt: skip
    record = json.loads(out)
    assert code == 0 and record["applied"] is False
    assert (workspace / "calc.py").read_text() == BUGGY

    code, out = invoke("--config", str(cfg), "apply", record["task_id"][:8], "--json")
    assert code == 0, out
    assert json.loads(out)["applied"] is True
    assert (workspace / "calc.py").read_text() == FIXED
    code, out = invoke("--config", str(cfg), "apply", record["task_id"][:8], "--json")
    assert code == 2 and json.loads(out)["error_kind"] == "input_error"
    assert "already applied" in json.loads(out)["error"]


def test_apply_refuses_when_the_workspace_changed_since_the_dry_run(
    workspace: Path, tmp_path: Path, lmstudio_fake: LMStudioFake
) -> None:
    lmstudio_fake.script(QWEN3, whole(FIXED))
    cfg = write_config(tmp_path, lmstudio_fake.url)
    code, out = invoke(
        "--config", str(cfg), "run", "Fix add()", "--workspace", str(workspace),
        "--files", "calc.py", "--tests", "python -m pytest -q", "--type",
        "standard_development", "--no-paid", "--dry-run", "--json",
    )  # fmt: skip
    task_id = json.loads(out)["task_id"]
    edited = BUGGY + "\n# edited by hand meanwhile\n"
    (workspace / "calc.py").write_text(edited)
    code, out = invoke("--config", str(cfg), "apply", task_id, "--json")
    decision = json.loads(out)
    assert code == 1 and decision["applied"] is False and decision["conflicts"] == ["calc.py"]
    assert (workspace / "calc.py").read_text() == edited
