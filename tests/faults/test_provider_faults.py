"""``escalator ask --json`` against servers that hang, stall, or stop at a window."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fakes import AnthropicFake, GeminiFake, LMStudioFake, Reply, SilentServer
from tests.faults.conftest import HAIKU, LOCAL_14B, cli, fault_config


def test_a_hung_server_is_found_in_seconds_not_retried(tmp_path: Path) -> None:
    with SilentServer() as silent:
        config, _ = fault_config(tmp_path, lmstudio_url=silent.url)
        started = time.monotonic()
        run = cli(config, "ask", "local-14b", "hi", "--json")
        waited = time.monotonic() - started
    assert run.code == 1 and run.json["error_kind"] == "endpoint_hung"
    assert "liveness probe" in run.json["error"]
    assert silent.accepted == 2  # the call and one probe: a hung server is not retried
    assert waited < config.providers["lmstudio"].timeout_s  # well before the total limit


def test_a_slow_model_on_a_live_server_keeps_its_time(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, Reply("thought about it", delay_s=1.5))  # 5 probe periods
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = cli(config, "ask", "local-14b", "hi", "--json")
        probes = lms.requests_to("/v1/models")
    assert run.code == 0, run.stderr
    assert run.json["text"] == "thought about it"
    assert probes  # the watch asked, the server answered, the call went on


def test_a_stream_that_stalls_mid_answer_times_out_on_idle(tmp_path: Path) -> None:
    with LMStudioFake(chunk_delay_s=2.0) as lms:
        lms.script(LOCAL_14B, Reply("one two three four"))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = cli(config, "ask", "local-14b", "hi", "--json", "--stream")
    assert run.code == 1 and run.json["error_kind"] == "provider_timeout"
    assert "idle_timeout_s" in run.json["error"]


@pytest.mark.parametrize(
    ("finish", "expected"),
    [("stop", "stop"), ("length", "length"), ("window", "context_overflow")],
)
def test_lmstudio_length_is_told_from_the_window(
    tmp_path: Path, finish: str, expected: str
) -> None:
    with LMStudioFake() as lms:
        lms.script(LOCAL_14B, Reply("def f():\n    return", finish_reason=finish))
        config, _ = fault_config(tmp_path, lmstudio_url=lms.url)
        run = cli(config, "ask", "local-14b", "hi", "--json", "--max-tokens", "50")
    assert run.code == 0, run.stderr
    assert run.json["finish_reason"] == expected
    assert run.json["truncated"] is (expected != "stop")


def test_anthropic_stopping_at_the_window_is_a_context_overflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with AnthropicFake() as claude:
        claude.script(HAIKU, Reply("partial answ", finish_reason="window"))
        config, _ = fault_config(tmp_path, anthropic_url=claude.url)
        run = cli(config, "ask", "haiku", "hi", "--json", "--stream")
    assert run.json["finish_reason"] == "context_overflow" and run.json["truncated"] is True


def test_gemini_max_tokens_is_a_truncated_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-test")
    with GeminiFake() as gemini:
        gemini.script("gemini-3.8-flash", Reply("half of it", finish_reason="length"))
        config, _ = fault_config(tmp_path, gemini_url=gemini.url)
        run = cli(config, "ask", "gemini-flash", "hi", "--json", "--max-tokens", "64")
    assert run.json["finish_reason"] == "length" and run.json["truncated"] is True
