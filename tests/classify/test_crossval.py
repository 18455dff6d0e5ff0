"""Leave-one-repository-out evaluation: folds, groups and the figures it reports."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from escalator.classify import Classification, classify_rules, cross_validate, group_of
from escalator.classify._crossval import load_labelled
from escalator.classify._evaluate import Predictor
from escalator.task import TaskType


def _item(text: str, kind: str, source: str) -> dict[str, Any]:
    return {"text": text, "type": kind, "source": source, "complexity": 3}


def test_group_comes_from_repo_field_source_or_fallback() -> None:
    assert group_of({"repo": "a/b", "source": "c/d pr 1"}) == "a/b"
    assert group_of({"source": "pallets/flask commit a43f73c7"}) == "pallets/flask"
    assert group_of({"source": "rails/rails (paraphrased)"}) == "rails/rails"
    assert group_of({"source": "a forum post"}, fallback="set.jsonl") == "set.jsonl"
    assert group_of({}) == "unknown"


def test_each_fold_is_trained_without_its_repository() -> None:
    items = [
        _item("alpha one", "quick_edit", "x/one commit 1"),
        _item("alpha two", "quick_edit", "x/one commit 2"),
        _item("beta", "critical", "y/two pr 3"),
        _item("gamma", "critical", "z/three issue 4"),
    ]
    seen: list[set[str]] = []

    def trainer(train: list[Mapping[str, Any]]) -> Predictor:
        texts = {str(t["text"]): TaskType.parse(str(t["type"])) for t in train}
        seen.append({group_of(t) for t in train})

        def predict(text: str) -> Classification:
            # a memoriser: right only on what it was trained on
            kind = texts.get(text, TaskType.STANDARD_DEVELOPMENT)
            return Classification(kind, 3, 1.0, ())

        return predict

    report = cross_validate(items, trainer)
    assert seen == [{"y/two", "z/three"}, {"x/one", "z/three"}, {"x/one", "y/two"}]
    assert report["accuracy"] == 0.0  # nothing held out was ever seen
    assert report["n"] == 4 and report["cv"]["folds"] == 3


def test_rules_cross_validate_to_their_plain_accuracy(tmp_path: Path) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text(
        '{"text": "Fix typo in README", "type": "quick_edit", "source": "a/a commit 1"}\n'
        '{"text": "Fix SQL injection in login", "type": "critical"}\n',
        encoding="utf-8",
    )
    second = tmp_path / "b.jsonl"
    second.write_text('{"text": "Redesign the plugin API", "type": "critical"}\n')
    rows = load_labelled([first, second])
    assert [r["group"] for r in rows] == ["a/a", "a.jsonl", "b.jsonl"]
    report = cross_validate(rows, lambda _train: classify_rules)
    assert report["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["per_file"] == {
        "a.jsonl": {"n": 2, "accuracy": 1.0},
        "b.jsonl": {"n": 1, "accuracy": 0.0},
    }
    assert report["when_keywords"] == {
        "right": {"n": 2, "accuracy": 1.0},
        "wrong": {"n": 1, "accuracy": 0.0},
    }
    by_file = cross_validate(rows, lambda _train: classify_rules, by="file")
    assert by_file["cv"]["folds"] == 2


def test_unknown_grouping_is_refused() -> None:
    with pytest.raises(ValueError, match="'repo' or 'file'"):
        cross_validate([_item("a", "quick_edit", "a/b")], lambda _t: classify_rules, by="day")
