"""Figures on the real llama.cpp server: the client's added latency, and models --bench.

Run it alone (it starts its own server)::

    .venv/bin/python -m tests.llama.measure [--n 200]

or through ``pytest tests/llama -m bench -s``. The added latency is the median of N
``fleet.model("tiny").chat`` calls minus the median of N raw ``httpx`` posts of the same
body to the same server, interleaved in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.providers import ChatRequest, open_fleet
from tests.llama.fixtures import tiny_config
from tests.llama.server import start_llama_server
from tests.llama.tiny_model import write_tiny_llama

__all__ = ["Overhead", "measure_overhead", "models_bench"]

PROMPT = "print hello"


@dataclass(frozen=True)
class Overhead:
    n: int
    raw_median_ms: float
    client_median_ms: float
    added_median_ms: float
    raw_p90_ms: float
    client_p90_ms: float


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


async def measure_overhead(url: str, n: int = 200, warmup: int = 10) -> Overhead:
    """Median latency of escalator's client vs raw httpx on the same requests."""
    config = tiny_config(url)
    request = ChatRequest.of(PROMPT, max_tokens=1)
    raw_ms: list[float] = []
    client_ms: list[float] = []
    async with open_fleet(config) as fleet, httpx.AsyncClient(timeout=60) as raw:
        model = fleet.model("tiny")
        body: dict[str, Any] = model.endpoint.adapter.body(model.spec, request, False)
        for i in range(warmup + n):
            # alternate which goes first, so neither gets the warmer server every time
            for which in ("raw", "client") if i % 2 == 0 else ("client", "raw"):
                t0 = time.perf_counter()
                if which == "raw":
                    response = await raw.post(f"{url}/v1/chat/completions", json=body)
                    response.json()["choices"][0]["message"]
                else:
                    await model.chat(request)
                elapsed = (time.perf_counter() - t0) * 1000
                if i >= warmup:
                    (raw_ms if which == "raw" else client_ms).append(elapsed)
    raw_med, client_med = statistics.median(raw_ms), statistics.median(client_ms)
    return Overhead(
        n=n,
        raw_median_ms=round(raw_med, 3),
        client_median_ms=round(client_med, 3),
        added_median_ms=round(client_med - raw_med, 3),
        raw_p90_ms=round(_p90(raw_ms), 3),
        client_p90_ms=round(_p90(client_ms), 3),
    )


def models_bench(url: str, runs: int = 5, max_tokens: int = 64) -> dict[str, Any]:
    """``escalator models --bench --json`` for the tiny model; its row's bench figures."""
    result = CliRunner().invoke(
        cli,
        ["models", "--bench", "--json", "--runs", str(runs), "--max-tokens", str(max_tokens)],
        obj={"config": tiny_config(url)},
    )
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    rows = json.loads(result.stdout)["models"]
    bench: dict[str, Any] = next(r["bench"] for r in rows if r["key"] == "tiny")
    return bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = write_tiny_llama(Path(tmp) / "tiny.gguf")
        server = start_llama_server(model, Path(tmp), n_ctx=512)
        try:
            overhead = asyncio.run(measure_overhead(server.url, n=args.n))
            print(json.dumps({"overhead": asdict(overhead)}, indent=2))
            print(json.dumps({"models_bench": models_bench(server.url)}, indent=2))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
