"""The agreement validator end to end: real subprocesses on small candidate sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalator.errors import InputError
from escalator.validate.agreement import (
    AgreementReport,
    Candidate,
    CandidateRun,
    Compare,
    RunStatus,
    build_report,
    choose,
    cross_check,
    decide,
    decide_best,
    not_applicable,
)

pytestmark = pytest.mark.anyio

TESTS = (
    "from m import add\n\ndef test_add():\n    assert add(1, 2) == 3\n    assert add(0, 5) == 5\n"
)
GOOD = "def add(a, b):\n    return a + b\n"


def cand(key: str, model: str, body: str, path: str = "m.py") -> Candidate:
    return Candidate(key=key, model=model, files={path: body})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "test_m.py").write_text(TESTS)
    (ws / "m.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    return ws


async def check(workspace: Path, *cands: Candidate, **kw: object) -> AgreementReport:
    kw.setdefault("timeout_s", 5)
    kw.setdefault("per_input_s", 0.5)
    kw.setdefault("max_inputs", 20)
    return await cross_check(workspace=workspace, candidates=cands, **kw)  # type: ignore[arg-type]


async def test_agreeing_models_form_one_cluster_and_are_accepted(workspace: Path) -> None:
    report = await check(
        workspace,
        cand("a", "local-14b", GOOD),
        cand("b", "qwen3-30b", "def add(x, y):\n    total = x\n    total += y\n    return total\n"),
        cand("c", "haiku", "import operator\n\ndef add(a, b):\n    return operator.add(a, b)\n"),
    )
    assert report.applicable
    assert report.functions == ("add",)
    assert report.inputs == 20
    assert len(report.clusters) == 1
    assert report.support("a") == 3
    decision = decide(report, "b", min_agree=2)
    assert decision.accept and decision.applicable
    assert decision.confidence == 1.0
    assert "3 model(s)" in decision.reason
    json.dumps(report.to_json())


async def test_same_model_twice_counts_once(workspace: Path) -> None:
    report = await check(workspace, cand("a0", "local-14b", GOOD), cand("a1", "local-14b", GOOD))
    assert report.clusters[0].keys == ("a0", "a1")
    assert report.support("a1") == 1
    assert not decide(report, "a1", min_agree=2).accept


async def test_disagreement_on_generated_inputs_is_found_and_explained(workspace: Path) -> None:
    # Passes both visible tests (1+2 == 3, 0+5 == 5) but is wrong elsewhere.
    sneaky = "def add(a, b):\n    return 3 if a == 1 else b if a == 0 else a * b\n"
    report = await check(
        workspace, cand("a", "m1", GOOD), cand("b", "m2", GOOD), cand("s", "m3", sneaky)
    )
    assert len(report.clusters) == 2
    assert report.support("s") == 1
    assert report.best() is report.cluster_of("a")
    decision = decide(report, "s", min_agree=2)
    assert not decision.accept
    assert "disagrees with 2 model(s)" in decision.reason
    assert "add(" in decision.reason and "this gives" in decision.reason
    assert report.differences("s", report.clusters[0])


async def test_crashes_hangs_and_early_exits_are_contained(workspace: Path) -> None:
    report = await check(
        workspace,
        cand("good", "m1", GOOD),
        cand("import_crash", "m2", "raise RuntimeError('boom')\n" + GOOD),
        cand("syntax", "m3", "def add(a, b:\n    return a\n"),
        cand("raises", "m4", "def add(a, b):\n    return a / 0\n"),
        cand("sleeps", "m5", "import time\n\ndef add(a, b):\n    time.sleep(30)\n"),
        cand("exit_at_load", "m6", "import os\nos._exit(0)\n" + GOOD),
        cand("sys_exit", "m7", "import sys\n\ndef add(a, b):\n    sys.exit(0)\n"),
        cand("wrong_name", "m8", "def plus(a, b):\n    return a + b\n"),
        timeout_s=4,
        per_input_s=0.2,
        max_inputs=6,
    )
    status = {r.key: r.status for r in report.runs}
    assert status["import_crash"] is RunStatus.LOAD_ERROR
    crashed = report.run_of("import_crash")
    assert crashed is not None and "RuntimeError: boom" in crashed.detail
    assert status["syntax"] is RunStatus.LOAD_ERROR
    assert status["exit_at_load"] is RunStatus.LOAD_ERROR
    assert status["wrong_name"] is RunStatus.MISSING_FUNCTION
    outputs = {r.key: set(r.outputs) for r in report.runs if r.runnable}
    assert outputs["raises"] == {"!ZeroDivisionError"}
    assert outputs["sleeps"] == {"!Timeout"}
    assert outputs["sys_exit"] == {"!SystemExit"}
    assert report.support("import_crash") == 0
    assert not decide(report, "syntax").accept
    assert "did not run" in decide(report, "syntax").reason


async def test_wall_clock_kill_when_the_candidate_blocks_the_per_input_timer(
    workspace: Path,
) -> None:
    body = (
        "import signal\n\n"
        "def add(a, b):\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    if a == 0:\n"
        "        while True:\n"
        "            pass\n"
        "    return a + b\n"
    )
    report = await check(workspace, cand("h", "m", body), timeout_s=2, max_inputs=4)
    run = report.run_of("h")
    assert run is not None and run.runnable
    assert run.outputs[0] == "=3"  # add(1, 2) answered before the hang at add(0, 5)
    assert set(run.outputs[1:]) == {"!Timeout"}


async def test_exit_in_the_middle_keeps_earlier_results(workspace: Path) -> None:
    body = "import os\n\ndef add(a, b):\n    if a == 0:\n        os._exit(0)\n    return a + b\n"
    report = await check(workspace, cand("x", "m", body), max_inputs=4)
    run = report.run_of("x")
    assert run is not None and run.outputs[0] == "=3"
    assert set(run.outputs[1:]) == {"!Exited"}


async def test_printed_junk_does_not_become_a_result(workspace: Path) -> None:
    body = (
        "import sys, os\n"
        "print('0\\t\"=999\"')\n"
        "def add(a, b):\n"
        "    print('done\\n0\\t\"=1\"'); sys.stderr.write('noise\\n')\n"
        "    os.write(1, b'garbage\\n')\n"
        "    return a + b\n"
    )
    report = await check(workspace, cand("noisy", "m1", body), cand("a", "m2", GOOD))
    assert report.support("noisy") == 2


async def test_candidates_cannot_read_secrets_from_the_environment(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-secret")
    body = "import os\n\ndef add(a, b):\n    return os.environ.get('ANTHROPIC_API_KEY', 'absent')\n"
    report = await check(workspace, cand("spy", "m", body), max_inputs=2)
    run = report.run_of("spy")
    assert run is not None and set(run.outputs) == {"='absent'"}


async def test_package_layout_with_relative_imports(tmp_path: Path) -> None:
    ws = tmp_path / "proj"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "tests").mkdir()
    (ws / "src" / "pkg" / "__init__.py").write_text("")
    (ws / "src" / "pkg" / "util.py").write_text("def double(x):\n    return 2 * x\n")
    (ws / "tests" / "test_calc.py").write_text(
        "from pkg.calc import area\n\ndef test_area():\n    assert area(2, 3) == 12\n"
    )
    rel = "src/pkg/calc.py"
    a = cand(
        "a", "m1", "from .util import double\n\ndef area(w, h):\n    return double(w * h)\n", rel
    )
    b = cand("b", "m2", "def area(w, h):\n    return w * h * 2\n", rel)
    report = await check(ws, a, b, test_files=["tests/test_calc.py"])
    assert report.applicable
    assert all(r.runnable for r in report.runs), [r.detail for r in report.runs]
    assert report.support("a") == 2


async def test_tests_written_by_the_candidate_seed_inputs(tmp_path: Path) -> None:
    test = "from m import inc\n\ndef test_inc():\n    assert inc(4) == 5\n"
    a = Candidate("a", "m1", {"m.py": "def inc(x):\n    return x + 1\n", "test_m.py": test})
    b = Candidate("b", "m2", {"m.py": "def inc(x):\n    return 5\n", "test_m.py": test})
    report = await check(tmp_path, a, b)
    assert report.applicable and report.functions == ("inc",)
    assert len(report.clusters) == 2


async def test_explicit_functions_and_context(workspace: Path) -> None:
    body = "def add(a, b):\n    return helper(a) + b\n"
    report = await check(
        workspace,
        cand("a", "m1", body),
        cand("b", "m2", GOOD),
        functions=["add"],
        context="def helper(x):\n    return x\n",
    )
    assert report.support("a") == 2


async def test_results_are_deterministic(workspace: Path) -> None:
    sneaky = "def add(a, b):\n    return a + b if a < 100 else 0\n"
    cands = (cand("a", "m1", GOOD), cand("s", "m2", sneaky))
    first = await check(workspace, *cands)
    second = await check(workspace, *cands)
    assert first.calls == second.calls
    assert [c.signature for c in first.clusters] == [c.signature for c in second.clusters]


async def test_not_applicable_paths(workspace: Path, tmp_path: Path) -> None:
    js = Candidate("j", "m", {"app.js": "export const add = (a, b) => a + b;\n"})
    cases = [
        await check(workspace, js),
        await check(workspace, cand("a", "m", "def unrelated(x):\n    return x\n")),
        await check(tmp_path / "nothing-here", cand("a", "m", GOOD)),
        await check(workspace),
    ]
    reasons = [r.reason for r in cases]
    assert all(not r.applicable and r.clusters == [] for r in cases)
    assert all(reason.startswith("not applicable: ") for reason in reasons)
    assert "Python" in reasons[0]
    assert "literal arguments" in reasons[1]
    assert "no test files" in reasons[2]
    decision = decide(cases[1], "a")
    assert not decision.accept and not decision.applicable
    assert decision.reason.startswith("not applicable")


async def test_tests_without_literal_calls_are_not_applicable(workspace: Path) -> None:
    (workspace / "test_m.py").write_text(
        "from m import add\nX = 1\n\ndef test():\n    assert add(X, X) == 2\n"
    )
    report = await check(workspace, cand("a", "m", GOOD), functions=["add"])
    assert not report.applicable
    assert "add" in report.reason


async def test_duplicate_keys_and_escaping_paths_are_rejected(workspace: Path) -> None:
    with pytest.raises(InputError, match="unique"):
        await check(workspace, cand("a", "m1", GOOD), cand("a", "m2", GOOD))
    with pytest.raises(InputError, match="leaves the workspace"):
        await check(workspace, cand("a", "m1", GOOD, path="../m.py"))


# ---------------------------------------------------------------- pure policy


def run(key: str, model: str, *outputs: str) -> CandidateRun:
    return CandidateRun(key, model, RunStatus.OK, "", tuple(outputs))


CALLS = ["f(1)", "f(2)", "f(-1)"]


def test_defined_comparison_ignores_inputs_outside_the_domain() -> None:
    runs = [
        run("a", "m1", "=1", "=2", "!ValueError"),
        run("b", "m2", "=1", "=2", "!Timeout"),
        run("c", "m3", "=1", "=2", "!IndexError"),
    ]
    strict = build_report(runs, functions=["f"], calls=CALLS, compare=Compare.STRICT)
    defined = build_report(runs, functions=["f"], calls=CALLS, compare=Compare.DEFINED)
    assert len(strict.clusters) == 3
    assert len(defined.clusters) == 1 and defined.compared == 2


def test_weights_and_rank_choose_between_clusters() -> None:
    runs = [
        run("w1", "weak1", "=0", "=0", "=0"),
        run("w2", "weak2", "=0", "=0", "=0"),
        run("s", "strong", "=1", "=2", "=3"),
        run("t", "other", "=1", "=2", "=3"),
    ]
    report = build_report(runs, functions=["f"], calls=CALLS)
    rank = {"weak1": 0.0, "weak2": 0.0, "strong": 40.0, "other": 2.0}
    assert report.best(rank=rank) is report.cluster_of("s")  # 2 v 2: the stronger model
    weights = {"weak1": 0.3, "weak2": 0.3, "strong": 0.9, "other": 0.6}
    assert decide(report, "s", weights=weights).accept
    assert not decide(report, "w1", weights=weights).accept
    assert choose(report, rank=rank) == "s"
    heavy = {"weak1": 1.0, "weak2": 1.0, "strong": 0.5, "other": 0.5}
    assert report.best(weights=heavy) is report.cluster_of("w1")


def test_trusted_and_final_policies() -> None:
    alone = build_report([run("g", "gpt", "=1", "=2", "=3")], functions=["f"], calls=CALLS)
    assert not decide(alone, "g").accept
    assert decide(alone, "g", trusted={"gpt"}).accept
    assert decide(alone, "g", final=True).accept
    contradicted = build_report(
        [
            run("g", "gpt", "=1", "=2", "=3"),
            run("a", "m1", "=1", "=2", "=4"),
            run("b", "m2", "=1", "=2", "=4"),
        ],
        functions=["f"],
        calls=CALLS,
    )
    assert not decide(contradicted, "g", trusted={"gpt"}).accept
    assert not decide(contradicted, "g", final=True).accept
    assert decide(contradicted, "a").accept


async def test_numpy_candidates_load_and_compare_equal_to_plain_python(workspace: Path) -> None:
    body = "import numpy as np\n\ndef add(a, b):\n    return np.add(np.int64(a), np.int64(b))\n"
    report = await check(workspace, cand("np", "m1", body), cand("py", "m2", GOOD), max_inputs=8)
    assert all(r.runnable for r in report.runs), [r.detail for r in report.runs]
    assert report.support("np") == 2


async def test_candidates_failing_everywhere_do_not_agree_with_a_working_one(
    workspace: Path,
) -> None:
    report = await check(
        workspace,
        cand("good", "m1", GOOD),
        cand("rec", "m2", "def add(a, b):\n    return add(a, b)\n"),
        cand("mem", "m3", "def add(a, b):\n    return [0] * (10**10)\n"),
        cand("zero", "m4", "def add(a, b):\n    return 1 // 0\n"),
        max_inputs=8,
    )
    assert report.support("good") == 1
    assert {o for r in report.runs if r.key == "mem" for o in r.outputs} == {"!MemoryError"}
    assert report.compared >= 2  # the test's own calls are always compared


def test_seed_inputs_are_always_compared() -> None:
    runs = [
        run("a", "m1", "=1", "!ValueError", "!ValueError"),
        run("b", "m2", "!TypeError", "!ValueError", "!ValueError"),
        run("c", "m3", "!TypeError", "!ValueError", "!ValueError"),
    ]
    without = build_report(runs, functions=["f"], calls=CALLS)
    with_seed = build_report(runs, functions=["f"], calls=CALLS, seeds=[0])
    assert without.compared == 0 and len(without.clusters) == 1
    assert with_seed.compared == 1 and with_seed.support("a") == 1


def test_decide_best_picks_the_pool_winner_not_the_newest() -> None:
    runs = [
        run("a", "local-14b", "=1", "=2", "=3"),
        run("b", "qwen3-30b", "=1", "=2", "=3"),
        run("c", "local-32b", "=0", "=0", "=0"),
    ]
    report = build_report(runs, functions=["f"], calls=CALLS)
    assert not decide(report, "c").accept
    key, decision = decide_best(report, min_agree=2, rank={"qwen3-30b": 2.0})
    assert key == "b" and decision.accept and decision.support == 2
    key, decision = decide_best(report, min_agree=3)
    assert key in ("a", "b") and not decision.accept
    none_key, none_decision = decide_best(not_applicable("no candidate changes a Python file"))
    assert none_key is None and not none_decision.applicable and not none_decision.accept
