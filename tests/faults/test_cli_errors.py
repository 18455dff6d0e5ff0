"""Broken files and settings: one line naming the file and the fix, exit 2, no traceback,
and nothing paid for (the task log's health is checked before the first model call)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from escalator.store import open_log
from tests.fakes import LMStudioFake
from tests.faults.conftest import (
    QWEN3,
    cli,
    cli_process,
    fault_config,
    snapshot,
    without_dac_override,
)

RUN = ("run", "Fix add()", "--files", "calc.py", "--type", "quick_edit", "--no-paid", "--json")


def _run_args(ws: Path) -> tuple[str, ...]:
    return (*RUN, "--workspace", str(ws))


def test_stats_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\n" * 200)
    line = cli(None, "stats", "--db", str(junk), "--json").one_line_error()
    assert str(junk) in line and "not an SQLite database" in line and "--db" in line
    assert junk.read_text() == "shopping list\n" * 200  # not overwritten


def test_init_onto_a_path_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    line = cli(None, "init", "--path", str(blocker / "sub" / "escalator.toml")).one_line_error()
    assert "afile" in line and "--path" in line
    assert blocker.read_text() == "x"


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    cfg = tmp_path / "escalator.toml"
    cfg.write_bytes(b"[budgets]\nper_task_usd = 1.0\n# caf\xe9\n")
    line = cli_process(cfg, "models", "--json").one_line_error()
    assert str(cfg) in line and "UTF-8" in line


def test_ask_a_cloud_model_without_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    config, _ = fault_config(tmp_path)
    line = cli(config, "ask", "haiku", "hi", "--json").one_line_error()
    assert "ANTHROPIC_API_KEY" in line


def test_run_with_a_task_log_that_is_not_a_database(
    tmp_path: Path, workspace: Path, lmstudio_fake: LMStudioFake
) -> None:
    config, _ = fault_config(tmp_path, lmstudio_url=lmstudio_fake.url)
    config.db_path.write_bytes(b"\x00garbage" * 512)
    line = cli(config, *_run_args(workspace)).one_line_error()
    assert str(config.db_path) in line and "not an SQLite database" in line
    assert lmstudio_fake.requests_to("chat") == []


def test_run_with_a_task_log_under_a_file(
    tmp_path: Path, workspace: Path, lmstudio_fake: LMStudioFake
) -> None:
    (tmp_path / "blocker").write_text("x")
    config, _ = fault_config(tmp_path, lmstudio_url=lmstudio_fake.url)
    db = tmp_path / "blocker" / "tasks.db"
    line = cli(config, *_run_args(workspace), "--db", str(db)).one_line_error()
    assert str(db) in line and "writable folder" in line
    assert lmstudio_fake.requests_to("chat") == []


def test_run_with_a_read_only_task_log(
    tmp_path: Path, workspace: Path, lmstudio_fake: LMStudioFake
) -> None:
    prefix = without_dac_override()
    _, path = fault_config(tmp_path, lmstudio_url=lmstudio_fake.url)
    db = tmp_path / "tasks.db"
    open_log(db).close()
    db.chmod(0o444)
    before = snapshot(workspace)
    line = cli_process(path, *_run_args(workspace), prefix=prefix).one_line_error()
    assert str(db) in line and "cannot be written" in line and "chmod" in line
    assert lmstudio_fake.requests_to("chat") == []  # checked before the first model call
    assert snapshot(workspace) == before


def test_run_with_a_task_log_locked_by_another_process(
    tmp_path: Path, workspace: Path, lmstudio_fake: LMStudioFake
) -> None:
    config, _ = fault_config(tmp_path, lmstudio_url=lmstudio_fake.url)
    open_log(config.db_path).close()
    holder = sqlite3.connect(config.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer that never lets go
    try:
        line = cli(config, *_run_args(workspace)).one_line_error()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(config.db_path) in line and "lock" in line and "try again" in line
    assert lmstudio_fake.requests_to("chat") == []


def test_run_with_a_full_disk(tmp_path: Path, workspace: Path, lmstudio_fake: LMStudioFake) -> None:
    _, path = fault_config(tmp_path, lmstudio_url=lmstudio_fake.url)
    open_log(tmp_path / "tasks.db").close()
    # a file-size limit of one block: every write that grows a file fails, as on a full disk
    prefix = ("prlimit", "--fsize=512")
    line = cli_process(path, *_run_args(workspace), prefix=prefix).one_line_error()
    assert str(tmp_path / "tasks.db") in line and "disk" in line
    assert lmstudio_fake.requests_to("chat") == []
    assert lmstudio_fake.requests_for(QWEN3) == []


def test_an_unexpected_error_is_one_line_and_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESCALATOR_DEBUG", raising=False)

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("the analytics fell over")

    monkeypatch.setattr("escalator.cli.log.compute_stats", broken)
    config, _ = fault_config(tmp_path)
    open_log(config.db_path).close()
    line = cli(config, "stats", "--json").one_line_error(code=1)
    assert "RuntimeError: the analytics fell over" in line and "ESCALATOR_DEBUG=1" in line
    monkeypatch.setenv("ESCALATOR_DEBUG", "1")
    shown = cli(config, "stats", "--json")
    assert shown.code == 1 and "Traceback" in shown.stderr
