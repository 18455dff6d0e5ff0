"""A real `escalator run` whose task log is a PostgreSQL database ($ESCALATOR_DB_URL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalator.store import open_log
from tests.engine.conftest import FIXED, WRONG, whole
from tests.engine.test_cli_run import CODER, QWEN3, invoke, write_config
from tests.fakes import LMStudioFake
from tests.pg import pg_url, postgres_server  # noqa: F401  (fixtures)


def test_run_records_into_postgres(
    workspace: Path,
    tmp_path: Path,
    lmstudio_fake: LMStudioFake,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ESCALATOR_DB_URL", pg_url)
    lmstudio_fake.script(QWEN3, whole(WRONG), whole(WRONG))
    lmstudio_fake.script(CODER, whole(FIXED))
    cfg = write_config(tmp_path, lmstudio_fake.url)
    argv = ["--config", str(cfg), "run", "Fix add() so that it returns the sum"]
    code, out = invoke(
        *argv, "--workspace", str(workspace), "--files", "calc.py",
        "--tests", "python -m pytest -q", "--type", "standard_development", "--no-paid", "--json",
    )  # fmt: skip
    assert code == 0, out
    task_id = json.loads(out)["task_id"]
    assert not (tmp_path / "tasks.db").exists(), "the SQLite file must not be used"
    with open_log(pg_url) as log:
        task = log.get_task(task_id)
        assert task.outcome == "passed" and task.final_model == "local-32b"
        assert [a.model for a in log.attempts(task_id)][-1] == "local-32b"
    code, out = invoke("--config", str(cfg), "log", task_id[:8], "--json")
    assert code == 0 and json.loads(out)["task"]["task_id"] == task_id
