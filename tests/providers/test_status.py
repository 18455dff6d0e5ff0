"""Fleet.check and loaded_context_length against each server's model listing."""

from __future__ import annotations

import pytest

from escalator.errors import InputError
from escalator.providers import open_fleet
from tests.fakes import AnthropicFake, GeminiFake, LMStudioFake, LocalModel, OllamaFake, config_for
from tests.providers.conftest import SleepLog

pytestmark = pytest.mark.anyio

MODELS = [
    LocalModel("qwen2.5-14b-instruct", loaded=True, context_length=8192),
    LocalModel("qwen/qwen3-30b-a3b", loaded=False, max_context_length=40960),
]


@pytest.mark.parametrize("v1_api", [True, False])
async def test_lmstudio_loaded_unloaded_missing(v1_api: bool) -> None:
    with LMStudioFake(MODELS, v1_api=v1_api) as lms:
        async with open_fleet(config_for(lmstudio_url=lms.url)) as fleet:
            fast = await fleet.check("local-14b")
            balanced = await fleet.check("qwen3-30b")
            missing = await fleet.check("local-32b")
    assert (fast.reachable, fast.loaded, fast.context_length) == (True, True, 8192)
    assert (balanced.reachable, balanced.loaded, balanced.context_length) == (True, False, None)
    assert missing.reachable is True and missing.loaded is False
    assert "qwen2.5-coder-32b-instruct" in (missing.error or "")
    assert fast.api_key_present is None
    paths = {r.path for r in lms.requests}
    assert ("/api/v0/models" in paths) is (not v1_api)


async def test_loaded_context_length_is_cached_briefly(sleeps: SleepLog) -> None:
    with LMStudioFake(MODELS) as lms:
        async with open_fleet(config_for(lmstudio_url=lms.url), sleeps.settings()) as fleet:
            assert await fleet.loaded_context_length("local-14b") == 8192
            assert await fleet.loaded_context_length("local-14b") == 8192
            assert len(lms.requests) == 1
            sleeps.now += 10
            lms.models["qwen2.5-14b-instruct"].context_length = 4096
            assert await fleet.loaded_context_length("local-14b") == 4096
            assert await fleet.loaded_context_length("qwen3-30b") is None  # not loaded
            assert await fleet.loaded_context_length("haiku") is None  # cloud


async def test_loaded_context_length_none_when_down() -> None:
    async with open_fleet(config_for()) as fleet:
        assert await fleet.loaded_context_length("local-14b") is None
        status = await fleet.check("local-14b")
    assert status.reachable is False and "ssh -L" in (status.error or "")


async def test_ollama_ps_and_tags() -> None:
    models = [LocalModel("qwen2.5:14b", context_length=16384)]
    with OllamaFake(models) as fake:
        async with open_fleet(config_for(ollama_url=fake.url)) as fleet:
            up = await fleet.check("ollama-14b")
            fake.models["qwen2.5:14b"].loaded = False
            fleet._states.clear()
            pulled = await fleet.check("ollama-14b")
    assert (up.loaded, up.context_length) == (True, 16384)
    assert (pulled.reachable, pulled.loaded) == (True, False)


async def test_cloud_check_needs_key_and_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with AnthropicFake() as claude, GeminiFake(["gemini-3.8-flash"]) as gem:
        cfg = config_for(anthropic_url=claude.url, gemini_url=gem.url)
        async with open_fleet(cfg) as fleet:
            no_key = await fleet.check("haiku")
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-HIDDEN")
            monkeypatch.setenv("GEMINI_API_KEY", "g-HIDDEN")
            with_key = await fleet.check("haiku")
            flash = await fleet.check("gemini-flash")
            pro = await fleet.check("gemini-pro")
    assert (no_key.reachable, no_key.api_key_present) == (None, False)
    assert "ANTHROPIC_API_KEY" in (no_key.error or "")
    assert claude.requests_to("/v1/models/") == claude.requests[:1]
    assert (with_key.reachable, with_key.api_key_present, with_key.error) == (True, True, None)
    assert (flash.reachable, flash.context_length) == (True, 1048576)
    assert pro.reachable is True and "gemini-3.1-pro-preview" in (pro.error or "")
    dumped = str([s.to_json() for s in (no_key, with_key, flash, pro)])
    assert "HIDDEN" not in dumped


async def test_unknown_key_is_input_error() -> None:
    async with open_fleet(config_for()) as fleet:
        with pytest.raises(InputError) as info:
            fleet.model("gpt-9")
    assert "local-14b" in str(info.value)
