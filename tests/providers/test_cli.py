"""``escalator models`` and ``escalator ask`` through click, against the fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from escalator.config import Config
from tests.fakes import AnthropicFake, LMStudioFake, LocalModel, Reply, config_for


def _run(config: Config, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        __import__("escalator.cli.main", fromlist=["cli"]).cli,
        list(args),
        obj={"config": config},
        input=stdin,
    )


def test_models_json_lists_every_model_with_prices() -> None:
    result = _run(config_for(), "models", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.stdout)["models"]}
    assert set(rows) == {
        "local-14b", "qwen3-30b", "local-32b", "gemini-flash", "gemini-pro",
        "haiku", "sonnet", "opus",
    }  # fmt: skip
    assert (rows["haiku"]["tier"], rows["haiku"]["rank"], rows["haiku"]["paid"]) == (
        "HAIKU",
        1,
        True,
    )
    assert rows["gemini-pro"]["rank"] == rows["gemini-flash"]["rank"] == 0
    assert rows["local-14b"]["local"] is True and rows["local-14b"]["kind"] == "lmstudio"
    assert rows["sonnet"]["price_out_per_mtok"] == 10.0
    assert "reachable" not in rows["haiku"]


def test_models_check_with_lmstudio_down_exits_0() -> None:
    result = _run(config_for(), "models", "--check", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.stdout)["models"]}
    assert rows["qwen3-30b"]["reachable"] is False
    assert rows["qwen3-30b"]["context_length"] is None
    assert rows["haiku"]["api_key_present"] is False
    assert "ssh -L" in rows["qwen3-30b"]["error"]


def test_models_check_table_names_problems() -> None:
    with LMStudioFake([LocalModel("qwen/qwen3-30b-a3b", context_length=16000)]) as lms:
        result = _run(config_for(lmstudio_url=lms.url), "models", "--check")
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith("qwen3-30b"))
    assert "16000" in line and "yes" in line
    assert "local-14b: the server does not have" in result.stdout


def test_models_bench_skips_unreachable_and_paid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    with LMStudioFake(stream_usage=False) as lms, AnthropicFake() as claude:
        cfg = config_for(
            lmstudio_url=lms.url,
            anthropic_url=claude.url,
            extra={"models": {"local-32b": {"model_id": "not-downloaded"}}},
        )
        result = _run(cfg, "models", "--bench", "--runs", "2", "--json")
        paid = _run(cfg, "models", "--bench", "--runs", "1", "--include-paid", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r["bench"] for r in json.loads(result.stdout)["models"]}
    assert rows["local-14b"]["runs"] == 2 and rows["local-14b"]["tokens_per_s"] > 0
    assert rows["local-14b"]["ttft_ms"] is not None
    assert rows["local-14b"]["tokens_estimated"] is True
    assert rows["haiku"]["skipped"] == "paid model: add --include-paid"
    assert rows["local-32b"]["skipped"] and rows["local-32b"]["runs"] == 0
    paid_rows = {r["key"]: r["bench"] for r in json.loads(paid.stdout)["models"]}
    assert paid_rows["haiku"]["runs"] == 1 and paid_rows["haiku"]["cost_usd"] > 0
    assert "GEMINI_API_KEY" in paid_rows["gemini-flash"]["skipped"]
    assert {r.path for r in claude.requests} == {"/v1/models/claude-haiku-5-5", "/v1/messages"} | {
        "/v1/models/claude-sonnet-5-5",
        "/v1/models/claude-opus-5-5",
    }


def test_ask_json_fields() -> None:
    with LMStudioFake() as lms:
        lms.script("qwen/qwen3-30b-a3b", Reply("42", tokens_in=11, tokens_out=1))
        result = _run(config_for(lmstudio_url=lms.url), "ask", "qwen3-30b", "6*7?", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["text"] == "42" and data["model"] == "qwen3-30b"
    assert (data["tokens_in"], data["tokens_out"], data["tokens_estimated"]) == (11, 1, False)
    assert data["cost_usd"] == 0.0 and data["finish_reason"] == "stop"
    assert data["latency_ms"] > 0 and data["tokens_per_s"] > 0
    assert lms.requests[0].body["messages"][-1]["content"] == "6*7?"


def test_ask_plain_prints_answer_then_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    with AnthropicFake() as claude:
        claude.script("claude-haiku-5-5", Reply("Paris.", tokens_in=2000, tokens_out=100))
        result = _run(
            config_for(anthropic_url=claude.url), "ask", "haiku", "-", "--max-tokens", "50",
            stdin="capital of France?",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "Paris.\n"
    assert "tokens in/out 2000/100" in result.stderr and "cost $0.000250" in result.stderr
    assert claude.requests[0].body["max_tokens"] == 50
    assert claude.requests[0].body["messages"][0]["content"] == "capital of France?"


def test_ask_stream_json_keeps_stdout_one_document() -> None:
    with LMStudioFake() as lms:
        lms.script("qwen2.5-14b-instruct", "a b c")
        result = _run(
            config_for(lmstudio_url=lms.url), "ask", "local-14b", "x", "--stream", "--json"
        )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"] == "a b c"
    assert "a b c" in result.stderr


def test_ask_unknown_model_exits_2_naming_models() -> None:
    result = _run(config_for(), "ask", "gpt-9", "hi")
    assert result.exit_code == 2
    assert "unknown model 'gpt-9'" in result.stderr and "qwen3-30b" in result.stderr


def test_ask_without_api_key_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = _run(config_for(), "ask", "sonnet", "hi", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["exit_code"] == 2  # --json: the error as JSON on stdout
    assert result.stderr.count("\n") == 1 and "set ANTHROPIC_API_KEY" in result.stderr


def test_ask_provider_failure_exits_1_with_mapped_message() -> None:
    down = _run(config_for(), "ask", "local-14b", "hi", "--json")
    assert down.exit_code == 1
    assert json.loads(down.stdout)["error_kind"] == "endpoint_unreachable"
