"""Learning from corrections: labels in the task log (run --type, classify --correct),
the user's refit beside the log, and its effect on a project's other tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalator.classify import Learned, load_labelled, load_model
from escalator.classify._corrections import later_tasks, refit
from escalator.classify._train import repository_training_files
from escalator.cli.main import cli
from escalator.store import open_log
from escalator.task import TaskType
from tests.engine.conftest import FIXED, whole
from tests.fakes import LMStudioFake

REPO = Path(__file__).resolve().parents[2]
HAVE_SETS = (REPO.parent / "shared" / "tasks" / "dev.jsonl").is_file()
FAST_MODEL = "qwen2.5-14b-instruct"
TASK = "Fix add() so that it returns the sum"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "calc.py").write_text(FIXED.replace("a + b", "a - b"))
    return ws


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "escalator.toml"
    cfg.write_text(
        f'[providers.lmstudio]\nbase_url = "{url}"\nbackoff_base_s = 0.0\n'
        f'[store]\ndb_path = "{tmp_path / "tasks.db"}"\n'
    )
    return cfg


def _invoke(cfg: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", str(cfg), *args])
    return result.exit_code, result.stdout, result.stderr


def test_run_type_override_and_correct_are_labels_and_retrain_uses_them(
    tmp_path: Path, workspace: Path
) -> None:
    with LMStudioFake() as lms:
        lms.script(FAST_MODEL, whole(FIXED))
        cfg = _config(tmp_path, lms.url)
        code, out, err = _invoke(
            cfg, "run", TASK, "--workspace", str(workspace), "--files", "calc.py",
            "--type", "quick_edit", "--no-paid", "--json",
        )  # fmt: skip
    assert code == 0, out + err
    task_id = json.loads(out)["task_id"]
    with open_log(tmp_path / "tasks.db") as log:
        [label] = log.labels()
    assert (label.task_type, label.origin, label.task_id) == ("quick_edit", "run --type", task_id)
    assert label.predicted == "standard_development" and label.text == TASK
    assert label.project == str(workspace)

    code, out, _ = _invoke(cfg, "classify", "--correct", task_id[:8], "critical", "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["task_type"], doc["was"], doc["labels"]) == ("critical", "quick_edit", 2)

    code, out, _ = _invoke(cfg, "classify", "--retrain", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["labels"] == 2 and doc["model"] == str(tmp_path / "classifier.json")
    assert load_model(Path(doc["model"])).weights
    code, out, _ = _invoke(cfg, "classify", TASK, "--json")
    assert json.loads(out)["reasons"][0].startswith("your model: ")


def test_label_mistakes_exit_2(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "http://127.0.0.1:9")
    open_log(tmp_path / "tasks.db").close()
    code, _, err = _invoke(cfg, "classify", "--retrain")
    assert code == 2 and "no labels to learn from" in err
    code, _, err = _invoke(cfg, "classify", "--correct", "abc", "critical")
    assert code == 2 and "no task with id 'abc'" in err
    code, _, err = _invoke(cfg, "classify", "--correct", "abc", "huge")
    assert code == 2 and "unknown task type 'huge'" in err
    code, _, err = _invoke(cfg, "classify", "some text", "--retrain")
    assert code == 2 and "on their own" in err
    code, _, err = _invoke(cfg, "classify", "--shipped")
    assert code == 2


def test_refit_learns_a_projects_own_word() -> None:
    base = load_model()
    word = "Update the zorblax handling"
    before = Learned(base).classify(word).task_type
    assert before is not TaskType.CRITICAL
    labels = [
        {"text": t, "type": "critical", "group": "me/proj"}
        for t in ("zorblax: check the limits", "Tighten zorblax", "zorblax follow-up")
    ]
    after = Learned(refit(labels, base)).classify(word)
    assert after.task_type is TaskType.CRITICAL
    # words the labels did not contain keep their shipped meaning
    assert Learned(refit(labels, base)).classify("Fix typo in README").task_type is (
        TaskType.QUICK_EDIT
    )


@pytest.mark.skipif(not HAVE_SETS, reason="shared/tasks/dev.jsonl is not beside the repository")
def test_labels_from_a_project_help_on_its_other_tasks() -> None:
    """Per repository of 14+ tasks, fitted without it: labels of every other task of it
    refit the model; measured on the rest (figures in tests/classify/README.md)."""
    rows = load_labelled(repository_training_files())
    words = later_tasks(rows, words_only=True)
    assert words["repositories"] == 7 and words["later_tasks"] == 70
    assert words["accuracy_after"] > words["accuracy_before"]
    blend = later_tasks(rows)
    assert blend["accuracy_after"] >= blend["accuracy_before"]
