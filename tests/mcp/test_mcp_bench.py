"""Speed of the MCP server: figures printed, never asserted (2 shared cores vary a lot).

Run with ``pytest -s -m bench tests/mcp/test_mcp_bench.py`` (add ``--benchmark-enable`` for
pytest-benchmark's statistics).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from escalator.config import Config
from escalator.mcpserver import build_server
from mcp import Client, StdioServerParameters
from tests.mcp._support import child_env, escalator_argv, write_config

pytestmark = [pytest.mark.bench, pytest.mark.timeout(180)]

TEXTS = [
    "fix a typo in the README",
    "add retry with backoff to the HTTP client",
    "redesign the plugin architecture for multi-tenant isolation",
    "patch the authentication bypass in the payment service",
]


async def _classify_calls(config: Config, n: int) -> float:
    """Seconds per orchestrator_classify_task call through an in-process client."""
    async with Client(build_server(config)) as client:
        await client.list_tools()
        start = time.perf_counter()
        for i in range(n):
            result = await client.call_tool(
                "orchestrator_classify_task", {"text": TEXTS[i % len(TEXTS)]}
            )
            assert not result.is_error
        return (time.perf_counter() - start) / n


def test_bench_inprocess_classify_call(benchmark: Any, config: Config) -> None:
    per_call = benchmark(lambda: anyio.run(_classify_calls, config, 50))
    print(f"\nin-process tools/call classify: {per_call * 1e3:.2f} ms per call (50 calls)")


def test_bench_tool_list_size(config: Config) -> None:
    async def sizes() -> dict[str, tuple[int, int]]:
        async with Client(build_server(config)) as client:
            tools = (await client.list_tools()).tools
        return {
            t.name: (
                len(json.dumps(t.model_dump(mode="json", exclude_none=True))),
                len(json.dumps({"d": t.description, "s": t.input_schema})),
            )
            for t in tools
        }

    found = anyio.run(sizes)
    total = sum(full for full, _ in found.values())
    model_side = sum(part for _, part in found.values())
    print(f"\ntools/list: {total} bytes JSON for {len(found)} tools; descriptions + input")
    print(f"schemas (what a model is shown): {model_side} bytes (~{model_side // 4} tokens)")
    for name, (full, part) in sorted(found.items()):
        print(f"  {name}: {full} bytes, {part} without the output schema")


def test_bench_stdio_start_and_first_answer(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", {"store": {"db_path": str(tmp_path / "t.db")}})
    argv = escalator_argv(cfg, "mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_env())

    async def measure() -> tuple[float, float, float]:
        start = time.perf_counter()
        async with Client(params) as client:
            ready = time.perf_counter()
            await client.call_tool("orchestrator_classify_task", {"text": TEXTS[0]})
            first = time.perf_counter()
            for text in TEXTS * 5:
                await client.call_tool("orchestrator_classify_task", {"text": text})
            per_call = (time.perf_counter() - first) / (len(TEXTS) * 5)
        return ready - start, first - ready, per_call

    ready, first, per_call = anyio.run(measure)
    print(
        f"\nstdio: spawn+handshake {ready * 1e3:.0f} ms, first classify {first * 1e3:.0f} ms, "
        f"then {per_call * 1e3:.2f} ms per call"
    )
