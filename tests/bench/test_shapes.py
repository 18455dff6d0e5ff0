"""The bench on every prompt shape the suite format allows (suites in tests/bench/shapes).

``stubs``: HumanEval-style code prompts; ``described``: a plain description with an
example ``assert`` and no ``def`` (MBPP style); ``helpers``: prompts whose context defines
helper functions the tests or the answers use. Each suite's outcomes.csv was measured
with the recipe (tests/bench/shapes/make_suites.py).
"""

from __future__ import annotations

import csv
import difflib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from escalator.bench.replay import SOLUTION_FILE, ReplayBook, solution_text
from escalator.bench.report import summarise
from escalator.bench.runner import BenchOptions, run_bench
from escalator.bench.scoring import hidden_program, run_program, visible_program
from escalator.bench.suite import Problem, load_suite
from escalator.bench.tasks import (
    NAIVE_VALIDATORS,
    TEST_FILE,
    build_workspace,
    prompt_is_stub,
    stub_source,
    task_description,
)
from escalator.registry import EditFormat
from escalator.work.prompts import PriorAttempt, build_worker_request

SHAPES = Path(__file__).resolve().parent / "shapes"
NAMES = ("stubs", "described", "helpers")


def _outcomes(folder: Path) -> dict[tuple[str, str, int], tuple[int, int]]:
    with (folder / "outcomes.csv").open() as fh:
        return {
            (r["model"], r["id"], int(r["sample"])): (int(r["visible_pass"]), int(r["hidden_pass"]))
            for r in csv.DictReader(fh)
        }


def _engine_prompt(problem: Problem, prior: list[PriorAttempt], *, retry: bool = False) -> str:
    request = build_worker_request(
        description=task_description(problem),
        files={SOLUTION_FILE: stub_source(problem)},
        edit_format=EditFormat.WHOLE,
        prior=prior,
        same_model_retry=retry,
    )
    return "\n".join(m.content for m in request.messages)


def _failed_attempt(book: ReplayBook, problem: Problem, model: str, number: int) -> PriorAttempt:
    answer = solution_text(problem, book.suite.samples(model, problem.id)[0].code)
    diff = "".join(
        difflib.unified_diff(
            stub_source(problem).splitlines(True), answer.splitlines(True), "a/x", "b/x"
        )
    )
    return PriorAttempt(model, number, diff, "FAILED test_visible_1\nAssertionError")


@pytest.mark.parametrize("name", NAMES)
def test_scoring_reproduces_the_suites_outcomes(name: str) -> None:
    suite = load_suite(SHAPES / name)
    expected = _outcomes(SHAPES / name)
    for (model, pid, sample), (visible, hidden) in expected.items():
        problem = suite.problem(pid)
        program = solution_text(problem, suite.samples(model, pid)[sample].code)
        assert run_program(visible_program(problem, program), 10).passed == bool(visible)
        assert run_program(hidden_program(problem, program), 20).passed == bool(hidden)


@pytest.mark.parametrize("name", NAMES)
def test_first_retry_and_escalation_prompts_are_recognised(name: str) -> None:
    book = ReplayBook(load_suite(SHAPES / name))
    for problem in book.suite.problems:
        first = _engine_prompt(problem, [])
        assert book.recognise(first) == problem
        tried = [m.slug for m in book.suite.models if book.suite.covers(m.slug, problem.id)]
        prior = [_failed_attempt(book, problem, m, n) for n, m in enumerate(tried[:2], 1)]
        assert book.recognise(_engine_prompt(problem, prior)) == problem
        assert book.recognise(_engine_prompt(problem, prior[:1], retry=True)) == problem
        quoted = "\n".join("> " + line for line in first.split("\n"))  # a re-wrapped copy
        assert book.recognise(quoted) == problem


def test_a_description_prompt_gets_a_stub_and_the_whole_text() -> None:
    suite = load_suite(SHAPES / "described")
    volume = suite.problem("Desc/4")
    assert not prompt_is_stub(volume)
    assert stub_source(volume) == "import math\n\n\ndef sphere_volume(arg1):\n    pass\n"
    assert volume.prompt in task_description(volume)
    duplicate = suite.problem("Desc/5")  # the second visible test is not in the prompt
    assert "assert test_duplicate([1, 2, 3, 4, 4]) == True" in task_description(duplicate)
    stub = load_suite(SHAPES / "stubs").problem("Stub/0")
    assert prompt_is_stub(stub) and stub.prompt not in task_description(stub)


def test_visible_tests_see_the_solutions_namespace(tmp_path: Path) -> None:
    """Helpers with a leading underscore, imported modules, and a function named test_*."""
    import subprocess
    import sys

    for name, pid in (("helpers", "Help/root"), ("described", "Desc/5"), ("described", "Desc/4")):
        problem = load_suite(SHAPES / name).problem(pid)
        folder = build_workspace(problem, tmp_path / name)
        canonical = problem.canonical_solution or ""
        (folder / SOLUTION_FILE).write_text(canonical)
        done = subprocess.run(
            [sys.executable, TEST_FILE], cwd=folder, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout
        assert f"0 failed, {len(problem.visible_tests)} passed" in done.stdout
        (folder / SOLUTION_FILE).write_text(stub_source(problem))
        done = subprocess.run(
            [sys.executable, TEST_FILE], cwd=folder, capture_output=True, text=True, check=False
        )
        assert done.returncode == 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("gate", ["agreement", "tests"])
def test_the_bench_on_each_shape(name: str, gate: str, tmp_path: Path) -> None:
    suite = load_suite(SHAPES / name)
    options = BenchOptions(concurrency=2, db_path=tmp_path / "log.db")
    if gate == "tests":
        options.validators = NAIVE_VALIDATORS
    run = run_bench(suite, options)
    summary = summarise(run)
    assert run.unrecognised == 0  # every request the engine sent was matched to its problem
    expected = _outcomes(SHAPES / name)
    for (model, pid, sample), (_, hidden) in expected.items():
        if sample == 0:
            assert run.sample0[(model, pid)] == bool(hidden)
    assert summary.to_json()["sample0_vs_outcomes_csv"] == {
        "compared": len(run.sample0),
        "differ": 0,
        "differences": [],
    }
    if name == "stubs":  # a recorded outcome the scorer disagrees with is reported
        copy = tmp_path / "copy"
        shutil.copytree(SHAPES / name, copy)
        csv_path = copy / "outcomes.csv"
        csv_path.write_text(
            csv_path.read_text().replace("cloud-x,Stub/0,0,1,1,1", "cloud-x,Stub/0,0,1,1,0")
        )
        moved = summarise(replace(run, suite=load_suite(copy)))
        assert moved.recorded_differences == ["cloud-x Stub/0: scored 1, outcomes.csv 0"]
    free = [summary.baselines[m.slug].pass_rate for m in suite.models if m.is_local]
    if gate == "agreement":  # the naive gate accepts the first passing answer, right or not
        assert summary.pass_rate >= max(free)  # no worse than the best free model alone
    assert summary.pass_rate >= 0.5  # the MBPP-shaped prompts once scored 0
    assert summary.accepted == len(suite.problems)
    # the cascade paid for fewer calls than the paid model alone would make
    assert summary.cost_usd < summary.baselines["cloud-x"].cost_usd
