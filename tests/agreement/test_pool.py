"""Agreement as a validator over a pool, run on the sandbox's process runner."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.sandbox import detect_isolation
from escalator.validate.agreement import AgreementPool, PoolSettings, cross_check
from escalator.validate.agreement.harness import module_name, norm
from escalator.validate.agreement.targets import Candidate
from escalator.validate.verdict import Status

pytestmark = pytest.mark.anyio

TESTS = (
    "from m import add\n\ndef test_add():\n    assert add(1, 2) == 3\n    assert add(0, 5) == 5\n"
)
GOOD = "def add(a, b):\n    return a + b\n"
ALSO_GOOD = "def add(x, y):\n    return sum((x, y))\n"
WRONG = "def add(a, b):\n    return a + b if a else 5\n"
RANK = {"local-14b": 1.0, "qwen3-30b": 2.0, "haiku": 3.0}
ISOLATED = detect_isolation().namespaces


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "test_m.py").write_text(TESTS)
    (ws / "m.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    return ws


def pool(workspace: Path, *entries: tuple[str, str, str]) -> AgreementPool:
    p = AgreementPool(workspace, PoolSettings(min_agree=2, rank=RANK, timeout_s=5))
    for key, model, body in entries:
        p.add(key, model, {"m.py": body, "gone.py": None})
    return p


async def test_judge_accepts_an_agreeing_answer_and_names_the_strongest(workspace: Path) -> None:
    p = pool(workspace, ("a", "local-14b", GOOD), ("b", "haiku", ALSO_GOOD))
    p.add("c", "qwen3-30b", {"m.py": GOOD})
    decision = await p.judge("c")
    assert decision.decision.accept and decision.passes
    assert decision.chosen == "b"  # haiku ranks highest among the three that agree
    assert decision.verdict.status is Status.PASSED
    assert decision.verdict.confidence == decision.decision.confidence == 1.0


async def test_a_contradicted_answer_fails_with_the_disagreeing_calls(workspace: Path) -> None:
    p = pool(workspace, ("a", "local-14b", GOOD), ("b", "haiku", ALSO_GOOD))
    p.add("w", "qwen3-30b", {"m.py": WRONG})
    decision = await p.judge("w")
    assert not decision.passes and decision.verdict.status is Status.FAILED
    assert "disagrees with 2 model(s)" in decision.verdict.feedback


async def test_a_deferred_answer_is_held_back_but_not_failed(workspace: Path) -> None:
    p = pool(workspace, ("a", "local-14b", GOOD), ("b", "qwen3-30b", GOOD))
    decision = await p.judge("b", defer=True)
    assert decision.decision.deferred and not decision.passes
    assert decision.verdict.status is Status.SKIPPED


async def test_settle_decides_on_the_pool_winner(workspace: Path) -> None:
    assert await pool(workspace).settle(final=False) is None
    p = pool(workspace, ("w", "haiku", WRONG), ("a", "local-14b", GOOD), ("b", "qwen3-30b", GOOD))
    early = await p.settle(final=False)
    assert early is not None and early.decision.accept and early.chosen == "b"
    lone = pool(workspace, ("w", "haiku", WRONG))
    assert (await lone.settle(final=False)).passes is False  # type: ignore[union-attr]
    assert (await lone.settle(final=True)).chosen == "w"  # type: ignore[union-attr]


async def test_not_applicable_passes_with_a_skipped_verdict(tmp_path: Path) -> None:
    p = AgreementPool(tmp_path, PoolSettings())
    p.add("a", "m", {"README.md": "hi"})
    decision = await p.judge("a")
    assert decision.passes and not decision.decision.applicable
    assert decision.verdict.status is Status.SKIPPED and decision.verdict.confidence == 0.0


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # the kernel completes a connection without accept()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.skipif(not ISOLATED, reason="no unprivileged namespaces on this machine")
async def test_candidates_run_without_network_and_cannot_write_the_workspace(
    workspace: Path, listener: int
) -> None:
    probe = (
        "import socket\n\ndef add(a, b):\n"
        f"    socket.create_connection(('127.0.0.1', {listener}), timeout=0.2)\n"
        "    return a + b\n"
    )
    writer = (
        "def add(a, b):\n"
        f"    open({str(workspace / 'pwned.txt')!r}, 'w').write('x')\n"
        "    return a + b\n"
    )
    report = await cross_check(
        workspace=workspace,
        candidates=[Candidate("p", "m1", {"m.py": probe}), Candidate("w", "m2", {"m.py": writer})],
        timeout_s=5,
        max_inputs=3,
    )
    outputs = {r.key: set(r.outputs) for r in report.runs}
    assert outputs["p"] and all(o.startswith("!") for o in outputs["p"])  # no connection
    assert outputs["w"] and all(o.startswith("!") for o in outputs["w"])  # read-only
    assert not (workspace / "pwned.txt").exists()


def test_harness_normalises_values_and_names_modules() -> None:
    assert norm(3.0) == norm(3) == "3"
    assert norm({2, 1}) == norm({1, 2}) == "set{1,2}"
    assert norm({"b": 1, "a": [1.5, None]}) == "{'a':[1.5,None],'b':1}"
    assert norm(object()) == "<object>"
    assert module_name("src/pkg/__init__.py") == "pkg"
    assert module_name("src/pkg/calc.py") == "pkg.calc"
    assert module_name("my-scripts/run.py") is None
