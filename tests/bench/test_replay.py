"""Problem recognition on the real suite and on prompts that moved things around."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.bench.replay import ReplayBook
from escalator.bench.suite import load_suite
from escalator.bench.tasks import stub_source

# ../shared beside the repository, as in CI (never an absolute path)
SHARED = Path(__file__).resolve().parents[3] / "shared" / "bench" / "humaneval"


def test_recognises_reindented_and_rewrapped_stub(tiny_suite_dir: Path) -> None:
    book = ReplayBook(load_suite(tiny_suite_dir))
    stub = stub_source(book.suite.problem("Tiny/rev"))
    squashed = " ".join(stub.split())  # whitespace collapsed: still the same text
    assert book.recognise("Please fix:\n" + squashed).id == "Tiny/rev"  # type: ignore[union-attr]


def test_signature_alone_decides_when_docstring_is_gone(tiny_suite_dir: Path) -> None:
    book = ReplayBook(load_suite(tiny_suite_dir))
    prompt = "solution.py\n```python\ndef clamp_value(x: float, lo: float, hi: float) -> float:\n"
    assert book.recognise(prompt).id == "Tiny/clamp"  # type: ignore[union-attr]


def test_earliest_stub_wins_over_code_quoted_later(tiny_suite_dir: Path) -> None:
    book = ReplayBook(load_suite(tiny_suite_dir))
    add = stub_source(book.suite.problem("Tiny/add"))
    rev = stub_source(book.suite.problem("Tiny/rev"))
    assert book.recognise(f"{add}\n\nPrevious answer:\n{rev}").id == "Tiny/add"  # type: ignore[union-attr]


def test_no_matching_def_is_unknown(tiny_suite_dir: Path) -> None:
    book = ReplayBook(load_suite(tiny_suite_dir))
    assert book.recognise("def add_numbers_twice(a):\n    pass") is None
    assert book.recognise("just prose") is None


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared HumanEval suite not present")
def test_every_humaneval_stub_is_recognised() -> None:
    book = ReplayBook(load_suite(SHARED))
    for problem in book.suite.problems:
        prompt = f"Task.\n\nsolution.py\n```python\n{stub_source(problem)}```\n"
        found = book.recognise(prompt)
        assert found is not None and found.id == problem.id
