"""The fakes themselves speak their dialects (raw httpx against the real servers)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fakes import (
    AnthropicFake,
    GeminiFake,
    LMStudioFake,
    LocalModel,
    OllamaFake,
    Reply,
    config_for,
)


def _sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


def test_lmstudio_models_have_no_created_and_v0_state() -> None:
    models = [LocalModel("a", loaded=True, context_length=4096), LocalModel("b", loaded=False)]
    with LMStudioFake(models) as fake:
        v1 = httpx.get(f"{fake.url}/v1/models").json()
        assert [m["id"] for m in v1["data"]] == ["a", "b"]
        assert all("created" not in m for m in v1["data"])
        v0 = httpx.get(f"{fake.url}/api/v0/models").json()["data"]
        assert [(m["state"], m["max_context_length"]) for m in v0] == [
            ("loaded", 32768),
            ("not-loaded", 32768),
        ]
        apiv1 = httpx.get(f"{fake.url}/api/v1/models").json()["models"]
        assert apiv1[0]["loaded_instances"][0]["config"]["context_length"] == 4096
        assert apiv1[1]["loaded_instances"] == []


def test_lmstudio_scripted_queue_then_default_and_recording() -> None:
    with LMStudioFake(default="fallback") as fake:
        fake.script("qwen/qwen3-30b-a3b", "X", Reply("Y", tokens_in=7, tokens_out=3))
        texts = []
        for _ in range(3):
            r = httpx.post(
                f"{fake.url}/v1/chat/completions",
                json={
                    "model": "qwen/qwen3-30b-a3b",
                    "messages": [{"role": "user", "content": "hi"}],
                },
            )
            texts.append(r.json()["choices"][0]["message"]["content"])
        assert texts == ["X", "Y", "fallback"]
        assert fake.requests_for("qwen/qwen3-30b-a3b")[0].body["messages"][0]["content"] == "hi"
        assert len(fake.requests) == 3


def test_lmstudio_stream_with_and_without_usage() -> None:
    body = {
        "model": "qwen2.5-14b-instruct",
        "messages": [{"role": "user", "content": "one two three"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with LMStudioFake() as new, LMStudioFake(stream_usage=False) as old:
        new.script("qwen2.5-14b-instruct", "hello big world")
        old.script("qwen2.5-14b-instruct", "hello big world")
        chunks = _sse_data(httpx.post(f"{new.url}/v1/chat/completions", json=body).text)
        assert chunks[-1] == "[DONE]"
        parsed = [json.loads(c) for c in chunks[:-1]]
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in parsed if c["choices"])
        assert text == "hello big world"
        assert parsed[-1]["usage"] == {
            "prompt_tokens": 3,
            "completion_tokens": 3,
            "total_tokens": 6,
        }
        old_chunks = _sse_data(httpx.post(f"{old.url}/v1/chat/completions", json=body).text)
        assert all("usage" not in json.loads(c) for c in old_chunks[:-1])


def test_lmstudio_odd_errors() -> None:
    with LMStudioFake([LocalModel("m", context_length=5)]) as fake:
        r = httpx.post(f"{fake.url}/v1/nope", json={})
        assert r.status_code == 200 and "Unexpected endpoint" in r.json()["error"]
        r = httpx.post(f"{fake.url}/v1/chat/completions", json={"model": "zzz", "messages": []})
        assert r.status_code == 400 and r.json()["error"]["code"] == "model_not_found"
        long = {"model": "m", "messages": [{"role": "user", "content": "w " * 50}]}
        r = httpx.post(f"{fake.url}/v1/chat/completions", json=long)
        assert r.status_code == 400 and "context length of only 5" in r.json()["error"]
        fake.script("m", Reply.empty_stream())
        r = httpx.post(f"{fake.url}/v1/chat/completions", json={**long, "stream": True})
        assert r.status_code == 200 and r.content == b""
        v0 = httpx.post(f"{fake.url}/api/v0/chat/completions", json={"model": "m", "messages": []})
        assert v0.json()["stats"]["tokens_per_second"] > 0


def test_lmstudio_no_models_loaded_without_jit() -> None:
    with LMStudioFake([LocalModel("m", loaded=False)], jit=False) as fake:
        r = httpx.post(f"{fake.url}/v1/chat/completions", json={"model": "m", "messages": []})
        assert r.status_code == 400 and r.json()["error"].startswith("No models loaded")


def test_ollama_not_found_busy_and_ps() -> None:
    with OllamaFake() as fake:
        r = httpx.post(f"{fake.url}/v1/chat/completions", json={"model": "x", "messages": []})
        assert r.status_code == 404 and "try pulling it first" in r.json()["error"]["message"]
        assert httpx.get(f"{fake.url}/api/ps").json()["models"][0]["context_length"] == 32768
        assert httpx.get(f"{fake.url}/api/tags").json()["models"][0]["name"] == "qwen2.5:14b"
        fake.busy = True
        r = httpx.post(f"{fake.url}/v1/chat/completions", json={"model": "qwen2.5:14b"})
        assert r.status_code == 503


def test_anthropic_auth_answer_and_stream() -> None:
    with AnthropicFake() as fake:
        body = {"model": "claude-haiku-5-5", "max_tokens": 10, "messages": []}
        assert httpx.post(f"{fake.url}/v1/messages", json=body).status_code == 401
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        fake.script("claude-haiku-5-5", Reply("a b", finish_reason="length"), "c d e")
        r = httpx.post(f"{fake.url}/v1/messages", json=body, headers=headers).json()
        assert r["content"][0]["text"] == "a b" and r["stop_reason"] == "max_tokens"
        s = httpx.post(f"{fake.url}/v1/messages", json={**body, "stream": True}, headers=headers)
        events = [json.loads(d) for d in _sse_data(s.text)]
        assert events[0]["type"] == "message_start"
        assert [e["type"] for e in events].count("content_block_delta") == 3
        assert events[-2]["usage"]["output_tokens"] == 3
        assert fake.requests[-1].headers["x-api-key"] == "k"


def test_gemini_generate_and_stream() -> None:
    with GeminiFake() as fake:
        url = f"{fake.url}/v1beta/models/gemini-3.8-flash:generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": "x y"}]}]}
        assert httpx.post(url, json=body).status_code == 403
        fake.script("gemini-3.8-flash", "hello there", "one two")
        r = httpx.post(url, json=body, headers={"x-goog-api-key": "k"}).json()
        assert r["candidates"][0]["content"]["parts"][0]["text"] == "hello there"
        assert r["usageMetadata"]["promptTokenCount"] == 2
        surl = url.replace(":generateContent", ":streamGenerateContent") + "?alt=sse"
        s = httpx.post(surl, json=body, headers={"x-goog-api-key": "k"})
        chunks = [json.loads(d) for d in _sse_data(s.text)]
        assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
        assert fake.requests[-1].model == "gemini-3.8-flash"


def test_error_reply_and_disconnect() -> None:
    with AnthropicFake() as fake:
        fake.script(
            "m",
            Reply.error(529, {"type": "error", "error": {"type": "overloaded_error"}}),
            Reply.disconnect(),
        )
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        r = httpx.post(f"{fake.url}/v1/messages", json={"model": "m"}, headers=headers)
        assert r.status_code == 529
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{fake.url}/v1/messages", json={"model": "m"}, headers=headers)


def test_config_for_points_providers_at_fakes() -> None:
    with LMStudioFake() as lms:
        cfg = config_for(lmstudio_url=lms.url, ollama_url="http://127.0.0.1:5")
        assert cfg.providers["lmstudio"].base_url == lms.url
        assert cfg.providers["anthropic"].base_url == "http://127.0.0.1:9"
        assert cfg.models["ollama-14b"].provider == "ollama"
        assert cfg.providers["lmstudio"].backoff_base_s == 0.0
