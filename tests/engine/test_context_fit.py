"""Context windows: LM Studio's loaded context decides what fits."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.engine import RunOptions, run_task
from escalator.store import open_log
from escalator.task import Outcome, TaskRequest, TaskType
from tests.engine.conftest import BUGGY, FIXED, whole
from tests.fakes import LMStudioFake, LocalModel, config_for

pytestmark = pytest.mark.anyio

QWEN3 = "qwen/qwen3-30b-a3b"
CODER = "qwen2.5-coder-32b-instruct"


def project(tmp_path: Path) -> Path:
    ws = tmp_path / "big"
    ws.mkdir()
    (ws / "calc.py").write_text(BUGGY)
    for i in range(30):  # ~30 * 1.3 kB of unrelated modules
        (ws / f"module_{i:02}.py").write_text(f"# module {i}\n" + "VALUE = 'x' * 80\n" * 70)
    return ws


async def test_given_files_that_do_not_fit_skip_the_model_with_the_reason(tmp_path: Path) -> None:
    ws = project(tmp_path)
    (ws / "calc.py").write_text(BUGGY + "# padding\n" * 3000)
    models = [LocalModel(QWEN3, context_length=2048), LocalModel(CODER)]
    with LMStudioFake(models=models) as lms:
        lms.script(CODER, whole(FIXED))
        cfg = config_for(lmstudio_url=lms.url, db_path=tmp_path / "t.db")
        log = open_log(cfg.db_path, config=cfg)
        request = TaskRequest(
            description="Fix add()",
            workspace=ws,
            files=("calc.py",),
            task_type=TaskType.QUICK_EDIT,
            complexity=1,
        )
        matrix_cfg = RunOptions(chain=("qwen3-30b", "local-32b"), approve_paid=False)
        result = await run_task(request, config=cfg, options=matrix_cfg, log=log)
        assert lms.requests_for(QWEN3) == []
        assert result.models_tried == ["local-32b"]
        skips = [e for e in log.events(result.task_id) if e.kind == "skipped_model"]
        assert skips and "2048" in skips[0].detail["reason"]
        assert result.outcome == Outcome.PASSED


async def test_picked_files_are_trimmed_to_fit_a_small_loaded_context(tmp_path: Path) -> None:
    ws = project(tmp_path)
    models = [LocalModel(QWEN3, context_length=4096)]
    with LMStudioFake(models=models) as lms:
        lms.script(QWEN3, whole(FIXED))
        cfg = config_for(lmstudio_url=lms.url, db_path=tmp_path / "t.db")
        log = open_log(cfg.db_path, config=cfg)
        request = TaskRequest(
            description="Fix add() in calc.py",
            workspace=ws,
            task_type=TaskType.QUICK_EDIT,
            complexity=1,
        )
        options = RunOptions(chain=("qwen3-30b",), approve_paid=False)
        result = await run_task(request, config=cfg, options=options, log=log)
        sent = lms.requests_for(QWEN3)
        assert len(sent) == 1
        assert len(sent[0].prompt_text()) < 4096 * 4
        assert "calc.py" in sent[0].prompt_text()
        assert result.outcome == Outcome.PASSED
