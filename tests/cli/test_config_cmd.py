"""``escalator config path|show`` and what ``init`` says it wrote."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.cli.config_cmd import config_values
from escalator.cli.main import cli
from escalator.config import load_config, parse_config


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_path_says_the_built_in_defaults_are_in_effect_without_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _run("config", "path", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] is None and data["source"] == "built-in defaults"
    assert str(tmp_path / "escalator.toml") in data["searched"]
    code, text = _run("config", "path")
    assert "built-in defaults are in effect" in text


def test_path_names_each_step_of_the_lookup_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    local = tmp_path / "escalator.toml"
    local.write_text("[budgets]\nper_task_usd = 0.25\n")
    assert json.loads(_run("config", "path", "--json")[1])["via"] == "./escalator.toml"
    other = tmp_path / "other.toml"
    other.write_text("")
    monkeypatch.setenv("ESCALATOR_CONFIG", str(other))
    data = json.loads(_run("config", "path", "--json")[1])
    assert (data["path"], data["via"]) == (str(other), "$ESCALATOR_CONFIG")
    data = json.loads(_run("--config", str(local), "config", "path", "--json")[1])
    assert (data["path"], data["via"]) == (str(local), "--config")


def test_show_prints_the_merged_values_and_they_load_back_to_the_same_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "escalator.toml").write_text(
        '[budgets]\nper_task_usd = 0.25\n[models.qwen3-30b]\nmodel_id = "qwen/other"\n'
    )
    code, out = _run("config", "show", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["source"] == str(tmp_path / "escalator.toml")
    assert data["values"]["budgets"]["per_task_usd"] == 0.25
    assert data["values"]["models"]["qwen3-30b"]["model_id"] == "qwen/other"
    assert data["values"]["models"]["haiku"]["tier"] == "HAIKU"  # a default, merged in
    code, text = _run("config", "show")
    assert text.startswith(f"# in effect: {tmp_path / 'escalator.toml'}")
    reloaded = parse_config(tomllib.loads(text), source="shown")
    assert config_values(reloaded) == config_values(load_config())


def test_show_reports_a_broken_file_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "escalator.toml").write_text("[budgets]\nper_task_usd = 'lots'\n")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 2
    assert "budgets.per_task_usd" in result.output
    assert "Traceback" not in result.output


def test_init_says_what_it_wrote_where_and_whether_it_is_in_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _run("init")
    assert code == 0
    assert f"wrote {tmp_path / 'escalator.toml'}" in out
    assert "qwen3-30b" in out and "in effect here" in out
    elsewhere = tmp_path / "sub" / "x.toml"
    code, out = _run("init", "--path", str(elsewhere), "--json")
    data = json.loads(out)
    assert data["path"] == str(elsewhere) and data["in_effect"] is False


def test_init_user_writes_the_user_config_that_every_directory_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_user_dirs: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(_run("init", "--user", "--json")[1])
    assert data["path"].startswith(str(isolated_user_dirs / "config"))
    assert data["in_effect"] is True
    assert json.loads(_run("config", "path", "--json")[1])["via"] == "user config dir"
    code, out = _run("init", "--user", "--path", "x.toml")
    assert code == 2 and "either --path or --user" in out
