"""A/B within a tier: tasks draw an arm by weight, the log records it, stats compares arms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.cli.main import cli
from escalator.config import ChainConfig
from escalator.engine import RunOptions, run_task
from escalator.errors import ConfigError
from escalator.experiments import compare_arms, wilson_interval
from escalator.plan import draw_arm
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BROKEN, FIXED, whole
from tests.fakes import LMStudioFake, config_for, write_config

QWEN3 = "qwen/qwen3-30b-a3b"
FAST = "qwen2.5-14b-instruct"
AB = {"qwen3-30b": {"qwen3-30b": 1, "local-14b": 1}}


def _row(ab: dict[str, dict[str, float]]) -> ChainConfig:
    return ChainConfig(
        TaskType.QUICK_EDIT, (0, 2), ("qwen3-30b", "gemini-flash"), (), 1, ("syntax",), "skip",
        ab=ab,
    )  # fmt: skip


def test_the_draw_follows_the_weights_and_is_fixed_by_the_seed() -> None:
    row = _row({"qwen3-30b": {"qwen3-30b": 3.0, "local-14b": 1.0}})
    draws = Counter(draw_arm(row, f"task-{n}")[1] for n in range(4000))
    share = draws["qwen3-30b=qwen3-30b"] / 4000
    assert 0.72 <= share <= 0.78, share
    assert draw_arm(row, "same")[0] == draw_arm(row, "same")[0]
    chain, arm = draw_arm(_row({}), "x")
    assert chain == ("qwen3-30b", "gemini-flash") and arm is None


def test_a_drawn_model_already_in_the_chain_is_tried_once() -> None:
    row = _row({"qwen3-30b": {"gemini-flash": 1.0, "qwen3-30b": 1e-9}})
    chain, arm = draw_arm(row, "t")
    assert chain == ("gemini-flash",) and arm == "qwen3-30b=gemini-flash"


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(0, 6)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.390, abs=1e-3)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.237, abs=1e-3) and high == pytest.approx(0.763, abs=1e-3)


def test_bad_ab_tables_are_refused_with_the_key() -> None:
    for ab, key in (
        ({"sonnet": {"sonnet": 1, "opus": 1}}, "ab.sonnet"),
        ({"qwen3-30b": {"qwen3-30b": 1}}, "two or more"),
        ({"qwen3-30b": {"qwen3-30b": 1, "nope": 1}}, "nope"),
        ({"qwen3-30b": {"qwen3-30b": 1, "local-14b": 0}}, "local-14b"),
    ):
        with pytest.raises(ConfigError, match=key):
            chain = ["qwen3-30b", "gemini-flash"]
            config_for(extra={"matrix": {"quick_edit": {"chain": chain, "ab": ab}}})


@pytest.mark.anyio
async def test_arms_are_recorded_and_stats_tells_the_better_one(tmp_path: Path) -> None:
    """By construction: qwen3-30b always writes broken code, local-14b always fixes it."""
    extra = {
        "matrix": {
            "quick_edit": {
                "chain": ["qwen3-30b"], "ab": AB, "attempts_per_model": 1,
                "validators": ["syntax"], "after_last": "skip",
            }
        }
    }  # fmt: skip
    with LMStudioFake(default="unused") as lms:
        lms.responder = lambda req: whole(BROKEN) if req.model == QWEN3 else whole(FIXED)
        cfg = config_for(lmstudio_url=lms.url, extra=extra, db_path=tmp_path / "tasks.db")
        arms: list[str | None] = []
        for n in range(16):
            ws = tmp_path / f"ws{n}"
            ws.mkdir()
            (ws / "calc.py").write_text(BROKEN)
            request = TaskRequest(
                description="Fix the typo in calc.py", workspace=ws, files=("calc.py",),
                task_type=TaskType.QUICK_EDIT, complexity=1,
            )  # fmt: skip
            result = await run_task(request, config=cfg, options=RunOptions(approve_paid=False))
            expected = Outcome.PASSED if (ws / "calc.py").read_text() == FIXED else Outcome.SKIPPED
            assert result.outcome == expected
        with open_log(tmp_path / "tasks.db", config=cfg) as log:
            arms = [t.arm for t in log.list_tasks(limit=100)]
            facts = [dict(r) for r in log.arm_facts()]
        config_file = write_config(
            tmp_path / "escalator.toml", lmstudio_url=lms.url, db_path=tmp_path / "tasks.db"
        )
    assert set(arms) == {"qwen3-30b=qwen3-30b", "qwen3-30b=local-14b"}
    (group,) = compare_arms(facts)
    by_arm = {a.arm: a for a in group.arms}
    assert by_arm["qwen3-30b=local-14b"].success_rate == 1.0
    assert by_arm["qwen3-30b=qwen3-30b"].success_rate == 0.0
    assert sum(a.tasks for a in group.arms) == 16
    stats = CliRunner().invoke(cli, ["--config", str(config_file), "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    shown = json.loads(stats.output)["arms"]
    assert shown[0]["task_type"] == "quick_edit" and len(shown[0]["arms"]) == 2
    if min(a.tasks for a in group.arms) >= 6:
        assert "local-14b succeeds more often" in group.verdict
