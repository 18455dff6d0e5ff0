"""``escalator classify`` through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from escalator.cli.main import cli

HELDOUT = Path(__file__).parent / "heldout.jsonl"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["classify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_json_prints_one_document() -> None:
    code, out, _ = run("fix typo in README", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["task_type"] == "quick_edit" and doc["forced"] is False
    assert set(doc) == {"task_type", "complexity", "confidence", "reasons", "forced"}


def test_unquoted_words_are_joined() -> None:
    code, out, _ = run("Fix", "SQL", "injection", "in", "search", "--json")
    assert code == 0 and json.loads(out)["task_type"] == "critical"


def test_forced_type_and_complexity() -> None:
    code, out, _ = run("fix typo", "--type", "COMPLEX_ARCHITECTURE", "--complexity", "8", "--json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["task_type"], doc["complexity"], doc["forced"]) == ("complex_architecture", 8, True)


def test_human_output_lists_reasons() -> None:
    code, out, _ = run("Fix XSS in the debugger")
    assert code == 0
    assert out.startswith("critical (complexity 10")
    assert "  - security fix: 'xss'" in out


def test_file_prints_predictions(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "Bump foo to 1.2"}\n\n{"text": "Redesign the plugin API"}\n')
    code, out, _ = run("--file", str(path), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["n"] == 2
    assert [p["task_type"] for p in doc["predictions"]] == ["quick_edit", "complex_architecture"]
    assert doc["predictions"][1]["text"] == "Redesign the plugin API"


def test_eval_document() -> None:
    code, out, _ = run("--file", str(HELDOUT), "--eval", "--json")
    doc = json.loads(out)
    assert code == 0
    assert {"n", "accuracy", "per_type", "confusion", "complexity_mae"} <= set(doc)
    assert doc["n"] == 68 and doc["accuracy"] >= 0.9
    assert set(doc["per_type"]["critical"]) == {"precision", "recall", "support"}
    assert sum(sum(row.values()) for row in doc["confusion"].values()) == 68


def test_eval_human_summary() -> None:
    code, out, _ = run("--file", str(HELDOUT), "--eval")
    assert code == 0 and out.startswith("68 tasks, accuracy")


def test_bad_line_exits_2_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a", "type": "quick_edit"}\n{"text": "b"}\n')
    code, out, err = run("--file", str(path), "--eval", "--json")
    assert code == 2 and json.loads(out)["exit_code"] == 2  # --json: the error as JSON
    assert "line 2" in err and "'type'" in err


def test_argument_mistakes_exit_2() -> None:
    assert run()[0] == 2
    assert run("text", "--file", "x.jsonl")[0] == 2
    assert run("text", "--eval")[0] == 2
    assert run("text", "--complexity", "11")[0] == 2
    assert run("text", "--type", "huge")[0] == 2
    code, _, err = run("--file", str(HELDOUT), "--eval", "--type", "critical")
    assert code == 2 and "drop --type" in err


def test_real_subprocess_prints_only_json() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "escalator.cli.main", "classify", "--json", "Bump numpy to 2.0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["task_type"] == "quick_edit"


def _two_repos(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "a.jsonl"
    first.write_text(
        '{"text": "Fix typo in README", "type": "quick_edit", "source": "a/a commit 1"}\n'
        '{"text": "Fix SQL injection in login", "type": "critical", "source": "b/b pr 2"}\n',
        encoding="utf-8",
    )
    second = tmp_path / "b.jsonl"
    second.write_text(
        '{"text": "Redesign the plugin API", "type": "complex_architecture"}\n'
        '{"text": "Fix typos in the docs", "type": "quick_edit", "source": "a/a pr 9"}\n',
        encoding="utf-8",
    )
    return first, second


def test_eval_leave_one_repository_out_over_several_files(tmp_path: Path) -> None:
    first, second = _two_repos(tmp_path)
    args = ["--file", str(first), "--file", str(second), "--eval", "--json"]
    code, out, err = run(*args, "--cv", "repo", "--method", "keywords")
    assert code == 0, err
    doc = json.loads(out)
    assert {"n", "accuracy", "per_type", "confusion", "cv", "per_file"} <= set(doc)
    assert doc["n"] == 4 and doc["method"] == "keywords"
    assert doc["files"] == [str(first), str(second)]
    assert doc["cv"]["by"] == "repo" and doc["cv"]["folds"] == 3  # a/a, b/b, b.jsonl
    code, out, _ = run(*args, "--cv", "file")
    assert code == 0 and json.loads(out)["cv"]["folds"] == 2
    assert json.loads(out)["method"] == "rules"


def test_eval_human_summary_names_the_folds(tmp_path: Path) -> None:
    first, second = _two_repos(tmp_path)
    code, out, _ = run("--file", str(first), "--file", str(second), "--eval", "--cv", "repo")
    assert code == 0
    assert "leave-one-repo-out" in out and "3 folds" in out


def test_method_keywords_is_the_rules_alone() -> None:
    code, out, _ = run("Frobnicate the widget", "--method", "keywords", "--json")
    assert code == 0
    assert json.loads(out)["reasons"] == ["no signal matched: default standard_development"]
    code, out, _ = run("Frobnicate the widget", "--json")
    assert json.loads(out)["reasons"][0].startswith("learned model: ")


def test_cv_without_eval_exits_2(tmp_path: Path) -> None:
    first, _ = _two_repos(tmp_path)
    code, _, err = run("--file", str(first), "--cv", "repo")
    assert code == 2 and "add --eval" in err
