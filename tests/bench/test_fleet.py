"""The replay fleet over real HTTP: LM Studio's dialect, recognition, sample progression."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from escalator.bench.fleet import FleetSettings, ReplayServer
from escalator.bench.replay import NON_ANSWER, SOLUTION_FILE, ReplayBook, solution_text
from escalator.bench.suite import load_suite
from escalator.bench.tasks import stub_source
from escalator.bench.tokens import count_tokens
from escalator.registry import EditFormat
from escalator.work.edits import parse_edits
from escalator.work.prompts import build_worker_request


@pytest.fixture
def server(tiny_suite_dir: Path) -> Iterator[ReplayServer]:
    book = ReplayBook(load_suite(tiny_suite_dir))
    settings = FleetSettings(tokens_per_second={"paid-strong": 100.0})
    with ReplayServer(book, settings) as srv:
        yield srv


def _stub_prompt(server: ReplayServer, problem_id: str) -> str:
    problem = server.book.suite.problem(problem_id)
    return f"Implement it.\n\n{SOLUTION_FILE}\n```python\n{stub_source(problem)}```\n"


def _chat(server: ReplayServer, model: str, prompt: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], **extra}
    return httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=10)


def test_models_listings_follow_lm_studio(server: ReplayServer) -> None:
    v1 = httpx.get(f"{server.url}/v1/models").json()
    assert {m["id"] for m in v1["data"]} == {"paid-strong", "free-weak", "free-multi"}
    for item in v1["data"]:
        assert set(item) == {"id", "object", "owned_by"}  # no `created`, as LM Studio
    v0 = httpx.get(f"{server.url}/api/v0/models").json()["data"]
    assert all(m["type"] == "llm" and m["state"] == "loaded" for m in v0)
    assert all(m["max_context_length"] >= 32768 for m in v0)


def test_answer_is_recorded_code_with_usage_and_stats(server: ReplayServer) -> None:
    prompt = _stub_prompt(server, "Tiny/rev")
    body = _chat(server, "paid-strong", prompt).json()
    text = body["choices"][0]["message"]["content"]
    problem = server.book.suite.problem("Tiny/rev")
    code = server.book.suite.samples("paid-strong", "Tiny/rev")[0].code
    assert solution_text(problem, code) in text
    assert body["usage"]["completion_tokens"] == count_tokens(text)
    assert body["usage"]["prompt_tokens"] >= count_tokens(prompt)
    stats = body["stats"]
    assert stats["tokens_per_second"] == 100.0
    assert stats["generation_time"] == pytest.approx(count_tokens(text) / 100.0, abs=1e-3)
    assert set(stats) >= {"tokens_per_second", "time_to_first_token", "stop_reason"}


def test_answer_parses_with_the_engines_whole_file_parser(server: ReplayServer) -> None:
    problem = server.book.suite.problem("Tiny/rev")
    files = {SOLUTION_FILE: stub_source(problem)}
    chat = build_worker_request(
        description="Implement reverse_text.", files=files, edit_format=EditFormat.WHOLE
    )
    messages = [{"role": m.role, "content": m.content} for m in chat.messages]
    body = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"model": "paid-strong", "messages": messages},
    ).json()
    edits = parse_edits(
        body["choices"][0]["message"]["content"], edit_format=EditFormat.WHOLE, files=files
    )
    code = server.book.suite.samples("paid-strong", "Tiny/rev")[0].code
    written = edits.files[SOLUTION_FILE]
    assert written is not None
    assert written.rstrip() == solution_text(problem, code).rstrip()


def test_kth_attempt_gets_sample_k_and_last_repeats(server: ReplayServer) -> None:
    prompt = _stub_prompt(server, "Tiny/rev")
    texts = [
        _chat(server, "free-multi", prompt).json()["choices"][0]["message"]["content"]
        for _ in range(3)
    ]
    assert "upper()" in texts[0]
    assert "s[::-1]" in texts[1]
    assert texts[2] == texts[1]
    # Other models keep their own count.
    first_weak = _chat(server, "free-weak", prompt).json()["choices"][0]["message"]["content"]
    assert "return s\n" in first_weak


def test_streaming_carries_content_and_final_usage(server: ReplayServer) -> None:
    prompt = _stub_prompt(server, "Tiny/add")
    chunks = []
    with httpx.stream(
        "POST",
        f"{server.url}/v1/chat/completions",
        json={
            "model": "free-weak",
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                chunks.append(line[6:])
    assert chunks[-1] == "[DONE]"
    events = [json.loads(c) for c in chunks[:-1]]
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"])
    assert "return a + b" in text
    assert events[-1]["choices"] == []
    assert events[-1]["usage"]["completion_tokens"] == count_tokens(text)


def test_unknown_model_gets_model_not_found(server: ReplayServer) -> None:
    resp = _chat(server, "gpt-nope", "hello")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "model_not_found"


def test_unknown_problem_gets_a_non_answer(server: ReplayServer) -> None:
    body = _chat(server, "free-weak", "Write me a poem about def sea(): waves").json()
    assert body["choices"][0]["message"]["content"] == NON_ANSWER
    assert body["usage"]["completion_tokens"] > 0


def test_unknown_route_answers_200_with_error(server: ReplayServer) -> None:
    resp = httpx.post(f"{server.url}/v1/nothing", json={})
    assert resp.status_code == 200
    assert "Unexpected endpoint" in resp.json()["error"]


def test_sleep_scale_delays_by_simulated_time(tiny_suite_dir: Path) -> None:
    book = ReplayBook(load_suite(tiny_suite_dir))
    settings = FleetSettings(default_tokens_per_second=200.0, sleep_scale=1.0)
    with ReplayServer(book, settings) as srv:
        resp = _chat(srv, "free-weak", _stub_prompt(srv, "Tiny/add"))
        stats = resp.json()["stats"]
        simulated = stats["time_to_first_token"] + stats["generation_time"]
        assert resp.elapsed.total_seconds() >= simulated * 0.9
        assert srv.estimated_model_time_s() == pytest.approx(simulated, rel=0.01)
