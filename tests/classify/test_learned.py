"""The learned classifier: features, the numpy fit, the shipped model file, the blend."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.classify import SHIPPED_MODEL, Learned, load_labelled, load_model
from escalator.classify._features import tokens, word_features
from escalator.classify._model import FitOptions, LinearModel, fit
from escalator.classify._train import (
    SHIPPED_OPTIONS,
    model_bytes,
    repository_training_files,
    train,
    write_model,
)
from escalator.errors import InputError
from escalator.task import TaskType

Q = TaskType.QUICK_EDIT
S = TaskType.STANDARD_DEVELOPMENT
C = TaskType.COMPLEX_ARCHITECTURE
K = TaskType.CRITICAL

REPO = Path(__file__).resolve().parents[2]
HAVE_SETS = (REPO.parent / "shared" / "tasks" / "dev.jsonl").is_file()


def test_tokens_turn_code_and_numbers_into_shapes() -> None:
    words = tokens("Fixes `Session.request` crash in src/app/views.py on v2.31.0 after 3 tries")
    assert words[:2] == ["fix", "<ident>"]
    assert "<path>" in words and "<ver>" in words and "<num>" in words
    assert "crash" in words and "session" not in words


def test_word_features_mark_first_word_pairs_and_prefix() -> None:
    feats = word_features("docs: explain retries\n\nlonger body text here")
    assert feats["first:docs"] == 1.0
    assert feats["prefix:docs"] == 1.0
    assert feats["b:explain retry"] == 1.0  # "retries" stemmed
    assert feats["body:longer"] == 0.5


def _toy() -> tuple[list[dict[str, float]], list[TaskType], list[str]]:
    rows = [{"w:typo": 1.0}, {"w:redesign": 1.0}, {"w:typo": 1.0, "w:docs": 1.0}]
    rows += [{"w:redesign": 1.0, "w:api": 1.0}, {"w:rare": 1.0}]
    labels = [Q, C, Q, C, K]
    groups = ["a/a", "b/b", "c/c", "d/d", "e/e"]
    return rows, labels, groups


def test_fit_learns_separable_words_and_drops_single_repository_features() -> None:
    rows, labels, groups = _toy()
    model = fit(rows, labels, groups, FitOptions(l2=0.01, steps=300))
    typo = model.proba({"w:typo": 1.0})
    assert max(typo, key=lambda t: typo[t]) is Q and typo[Q] > 0.5
    redesign = model.proba({"w:redesign": 1.0})
    assert max(redesign, key=lambda t: redesign[t]) is C
    assert "w:rare" not in model.weights  # seen in one repository only
    assert sum(typo.values()) == pytest.approx(1.0)


def test_fit_is_deterministic_and_round_trips() -> None:
    rows, labels, groups = _toy()
    first = fit(rows, labels, groups)
    again = fit(rows, labels, groups)
    assert model_bytes(first) == model_bytes(again)
    assert LinearModel.from_json(first.to_json()) == first


def test_prior_anchors_a_refit() -> None:
    rows, labels, groups = _toy()
    prior = fit(rows, labels, groups, FitOptions(l2=0.01))
    # one contrary label: with a strong pull to the prior the typo word stays quick_edit
    refit = fit([{"w:typo": 1.0}], [K], ["z/z"], FitOptions(l2=1.0, min_groups=1), prior=prior)
    p = refit.proba({"w:typo": 1.0})
    assert max(p, key=lambda t: p[t]) is Q
    assert p[K] > prior.proba({"w:typo": 1.0})[K]


def test_bad_model_file_names_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "classifier.json"
    bad.write_text('{"types": ["x"], "bias": [], "weights": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="classify --retrain"):
        load_model(bad)
    with pytest.raises(InputError, match="no classifier model"):
        load_model(tmp_path / "missing.json")


def test_write_model_replaces_the_file(tmp_path: Path) -> None:
    rows, labels, groups = _toy()
    target = tmp_path / "sub" / "classifier.json"
    write_model(fit(rows, labels, groups), target)
    assert load_model(target).bias
    assert not list(target.parent.glob("*.tmp"))


@pytest.mark.skipif(not HAVE_SETS, reason="shared/tasks/dev.jsonl is not beside the repository")
def test_shipped_model_is_the_rebuild_of_the_labelled_sets() -> None:
    """`escalator classify --retrain --shipped` must reproduce the packaged file exactly."""
    model = train(load_labelled(repository_training_files()), SHIPPED_OPTIONS)
    assert model_bytes(model) == SHIPPED_MODEL.read_bytes()


def test_confidence_is_the_model_probability() -> None:
    learned = Learned(load_model())
    result = learned.classify("Redesign the plugin system around entry points")
    proba, _ = learned.proba("Redesign the plugin system around entry points")
    assert result.task_type is C
    assert result.confidence == pytest.approx(proba[C], abs=1e-3)
    assert result.reasons[0].startswith("learned model: complex_architecture")


def test_rules_that_are_sure_keep_their_answer() -> None:
    sure = Learned(load_model(), rules_sure=0.0)  # every rule lead counts as sure
    text = "Fix typo in the comment"
    proba, evidence = sure.proba(text)
    assert sure.classify(text).task_type is evidence.best is Q
    never = Learned(load_model(), rules_sure=float("inf"))
    assert never.classify(text).task_type is max(proba, key=lambda t: proba[t])
