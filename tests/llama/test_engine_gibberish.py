"""The whole engine against a real llama.cpp server whose model emits gibberish: the
work must never be accepted and the workspace never touched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from escalator.engine import RunOptions, run_task
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BUGGY, TESTS
from tests.fakes import config_for
from tests.llama.server import LlamaServer

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "task_type", [TaskType.STANDARD_DEVELOPMENT, TaskType.COMPLEX_ARCHITECTURE]
)
async def test_gibberish_is_never_accepted(
    task_type: TaskType,
    tmp_path: Path,
    llama_server_factory: Callable[..., LlamaServer],
) -> None:
    server = llama_server_factory(n_ctx=2048)
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "calc.py").write_text(BUGGY)
    (ws / "test_calc.py").write_text(TESTS)
    row = {"chain": ["tiny"], "checkers": ["tiny"], "attempts_per_model": 2}
    cfg = config_for(
        llamacpp_url=server.url,
        db_path=tmp_path / "t.db",
        extra={
            "models": {"tiny": {"context_window": 2048, "max_output_tokens": 96}},
            "matrix": {task_type.value: row},
        },
    )
    log = open_log(cfg.db_path, config=cfg)
    request = TaskRequest(
        description="Fix add() so that it returns the sum of its arguments",
        workspace=ws,
        files=("calc.py",),
        test_command="python -m pytest -q",
        task_type=task_type,
        complexity=7 if task_type == TaskType.COMPLEX_ARCHITECTURE else 4,
    )
    result = await run_task(request, config=cfg, options=RunOptions(approve_paid=False), log=log)
    assert result.outcome != Outcome.PASSED
    assert (ws / "calc.py").read_text() == BUGGY
    attempts = log.attempts(result.task_id)
    assert attempts, "the model was never called"
    assert all(a.outcome != "passed" for a in attempts)
    assert all(a.tokens_out > 0 for a in attempts if a.outcome != "error")
    log.close()
