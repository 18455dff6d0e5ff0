"""Speed figures for parsing answers and building prompts (run with --benchmark-enable)."""

from __future__ import annotations

from typing import Any

import pytest

from escalator.registry import EditFormat
from escalator.work.edits import parse_edits
from escalator.work.prompts import PriorAttempt, build_worker_request, estimate_prompt_tokens

pytestmark = pytest.mark.bench


def _module(n_functions: int) -> str:
    return "\n\n".join(
        f"def handler_{i}(request, *, retries=3):\n"
        f'    """Handle request kind {i}."""\n'
        f"    value = request.get('k{i}', {i})\n"
        f"    return value * {i} + retries\n"
        for i in range(n_functions)
    )


BIG = _module(500)  # 2,500 lines, ~80 KB


def test_bench_whole_file_answer_2500_lines(benchmark: Any) -> None:
    new = BIG.replace("value * 250 +", "value * 251 +")
    answer = (
        "<think>short plan</think>\nHere it is:\n\nsrc/handlers.py\n```python\n" + new + "```\n"
    )
    edits = benchmark(
        parse_edits, answer, edit_format=EditFormat.WHOLE, files={"src/handlers.py": BIG}
    )
    assert edits.files["src/handlers.py"] == new


def test_bench_search_replace_exact_2500_lines(benchmark: Any) -> None:
    answer = (
        "src/handlers.py\n<<<<<<< SEARCH\n    value = request.get('k499', 499)\n=======\n"
        "    value = request.get('k499', 0)\n>>>>>>> REPLACE\n"
    )
    edits = benchmark(
        parse_edits, answer, edit_format=EditFormat.SEARCH_REPLACE, files={"src/handlers.py": BIG}
    )
    assert "request.get('k499', 0)" in (edits.files["src/handlers.py"] or "")


def test_bench_search_replace_fuzzy_2500_lines(benchmark: Any) -> None:
    # Dedented and with trailing spaces: forces the line-by-line whitespace-tolerant scan.
    answer = (
        "src/handlers.py\n<<<<<<< SEARCH\nvalue = request.get('k499', 499)   \n"
        "return value * 499 + retries\n=======\nreturn 0\n>>>>>>> REPLACE\n"
    )
    edits = benchmark(
        parse_edits, answer, edit_format=EditFormat.SEARCH_REPLACE, files={"src/handlers.py": BIG}
    )
    assert "    return 0\n" in (edits.files["src/handlers.py"] or "")


def test_bench_build_prompt_and_count_tokens_80kb(benchmark: Any) -> None:
    prior = [PriorAttempt("local-14b", i, "--- a\n+++ b\n", "failed " * 2000) for i in range(4)]

    def build() -> int:
        req = build_worker_request(
            description="Rename the retries parameter to attempts everywhere.",
            files={"src/handlers.py": BIG},
            edit_format=EditFormat.WHOLE,
            prior=prior,
            same_model_retry=True,
        )
        return estimate_prompt_tokens(req)

    tokens = benchmark(build)
    assert tokens > 20000
