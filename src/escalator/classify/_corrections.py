"""Learning from corrections: refit a user's classifier on the types they gave.

A label is a task's text and the type a person gave it (``run --type`` overriding the
classifier, or ``classify --correct``). The refit starts from the shipped model and pulls
every weight towards it with strength ``PRIOR_STRENGTH`` (in labels' worth), so a few
corrections adjust the words they contain and a hundred outweigh the shipped sets.

``later_tasks`` measures this on labelled sets: for each repository with enough tasks, a
model fitted without that repository is refitted on the labels of every other task of it
(as if a reviewer had given them; ``corrections`` counts those the model had wrong), and
both models classify the remaining tasks. (Alternate tasks, since the labelled sets are
ordered by type, not by date: a first half would hold the quick edits, a second half the
critical work.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from escalator.classify._evaluate import check_labelled, group_of
from escalator.classify._learned import RULES_SURE, Learned
from escalator.classify._model import FitOptions, LinearModel
from escalator.classify._train import SHIPPED_OPTIONS, train
from escalator.errors import InputError
from escalator.task import TaskType

__all__ = ["PRIOR_STRENGTH", "USER_OPTIONS", "later_tasks", "refit"]

PRIOR_STRENGTH = 2.0
# one project's words all count (min_groups 1); l2 is set per refit from PRIOR_STRENGTH
USER_OPTIONS = FitOptions(l2=1.0, min_groups=1)
MIN_REPO = 14  # repositories with fewer labelled tasks are too small to split


def refit(
    items: Sequence[Mapping[str, Any]], base: LinearModel, *, words_only: bool = False
) -> LinearModel:
    """The base model refitted on labelled ``items`` (text and type)."""
    rows = check_labelled(items) if items else []
    if not rows:
        raise InputError(
            "no labels to learn from: override a type with 'run --type' or correct one "
            "with 'escalator classify --correct TASK_ID TYPE' first"
        )
    # the fit averages the loss over its rows (each label counts twice: with and without
    # the rule signals), so the pull to the base is divided by that count
    copies = 1 if words_only else 2
    options = replace(USER_OPTIONS, l2=PRIOR_STRENGTH / (copies * len(rows)))
    return train(rows, options, prior=base, words_only=words_only)


def later_tasks(
    items: Sequence[Mapping[str, Any]],
    *,
    words_only: bool = False,
    min_repo: int = MIN_REPO,
) -> dict[str, Any]:
    """Per large repository: accuracy on half of its tasks before and after refitting on
    the labels of the other half. ``words_only``: without the
    keyword rules, which were written while reading most of these sets and so leave the
    learned part little to correct on them."""
    rows = check_labelled(items)
    repos: dict[str, list[Mapping[str, Any]]] = {}
    for item in rows:
        repos.setdefault(str(item.get("group") or group_of(item)), []).append(item)
    per_repo: dict[str, dict[str, Any]] = {}
    for repo, own in sorted(repos.items()):
        if len(own) >= min_repo:
            others = [r for r in rows if str(r.get("group") or group_of(r)) != repo]
            base = train(others, SHIPPED_OPTIONS, words_only=words_only)
            per_repo[repo] = _split(own, base, words_only)
    if not per_repo:
        raise InputError(f"no repository has {min_repo} labelled tasks to split")
    n = sum(r["later"] for r in per_repo.values())
    before = sum(r["before"] * r["later"] for r in per_repo.values()) / n
    after = sum(r["after"] * r["later"] for r in per_repo.values()) / n
    return {
        "words_only": words_only,
        "repositories": len(per_repo),
        "later_tasks": n,
        "labels": sum(r["labels"] for r in per_repo.values()),
        "corrections": sum(r["corrections"] for r in per_repo.values()),
        "accuracy_before": round(before, 4),
        "accuracy_after": round(after, 4),
        "per_repo": per_repo,
    }


def _split(own: list[Mapping[str, Any]], base: LinearModel, words_only: bool) -> dict[str, Any]:
    # alternate tasks, not halves: the sets are ordered by type, not by date
    first, later = own[0::2], own[1::2]
    sure = float("inf") if words_only else RULES_SURE
    plain = Learned(base, rules_sure=sure)
    wrong = [i for i in first if plain.classify(str(i["text"])).task_type is not _label(i)]
    tuned = Learned(refit(first, base, words_only=words_only), rules_sure=sure)
    return {
        "labels": len(first),
        "corrections": len(wrong),
        "later": len(later),
        "before": round(_accuracy(plain, later), 4),
        "after": round(_accuracy(tuned, later), 4),
    }


def _label(item: Mapping[str, Any]) -> TaskType:
    return TaskType.parse(str(item["type"]))


def _accuracy(learned: Learned, items: list[Mapping[str, Any]]) -> float:
    hits = sum(learned.classify(str(i["text"])).task_type is _label(i) for i in items)
    return hits / len(items)
