"""Speed of a cross-check: prints figures, asserts behaviour only (never timings)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from escalator.validate import agreement
from escalator.validate.agreement import Candidate, cross_check
from escalator.validate.agreement.execute import clear_cache

BODIES = [
    "def mean(xs, k):\n    return sum(xs) / len(xs) + k if xs else k\n",
    "def mean(xs, k):\n    if not xs:\n        return k\n    return k + sum(xs) / len(xs)\n",
    "import statistics\n\ndef mean(xs, k):\n    return statistics.fmean(xs) + k if xs else k\n",
    "def mean(xs, k):\n    return sum(xs) // max(1, len(xs)) + k\n",
    "def mean(xs, k):\n    return max(xs) + k\n",
    "def mean(xs, k):\n    t = 0\n    for x in xs:\n        t += x\n"
    "    return t / len(xs) + k if xs else k\n",
]


@pytest.mark.bench
def test_cross_check_speed(benchmark: Any, tmp_path: Path) -> None:
    (tmp_path / "test_stats.py").write_text(
        "from stats import mean\n\ndef test_mean():\n"
        "    assert mean([1, 2, 3], 0) == 2\n    assert mean([4], 1) == 5\n"
    )
    cands = [Candidate(f"c{i}", f"model{i}", {"stats.py": b}) for i, b in enumerate(BODIES)]

    def cold_run() -> agreement.AgreementReport:
        clear_cache()
        return asyncio.run(cross_check(workspace=tmp_path, candidates=cands, max_inputs=60))

    start = time.perf_counter()
    report = benchmark(cold_run)
    wall = time.perf_counter() - start
    print(
        f"\ncross_check: {len(cands)} candidates x {report.inputs} inputs, cold cache: "
        f"{wall:.2f} s wall in total over the benchmark's rounds; "
        f"per candidate (last run): {[round(r.wall_s, 3) for r in report.runs]}"
    )
    # c0, c1, c2 (fmean: same floats after normalisation) and c5 agree; c3, c4 do not.
    assert report.support("c0") == 4
    assert report.support("c3") == report.support("c4") == 1
