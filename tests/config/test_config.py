from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.config import default_config, load_config, parse_config
from escalator.config_template import render_default_toml
from escalator.errors import ConfigError
from escalator.registry import ModelTier
from escalator.task import TaskType


def test_defaults_are_the_seed_plan() -> None:
    cfg = default_config()
    assert cfg.providers["lmstudio"].base_url == "http://localhost:1234"
    tiers = {key: spec.tier for key, spec in cfg.models.items()}
    assert tiers == {
        "local-14b": ModelTier.LOCAL_FAST,
        "qwen3-30b": ModelTier.LOCAL_BALANCED,
        "local-32b": ModelTier.LOCAL_QUALITY,
        "gemini-flash": ModelTier.FLASH,
        "gemini-pro": ModelTier.PRO,
        "haiku": ModelTier.HAIKU,
        "sonnet": ModelTier.SONNET,
        "opus": ModelTier.OPUS,
    }
    assert cfg.matrix[TaskType.QUICK_EDIT].chain == ("local-14b", "gemini-flash")
    assert cfg.matrix[TaskType.STANDARD_DEVELOPMENT].chain == ("qwen3-30b", "local-32b", "haiku")
    assert cfg.matrix[TaskType.COMPLEX_ARCHITECTURE].after_last == "manual_review"
    assert cfg.matrix[TaskType.CRITICAL].chain == ("sonnet", "opus")
    assert cfg.matrix[TaskType.STANDARD_DEVELOPMENT].validators == ("syntax", "tests")


def test_flash_and_pro_share_a_rank_but_stay_distinct() -> None:
    flash, pro = ModelTier.parse("FLASH"), ModelTier.parse("pro")
    assert flash.rank == pro.rank == 0
    assert flash is not pro  # equal ranks must not make PRO an alias of FLASH
    assert len(list(ModelTier)) == 8


def test_local_or_paid_is_decided_by_price_not_name() -> None:
    cfg = parse_config(
        {
            "models": {
                "local-14b": {"price_in_per_mtok": 0.5},
                "opus": {"price_in_per_mtok": 0.0, "price_out_per_mtok": 0.0},
            }
        }
    )
    assert cfg.models["local-14b"].is_paid
    assert cfg.models["opus"].is_free


def test_init_writes_a_file_that_loads_back_to_the_defaults(tmp_path: Path) -> None:
    target = tmp_path / "escalator.toml"
    result = CliRunner().invoke(cli, ["init", "--path", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["path"] == str(target)
    text = target.read_text()
    assert text.startswith("# Escalator configuration")
    loaded = load_config(target)
    defaults = default_config()
    assert loaded.models == defaults.models
    assert loaded.matrix == defaults.matrix
    assert loaded.providers == defaults.providers
    again = CliRunner().invoke(cli, ["init", "--path", str(target)])
    assert again.exit_code == 2
    assert "--force" in again.output


def test_rendered_template_is_valid_toml() -> None:
    assert "matrix" in tomllib.loads(render_default_toml())


@pytest.mark.parametrize(
    ("doc", "key", "fragment"),
    [
        ({"models": {"qwen3-30b": {"tier": "HUGE"}}}, "models.qwen3-30b.tier", "LOCAL_FAST"),
        (
            {"models": {"haiku": {"price_in_per_mtok": -1}}},
            "models.haiku.price_in_per_mtok",
            ">= 0",
        ),
        ({"models": {"haiku": {"colour": "red"}}}, "models.haiku.colour", "not a known key"),
        (
            {"matrix": {"quick_edit": {"chain": ["nope"]}}},
            "matrix.quick_edit.chain",
            "configured model",
        ),
        (
            {"matrix": {"quick_edit": {"validators": ["vibes"]}}},
            "matrix.quick_edit.validators",
            "syntax",
        ),
        (
            {"matrix": {"quick_edit": {"after_last": "pray"}}},
            "matrix.quick_edit.after_last",
            "manual_review",
        ),
        ({"matrix": {"typo_fix": {"chain": ["opus"]}}}, "matrix.typo_fix", "quick_edit"),
        (
            {"providers": {"lmstudio": {"base_url": "localhost:1234"}}},
            "providers.lmstudio.base_url",
            "http",
        ),
        ({"providers": {"lmstudio": {"kind": "tgi"}}}, "providers.lmstudio.kind", "ollama"),
        (
            {"providers": {"anthropic": {"api_key": "sk-secret"}}},
            "providers.anthropic.api_key",
            "environment",
        ),
        ({"cost_guard": {"policy": "yolo"}}, "cost_guard.policy", "allow_under_usd"),
        (
            {"budgets": {"daily_usd": {"quick_edit": "lots"}}},
            "budgets.daily_usd.quick_edit",
            "number",
        ),
        ({"surprise": {}}, "surprise", "known section"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(
    doc: dict[str, object], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(doc, source="x.toml")
    assert err.value.key == key
    assert fragment in str(err.value)
    assert "x.toml" in str(err.value)
    assert "sk-secret" not in str(err.value)


def test_broken_file_exits_2_with_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[models.haiku]\ntier = "GIANT"\n')
    result = CliRunner().invoke(cli, ["--config", str(bad), "models", "--json"])
    assert result.exit_code == 2
    assert "models.haiku.tier" in result.output


def test_invalid_toml_syntax_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[models\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[cost_guard]\npolicy = "deny"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[cost_guard]\npolicy = "allow_under_usd"\n')
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "escalator.toml").write_text('[cost_guard]\npolicy = "ask"\nallow_under_usd = 0.5\n')
    monkeypatch.chdir(cwd)
    assert load_config().cost_guard.allow_under_usd == 0.5
    monkeypatch.setenv("ESCALATOR_CONFIG", str(env_file))
    assert load_config().cost_guard.policy == "allow_under_usd"
    assert load_config(explicit).cost_guard.policy == "deny"
    monkeypatch.setenv("ESCALATOR_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="ESCALATOR_CONFIG"):
        load_config()


def test_user_file_merges_key_by_key() -> None:
    cfg = parse_config({"models": {"qwen3-30b": {"model_id": "qwen/qwen3-30b-a3b-2507"}}})
    spec = cfg.models["qwen3-30b"]
    assert spec.model_id == "qwen/qwen3-30b-a3b-2507"
    assert spec.tier == ModelTier.LOCAL_BALANCED
