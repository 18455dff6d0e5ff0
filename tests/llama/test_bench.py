"""Speed figures on the real server (``pytest -m bench -s``): printed, never asserted on time."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

import pytest

from tests.llama.measure import measure_overhead, models_bench
from tests.llama.server import LlamaServer

pytestmark = [pytest.mark.llama, pytest.mark.bench]


def test_client_added_latency(llama_server: LlamaServer) -> None:
    result = asyncio.run(measure_overhead(llama_server.url, n=200))
    print(f"\nclient added latency over raw httpx (median of {result.n}): {asdict(result)}")
    assert result.n == 200 and result.raw_median_ms > 0 and result.client_median_ms > 0


def test_models_bench_figures(llama_server: LlamaServer) -> None:
    bench = models_bench(llama_server.url)
    print(f"\nescalator models --bench (tiny on llama.cpp): {bench}")
    assert bench["skipped"] is None and bench["runs"] == 5
    assert bench["tokens_per_s"] > 0 and bench["ttft_ms"] > 0
