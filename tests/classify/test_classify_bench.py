"""Speed of the classifier: a benchmark that prints figures (no timed assertions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from escalator.classify import Classification, classify, classify_rules, load_tasks

HELDOUT = Path(__file__).parent / "heldout.jsonl"


@pytest.mark.bench
@pytest.mark.parametrize(
    ("name", "classifier"), [("keyword rules", classify_rules), ("learned blend", classify)]
)
def test_bench_classify_per_task(
    benchmark: Any, name: str, classifier: Callable[[str], Classification]
) -> None:
    texts = [item["text"] for item in load_tasks(HELDOUT)]

    def run_all() -> int:
        return sum(classifier(t).complexity for t in texts)

    benchmark(run_all)
    cpu = time.process_time()
    for _ in range(20):
        run_all()
    cpu_us = (time.process_time() - cpu) / (20 * len(texts)) * 1e6
    print(f"\n{name}: {cpu_us:.1f} us CPU per task ({len(texts)} titles x 20)")
    stats = benchmark.stats
    if stats is not None:  # None with --benchmark-disable: then it ran once as a plain test
        wall_us = stats.stats.mean / len(texts) * 1e6
        print(f"{name}: {wall_us:.1f} us wall per task (pytest-benchmark mean)")
