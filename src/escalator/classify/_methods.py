"""Which classifier answers: the keyword rules, the learned blend, or a language model.

``rules`` (the config's default) is the keyword rules blended with the learned model:
the user's refit when there is one (next to their task log), else the shipped model.
``keywords`` is the hand-written rules alone and ``words`` a model on the words alone
(``--eval --cv`` only), both for comparison. ``model`` and ``auto`` ask
the local language model (``_llm``) and need a fleet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from escalator.classify._classifier import Classification
from escalator.classify._classifier import classify as classify_rules
from escalator.classify._crossval import Trainer
from escalator.classify._learned import Learned, load_model
from escalator.classify._llm import ModelClassifier, classifier_model_key
from escalator.classify._train import SHIPPED_OPTIONS, learned_trainer
from escalator.config import Config
from escalator.errors import InputError
from escalator.providers import Fleet
from escalator.task import TaskType

__all__ = [
    "EVAL_METHODS",
    "LANGUAGE_MODEL_METHODS",
    "Classifier",
    "KeywordRules",
    "classifier_for",
    "classify_task",
    "local_classifier",
    "model_classifier",
    "trainer_for",
    "user_model_path",
]

EVAL_METHODS = ("keywords", "rules", "model", "auto", "words")
LANGUAGE_MODEL_METHODS = ("model", "auto")  # the methods that ask a model (need a fleet)
USER_MODEL_NAME = "classifier.json"


def user_model_path(db_path: Path) -> Path:
    """Where a user's refit classifier lives: beside their task log."""
    return Path(db_path).expanduser().with_name(USER_MODEL_NAME)


def local_classifier(config: Config, db_path: Path | None = None) -> Learned:
    """The learned blend: the user's refit model if there is one, else the shipped one."""
    user = user_model_path(db_path or config.db_path)
    if user.is_file():
        return Learned(load_model(user), config.classify.under_cost, label="your model")
    return Learned(load_model(), config.classify.under_cost)


def trainer_for(method: str, config: Config) -> Trainer:
    """What cross-validation fits per fold for ``method`` (``keywords`` fits nothing)."""
    if method == "keywords":
        return lambda _items: classify_rules
    if method in ("rules", "words"):
        return learned_trainer(
            SHIPPED_OPTIONS, config.classify.under_cost, words_only=method == "words"
        )
    raise InputError(
        f"--cv cannot refit method {method!r}: use --method rules, keywords or words with --cv"
    )


class Classifier(Protocol):
    """Anything that classifies one task, with optional forcing."""

    def classify(
        self, text: str, *, task_type: TaskType | None = None, complexity: int | None = None
    ) -> Classification: ...


@dataclass(frozen=True)
class KeywordRules:
    """The hand-written keyword rules alone."""

    def classify(
        self, text: str, *, task_type: TaskType | None = None, complexity: int | None = None
    ) -> Classification:
        return classify_rules(text, task_type=task_type, complexity=complexity)


def classifier_for(method: str, config: Config, db_path: Path | None = None) -> Classifier:
    """The classifier that answers for ``method`` without refitting."""
    if method == "keywords":
        return KeywordRules()
    if method == "rules":
        return local_classifier(config, db_path)
    if method == "words":
        raise InputError("--method words (no rule signals) is a yardstick for --eval --cv only")
    raise InputError(f"unknown classify method {method!r}: use one of {', '.join(EVAL_METHODS)}")


async def classify_task(
    text: str,
    *,
    config: Config,
    fleet: Fleet | None,
    db_path: Path | None = None,
    task_type: TaskType | None = None,
    complexity: int | None = None,
    method: str | None = None,
) -> Classification:
    """Classify by ``method`` (default ``classify.method``): the local classifier, or the
    language model (``model``; ``auto`` when the local answer is unsure) with fallback."""
    chosen = method or config.classify.method
    if chosen in LANGUAGE_MODEL_METHODS and fleet is not None:
        return await model_classifier(config, fleet, db_path, chosen).classify(
            text, task_type=task_type, complexity=complexity
        )
    return classifier_for(chosen if chosen == "keywords" else "rules", config, db_path).classify(
        text, task_type=task_type, complexity=complexity
    )


def model_classifier(
    config: Config, fleet: Fleet, db_path: Path | None = None, method: str | None = None
) -> ModelClassifier:
    """The language-model classifier of ``config`` over the local one."""
    settings = replace(config.classify, method=method or config.classify.method)
    chat = fleet.model(classifier_model_key(config))
    return ModelClassifier(local_classifier(config, db_path), chat, settings)
