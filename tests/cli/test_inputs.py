"""Inputs: what ``ask`` accepts, one JSON error convention, and adopting served models."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner, Result

from escalator.cli.main import cli
from escalator.config import load_config
from tests.fakes import LMStudioFake, LocalModel, OllamaFake, config_for
from tests.fakes._config import config_data_for
from tests.mcp._support import to_toml


def _run(*args: str, config: object | None = None) -> Result:
    obj = {"config": config} if config is not None else None
    return CliRunner().invoke(cli, list(args), obj=obj)


def test_ask_takes_a_key_a_provider_model_id_or_the_default_model() -> None:
    with LMStudioFake() as lms:
        cfg = config_for(lmstudio_url=lms.url)
        lms.script("qwen/qwen3-30b-a3b", "by id", "by default")
        by_id = _run("ask", "qwen/qwen3-30b-a3b", "hi", "--json", config=cfg)
        assert by_id.exit_code == 0, by_id.output
        assert json.loads(by_id.stdout)["text"] == "by id"
        default = _run("ask", "hi", "--json", config=cfg)  # standard_development's first
        assert json.loads(default.stdout)["text"] == "by default"
        assert [r.model for r in lms.requests_to("chat")] == ["qwen/qwen3-30b-a3b"] * 2


def test_ask_a_model_only_the_local_server_knows() -> None:
    with LMStudioFake([*("qwen/qwen3-30b-a3b", "mistral/devstral-small")]) as lms:
        lms.script("mistral/devstral-small", "served")
        result = _run(
            "ask", "mistral/devstral-small", "hi", config=config_for(lmstudio_url=lms.url)
        )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "served"


def test_unknown_model_under_json_is_a_json_error_on_stdout_with_exit_2() -> None:
    result = _run("ask", "gpt4", "hi", "--json", config=config_for())
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["exit_code"] == 2 and error["error_kind"] == "input_error"
    assert "unknown model 'gpt4'" in error["error"]
    assert "unknown model 'gpt4'" in result.stderr  # and the line for a person
    too_many = _run("ask", "qwen3-30b", "fix", "it", config=config_for())
    assert too_many.exit_code == 2 and "quote the prompt" in too_many.stderr


def test_a_model_the_server_does_not_have_is_the_users_setup_exit_2() -> None:
    with LMStudioFake(["qwen/qwen3-30b-a3b"], jit=True) as lms:
        result = _run("ask", "local-32b", "hi", "--json", config=config_for(lmstudio_url=lms.url))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error_kind"] == "model_not_found"


def test_models_discover_lists_what_the_config_lacks_and_add_writes_it(tmp_path: Path) -> None:
    lms_models: list[str | LocalModel] = [
        "qwen/qwen3-30b-a3b",
        LocalModel("mistral/devstral-small", loaded=False),
    ]
    with LMStudioFake(lms_models) as lms, OllamaFake(["qwen2.5:14b", "llama3.2:3b"]) as oll:
        path = tmp_path / "escalator.toml"
        original = to_toml(config_data_for(lmstudio_url=lms.url, ollama_url=oll.url))
        path.write_text(original)
        listed = _run("--config", str(path), "models", "--discover", "--json")
        assert listed.exit_code == 0, listed.output
        data = json.loads(listed.stdout)
        assert {(m["provider"], m["model_id"]) for m in data["new"]} == {
            ("lmstudio", "mistral/devstral-small"),
            ("ollama", "llama3.2:3b"),
        }
        assert data["added"] == {} and path.read_text() == original
        added = _run("--config", str(path), "models", "--discover", "--add")
        assert added.exit_code == 0, added.output
        assert "devstral-small" in added.stdout
        config = load_config(path)
        ids = {m.model_id: m for m in config.models.values()}
        assert ids["mistral/devstral-small"].provider == "lmstudio"
        assert ids["llama3.2:3b"].is_free
        assert (tmp_path / "escalator.toml.bak").read_text() == original
        assert tomllib.loads(path.read_text())  # still valid TOML
        again = json.loads(_run("--config", str(path), "models", "--discover", "--json").stdout)
        assert again["new"] == []
        assert not list(tmp_path.glob(".escalator.toml.*"))  # no temp file left behind


def test_discover_add_needs_a_config_file_and_says_so() -> None:
    with LMStudioFake(["qwen/qwen3-30b-a3b", "other/model"]) as lms:
        result = _run("models", "--discover", "--add", config=config_for(lmstudio_url=lms.url))
    assert result.exit_code == 2 and "run 'escalator init'" in result.stderr
    down = _run("models", "--discover", "--json", config=config_for())
    assert down.exit_code == 0
    assert "lmstudio" in json.loads(down.stdout)["errors"]


def test_run_refuses_missing_files_and_contradictory_approval(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    base = ["run", "fix it", "--workspace", str(tmp_path), "--json"]
    missing = _run(*base, "--files", "nope.py", config=config_for())
    assert missing.exit_code == 2
    assert "'nope.py' does not exist" in json.loads(missing.stdout)["error"]
    outside = _run(*base, "--files", "../x.py", config=config_for())
    assert outside.exit_code == 2 and "outside the workspace" in outside.stderr
    both = _run(*base, "--files", "app.py", "--yes", "--no-paid", config=config_for())
    assert both.exit_code == 2 and "pass one" in json.loads(both.stdout)["error"]
    exists = _run(*base, "--new-file", "app.py", config=config_for())
    assert exists.exit_code == 2 and "already exists" in exists.stderr
