"""Property: whatever the answers and prices, no task and no day spends past its budgets.

Every model call counts: workers, retries, answers identical to the last one, and the
checker behind the semantic validator; and several processes share one daily budget."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from escalator.engine import RunOptions, run_task
from escalator.store import TaskLog, open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BROKEN, BUGGY, FIXED, whole
from tests.fakes import (
    DEFAULT_LMSTUDIO_MODELS,
    LMStudioFake,
    LocalModel,
    Reply,
    to_toml,
)
from tests.fakes._config import config_data_for

MODELS = {
    "local-14b": "qwen2.5-14b-instruct",
    "qwen3-30b": "qwen/qwen3-30b-a3b",
    "local-32b": "qwen2.5-coder-32b-instruct",
}
JUDGE = "judge-7b"  # the checker's model id
MAX_OUT = 400
VERDICT = json.dumps({"verdict": "pass", "confidence": 0.9, "issues": []})

# a small pool of answers, so a model often repeats itself (an identical retry)
answer = st.sampled_from([BROKEN, "no code here", BUGGY + "\n# v2\n", FIXED])
replies = st.lists(st.tuples(answer, st.integers(1, MAX_OUT)), min_size=1, max_size=3)
price = st.floats(0.01, 3.0, allow_nan=False)


def _config(
    url: str, db: Path, prices: dict[str, tuple[float, float]], daily: float
) -> dict[str, Any]:
    models: dict[str, Any] = {
        key: {"price_in_per_mtok": p_in, "price_out_per_mtok": p_out, "max_output_tokens": MAX_OUT}
        for key, (p_in, p_out) in prices.items()
    }
    judge_in, judge_out = prices["local-32b"]
    models["judge"] = {
        "provider": "lmstudio",
        "model_id": JUDGE,
        "tier": "LOCAL_QUALITY",
        "price_in_per_mtok": judge_in,
        "price_out_per_mtok": judge_out,
        "max_output_tokens": MAX_OUT,
        "capabilities": ["json_schema"],
    }
    matrix = {
        "quick_edit": {
            "chain": list(MODELS),
            "attempts_per_model": 2,
            "validators": ["syntax", "semantic"],
        }
    }
    return config_data_for(
        lmstudio_url=url,
        db_path=db,
        extra={
            "models": models,
            "matrix": matrix,
            "budgets": {"daily_usd": {"quick_edit": daily}},
            "validation": {"checker_model": "judge"},
        },
    )


def _fake() -> LMStudioFake:
    return LMStudioFake(models=[*DEFAULT_LMSTUDIO_MODELS, LocalModel(JUDGE)], default=VERDICT)


def _ledger_total(log: TaskLog, task_id: str) -> float:
    return sum(c.cost_usd for c in log.calls(task_id))


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    scripts=st.lists(
        st.fixed_dictionaries({key: replies for key in MODELS}), min_size=2, max_size=2
    ),
    prices=st.fixed_dictionaries({key: st.tuples(price, price) for key in MODELS}),
    budget=st.floats(0.001, 0.03, allow_nan=False),
    daily=st.floats(0.001, 0.05, allow_nan=False),
)
def test_no_sequence_of_answers_and_prices_spends_past_the_budgets(
    scripts: list[dict[str, list[tuple[str, int]]]],
    prices: dict[str, tuple[float, float]],
    budget: float,
    daily: float,
) -> None:
    with _fake() as fake, tempfile.TemporaryDirectory() as tmp:
        cfg_data = _config(fake.url, Path(tmp) / "t.db", prices, daily)
        from escalator.config import parse_config

        cfg = parse_config(cfg_data)
        log = open_log(cfg.db_path, config=cfg)
        day_total = 0.0
        for i, script in enumerate(scripts):  # two tasks share one day's budget
            ws = Path(tmp) / f"proj{i}"
            ws.mkdir()
            (ws / "calc.py").write_text(BUGGY)
            for key, replies_ in script.items():
                fake.script(
                    MODELS[key], *[Reply(whole(text), tokens_out=out) for text, out in replies_]
                )
            request = TaskRequest(
                description="Fix add() so that it returns the sum",
                workspace=ws,
                files=("calc.py",),
                task_type=TaskType.QUICK_EDIT,
                complexity=1,
                budget_usd=budget,
            )
            result = asyncio.run(
                run_task(request, config=cfg, options=RunOptions(approve_paid=True), log=log)
            )
            spent = _ledger_total(log, result.task_id)
            event(f"outcome={result.outcome.value}")
            assert abs(spent - result.cost_usd) < 1e-9  # the result reads the ledger
            assert abs(log.get_task(result.task_id).cost_usd - spent) < 1e-9
            assert spent <= budget + 1e-12
            if result.outcome == Outcome.BUDGET_STOPPED:
                assert result.stopped_by in ("per-task", "daily quick_edit")
            day_total += spent
        event(f"checker calls={len(fake.requests_for(JUDGE))}")
        assert day_total <= daily + 1e-12
        assert abs(log.spent_today("quick_edit") - day_total) < 1e-9
        log.close()


def test_processes_sharing_a_daily_budget_never_overspend_it(tmp_path: Path) -> None:
    """Six runs at once against one daily budget that fits about three of their calls."""
    with _fake() as fake:
        fake.default = Reply(whole(BROKEN), tokens_out=MAX_OUT, delay_s=0.3)
        prices = {key: (1.0, 5.0) for key in MODELS}  # worst case ~$0.002 per call
        daily = 0.005
        data = _config(fake.url, tmp_path / "t.db", prices, daily)
        path = tmp_path / "escalator.toml"
        path.write_text(to_toml(data), encoding="utf-8")
        env = {**os.environ, "ESCALATOR_CONFIG": str(path)}
        procs = []
        for i in range(6):
            ws = tmp_path / f"ws{i}"
            ws.mkdir()
            (ws / "calc.py").write_text(BUGGY)
            argv = [sys.executable, "-m", "escalator.cli.main", "run", "Fix add()"]
            argv += ["--workspace", str(ws), "--files", "calc.py", "--type", "quick_edit"]
            argv += ["--complexity", "1", "--yes", "--json", "--budget", "1"]
            procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True))
        outcomes = [json.loads(p.communicate(timeout=240)[0])["outcome"] for p in procs]
    assert "budget_stopped" in outcomes
    with open_log(tmp_path / "t.db", create=False) as log:
        assert log.spent_today("quick_edit") <= daily + 1e-12
        assert sum(t.cost_usd for t in log.list_tasks(limit=10)) <= daily + 1e-12
