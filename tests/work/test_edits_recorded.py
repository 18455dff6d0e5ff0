"""Real recorded model outputs (the shared HumanEval generations) through the parsers."""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escalator.registry import EditFormat
from escalator.work.edits import EditParseError, ParseFailure, parse_edits

# ../shared beside the repository, as in CI (never an absolute path)
SUITE = Path(__file__).resolve().parents[3] / "shared" / "bench" / "humaneval"
pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason="shared HumanEval suite not present")


def _generations() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    problems = {}
    for line in (SUITE / "problems.jsonl").read_text().splitlines():
        problem = json.loads(line)
        problems[problem["id"]] = problem
    for path in sorted((SUITE / "generations").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            generation = json.loads(line)
            yield problems[generation["id"]], generation


def _stub(problem: dict[str, Any]) -> str:
    return str(problem["prompt"]) + "    pass\n"


def test_fenced_recorded_programs_parse_to_exactly_that_program() -> None:
    outcomes: Counter[str] = Counter()
    for problem, generation in _generations():
        program = problem["context"] + "\n" + generation["code"]
        program = program.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"
        fence = "````" if "```" in program else "```"
        answer = f"Here is my solution.\n\nsolution.py\n{fence}python\n{program}{fence}\n"
        files: dict[str, str | None] = {"solution.py": _stub(problem)}
        try:
            edits = parse_edits(answer, edit_format=EditFormat.WHOLE, files=files)
        except EditParseError as err:
            outcomes[err.reason.value] += 1
            continue
        outcomes["same" if edits.files["solution.py"] == program else "different"] += 1
    total = sum(outcomes.values())
    print(f"\n{total} recorded programs: {dict(outcomes)}")
    assert total > 5000
    assert outcomes["different"] == 0
    # The only rejections allowed: answers that hand the stub back unchanged.
    assert set(outcomes) <= {"same", ParseFailure.UNCHANGED.value}
    assert outcomes[ParseFailure.UNCHANGED.value] < total * 0.01


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # odd escapes in model code
def test_unfenced_recorded_answers_are_accepted_only_when_they_are_programs() -> None:
    outcomes: Counter[str] = Counter()
    for problem, generation in _generations():
        raw = str(generation["raw"])
        files: dict[str, str | None] = {"solution.py": _stub(problem)}
        try:
            edits = parse_edits(raw, edit_format=EditFormat.WHOLE, files=files)
        except EditParseError as err:
            outcomes[err.reason.value] += 1
            if raw.strip() and raw.lstrip("\n")[:1].isspace():
                assert err.reason is ParseFailure.WRONG_FORMAT  # a bare function body
            continue
        new = edits.files["solution.py"]
        assert new is not None
        ast.parse(new)  # only complete programs are taken unfenced
        assert new.strip("\n") == raw.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        outcomes["accepted"] += 1
    print(f"\nunfenced recorded answers: {dict(outcomes)}")
    assert outcomes["accepted"] > 3000
