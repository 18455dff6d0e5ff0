"""Property: whatever the answers and prices, a task never spends past its budgets."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from escalator.engine import RunOptions, run_task
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BROKEN, BUGGY, FIXED, whole
from tests.fakes import LMStudioFake, Reply, config_for

MODELS = {
    "local-14b": "qwen2.5-14b-instruct",
    "qwen3-30b": "qwen/qwen3-30b-a3b",
    "local-32b": "qwen2.5-coder-32b-instruct",
}
MAX_OUT = 400

answer = st.sampled_from([BROKEN, "no code here", BUGGY + "\n# v2\n", FIXED])
replies = st.lists(st.tuples(answer, st.integers(1, MAX_OUT)), min_size=1, max_size=3)
price = st.floats(0.01, 3.0, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    script=st.fixed_dictionaries({key: replies for key in MODELS}),
    prices=st.fixed_dictionaries({key: st.tuples(price, price) for key in MODELS}),
    budget=st.floats(0.001, 0.03, allow_nan=False),
    daily=st.floats(0.001, 0.05, allow_nan=False),
)
def test_no_sequence_of_answers_and_prices_spends_past_the_budget(
    script: dict[str, list[tuple[str, int]]],
    prices: dict[str, tuple[float, float]],
    budget: float,
    daily: float,
) -> None:
    with LMStudioFake() as fake, tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "proj"
        ws.mkdir()
        (ws / "calc.py").write_text(BUGGY)
        for key, replies_ in script.items():
            fake.script(
                MODELS[key], *[Reply(whole(text), tokens_out=out) for text, out in replies_]
            )
        models = {
            key: {
                "price_in_per_mtok": p_in,
                "price_out_per_mtok": p_out,
                "max_output_tokens": MAX_OUT,
            }
            for key, (p_in, p_out) in prices.items()
        }
        matrix = {"quick_edit": {"chain": list(MODELS), "attempts_per_model": 2}}
        cfg = config_for(
            lmstudio_url=fake.url,
            db_path=Path(tmp) / "t.db",
            extra={
                "models": models,
                "matrix": matrix,
                "budgets": {"daily_usd": {"quick_edit": daily}},
            },
        )
        log = open_log(cfg.db_path, config=cfg)
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
        attempts = log.attempts(result.task_id)
        event(f"outcome={result.outcome.value}, calls={len(fake.requests_to('chat'))}")
        spent = sum(a.cost_usd for a in attempts)
        assert spent <= result.cost_usd + 1e-12
        assert result.cost_usd <= min(budget, daily) + 1e-12
        if result.outcome == Outcome.BUDGET_STOPPED:
            assert result.stopped_by in ("per-task", "daily quick_edit")
        log.close()
