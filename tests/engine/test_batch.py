"""`escalator batch`: parallel across workspaces, serial within one, resumable, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from escalator.cli.main import cli
from tests.engine.conftest import BROKEN, FIXED, whole
from tests.fakes import LMStudioFake, Reply, write_config

FAST = "qwen2.5-14b-instruct"


def _workspace(root: Path, name: str) -> Path:
    ws = root / name
    ws.mkdir(parents=True, exist_ok=True)
    (ws / "calc.py").write_text(BROKEN)
    return ws


def _line(ws: Path, **extra: object) -> str:
    task = {"description": "Fix the typo in calc.py", "workspace": str(ws), "files": ["calc.py"]}
    return json.dumps({**task, "type": "quick_edit", **extra})


def _config(tmp_path: Path, url: str) -> Path:
    quick = {"validators": ["syntax"], "attempts_per_model": 1}
    return write_config(
        tmp_path / "escalator.toml", lmstudio_url=url, db_path=tmp_path / "tasks.db",
        extra={"matrix": {"quick_edit": quick}},
    )  # fmt: skip


def _batch(config: Path, batch: Path, *args: str) -> tuple[int, dict[str, object]]:
    argv = ["--config", str(config), "batch", str(batch), "--no-paid", "--json", *args]
    result = CliRunner().invoke(cli, argv)
    return result.exit_code, json.loads(result.stdout)


def test_different_workspaces_run_together_the_same_one_in_turn(tmp_path: Path) -> None:
    with LMStudioFake(default=Reply(whole(FIXED), delay_s=0.6)) as lms:
        config = _config(tmp_path, lms.url)
        apart = tmp_path / "apart.jsonl"
        apart.write_text("\n".join(_line(_workspace(tmp_path, f"w{n}")) for n in range(4)))
        code, out = _batch(config, apart, "--concurrency", "4")
        assert code == 0, out
        assert out["outcomes"] == {"passed": 4}
        parallel = lms.max_in_flight
        lms.clear()
        same = _workspace(tmp_path, "shared")
        together = tmp_path / "together.jsonl"
        together.write_text("\n".join(_line(same, description=f"Fix typo {n}") for n in range(3)))
        code, out = _batch(config, together, "--concurrency", "4")
        serial = lms.max_in_flight
    assert parallel >= 2, "tasks on different workspaces should overlap"
    assert serial == 1, "tasks on one workspace must run one after another"
    assert out["tasks"] == 3


def test_a_rerun_resumes_after_the_lines_already_finished(tmp_path: Path) -> None:
    with LMStudioFake(default=whole(FIXED)) as lms:
        config = _config(tmp_path, lms.url)
        batch = tmp_path / "tasks.jsonl"
        batch.write_text("\n".join(_line(_workspace(tmp_path, f"w{n}")) for n in range(3)))
        # a first run that ended after line 1 (killed): only line 1 is in the progress file
        progress = tmp_path / "tasks.jsonl.progress.jsonl"
        progress.write_text(json.dumps({"line": 1, "outcome": "passed", "task_id": "x"}) + "\n{")
        code, out = _batch(config, batch)
        calls = len(lms.requests_to("chat"))
    assert code == 0, out
    assert out["done_before"] == 1 and out["ran_now"] == 2 and out["tasks"] == 3
    assert calls == 2, "the finished line must not be run again"
    assert (tmp_path / "w0" / "calc.py").read_text() == BROKEN  # line 1 was not redone here
    assert (tmp_path / "w2" / "calc.py").read_text() == FIXED


def test_a_failed_line_exits_1_and_is_named(tmp_path: Path) -> None:
    with LMStudioFake(default=whole(BROKEN)) as lms:
        config = _config(tmp_path, lms.url)
        batch = tmp_path / "tasks.jsonl"
        batch.write_text(_line(_workspace(tmp_path, "w")))
        code, out = _batch(config, batch)
    assert code == 1
    assert out["outcomes"] == {"skipped": 1}


def test_bad_lines_are_refused_with_their_number(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    ws = _workspace(tmp_path, "w")
    for bad, expected in (
        ("not json", ":2: not JSON"),
        (json.dumps({"description": "x"}), ":2: 'workspace' None is not an existing folder"),
        (json.dumps({"description": "x", "workspace": str(ws), "colour": 1}), "unknown key"),
        (_line(ws, type="poetry"), ":2:"),
    ):
        batch = tmp_path / "tasks.jsonl"
        batch.write_text(_line(ws) + "\n" + bad)
        result = CliRunner().invoke(cli, ["--config", str(config), "batch", str(batch)])
        assert result.exit_code == 2, (bad, result.output)
        assert expected in result.output and "Traceback" not in result.output
