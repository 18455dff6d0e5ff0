"""classify.method = model | auto: the local language model through the LM Studio fake,
with the local classifier as fallback when it hangs, fails or answers nonsense."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from escalator.classify import Classification
from escalator.classify._methods import classify_task
from escalator.cli.main import cli
from escalator.config import Config
from escalator.providers import open_fleet
from escalator.task import TaskType
from tests.fakes import LMStudioFake, Reply, config_for, write_config

FAST_MODEL = "qwen2.5-14b-instruct"  # local-14b, the first free model of the defaults
UNSURE = "Update the widget handling"
CLEAR = "Fix typo in README"


def _config(url: str, tmp_path: Path, **classify: Any) -> Config:
    return config_for(
        lmstudio_url=url,
        db_path=tmp_path / "tasks.db",
        extra={"classify": classify, "providers": {"lmstudio": {"max_retries": 0}}},
    )


def _classify(config: Config, text: str, **kw: Any) -> Classification:
    async def go() -> Classification:
        async with open_fleet(config) as fleet:
            return await classify_task(text, config=config, fleet=fleet, **kw)

    return asyncio.run(go())


def test_model_answer_is_used_and_its_cost_and_latency_reported(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(FAST_MODEL, Reply('{"task_type": "complex_architecture", "complexity": 7}'))
        result = _classify(_config(lms.url, tmp_path, method="model"), UNSURE)
        [request] = lms.requests_for(FAST_MODEL)
    assert result.task_type is TaskType.COMPLEX_ARCHITECTURE and result.complexity in (6, 7)
    assert result.reasons[0].startswith("model local-14b: complex_architecture in ")
    assert " ms, $0.000000" in result.reasons[0]
    body = request.body
    assert body["response_format"]["type"] == "json_schema"
    prompt = json.dumps(body["messages"])
    assert "critical (9-10)" in prompt and UNSURE in prompt


def test_nonsense_answer_falls_back_to_the_local_classifier(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(FAST_MODEL, Reply("I think this is a medium-sized task, probably."))
        result = _classify(_config(lms.url, tmp_path, method="model"), CLEAR)
    assert result.task_type is TaskType.QUICK_EDIT
    assert "answered nonsense" in result.reasons[0]
    assert "local classifier's answer stands" in result.reasons[0]


def test_wrong_shaped_json_falls_back(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(FAST_MODEL, Reply('{"task_type": "huge", "complexity": "very"}'))
        result = _classify(_config(lms.url, tmp_path, method="model"), CLEAR)
    assert result.task_type is TaskType.QUICK_EDIT and "nonsense" in result.reasons[0]


def test_a_model_that_hangs_is_cut_off_at_the_time_limit(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.script(FAST_MODEL, Reply('{"task_type": "critical", "complexity": 9}', delay_s=3.0))
        cfg = _config(lms.url, tmp_path, method="model", timeout_s=0.3)
        result = _classify(cfg, CLEAR)
    assert result.task_type is TaskType.QUICK_EDIT
    assert "gave no answer in 0.3 s" in result.reasons[0]


def test_unreachable_model_falls_back(tmp_path: Path) -> None:
    cfg = _config("http://127.0.0.1:9", tmp_path, method="model")
    result = _classify(cfg, CLEAR)
    assert result.task_type is TaskType.QUICK_EDIT and "failed" in result.reasons[0]


def test_auto_asks_only_when_the_local_classifier_is_unsure(tmp_path: Path) -> None:
    with LMStudioFake() as lms:
        lms.default = '{"task_type": "critical", "complexity": 9}'
        cfg = _config(lms.url, tmp_path, method="auto", unsure_below=0.6)
        clear = _classify(cfg, CLEAR)
        assert lms.requests_for(FAST_MODEL) == []
        forced = _classify(cfg, UNSURE, task_type=TaskType.QUICK_EDIT)
        assert lms.requests_for(FAST_MODEL) == []
        always = _config(lms.url, tmp_path, method="auto", unsure_below=1.0)
        unsure = _classify(always, UNSURE)
        assert len(lms.requests_for(FAST_MODEL)) == 1
    assert clear.task_type is TaskType.QUICK_EDIT and clear.confidence >= 0.6
    assert forced.task_type is TaskType.QUICK_EDIT and forced.forced
    assert unsure.task_type is TaskType.CRITICAL


def test_eval_method_model_from_the_command_line(tmp_path: Path) -> None:
    tasks = tmp_path / "t.jsonl"
    tasks.write_text(
        '{"text": "Fix typo in README", "type": "quick_edit"}\n'
        '{"text": "Redesign the plugin API", "type": "complex_architecture"}\n',
        encoding="utf-8",
    )
    with LMStudioFake() as lms:
        lms.default = '{"task_type": "quick_edit", "complexity": 1}'
        config = write_config(tmp_path / "escalator.toml", lmstudio_url=lms.url)
        args = ["--config", str(config), "classify", "--file", str(tasks), "--eval"]
        result = CliRunner().invoke(cli, [*args, "--method", "model", "--json"])
        asked = len(lms.requests_for(FAST_MODEL))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["method"] == "model" and doc["n"] == 2 and asked == 2
    assert doc["accuracy"] == 0.5  # the fake calls everything a quick edit
    assert doc["confusion"]["complex_architecture"]["quick_edit"] == 1
