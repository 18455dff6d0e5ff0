"""The cost of a wrong type: when unsure, the cheaper mistake; config and CLI."""

from __future__ import annotations

import pytest

from escalator.classify._cost import cheapest_mistake, expected_cost
from escalator.classify._learned import Learned, load_model
from escalator.config import ClassifyConfig, parse_config
from escalator.errors import ConfigError
from escalator.task import TaskType

Q = TaskType.QUICK_EDIT
S = TaskType.STANDARD_DEVELOPMENT
C = TaskType.COMPLEX_ARCHITECTURE
K = TaskType.CRITICAL


def test_equal_costs_pick_the_most_probable_type() -> None:
    proba = {Q: 0.05, S: 0.55, C: 0.38, K: 0.02}
    assert cheapest_mistake(proba, under_cost=1.0) == (S, None)


def test_unsure_standard_against_complex_goes_to_complex() -> None:
    proba = {Q: 0.05, S: 0.55, C: 0.38, K: 0.02}
    choice, note = cheapest_mistake(proba, under_cost=2.0)
    assert choice is C
    assert note is not None and "cheaper mistake" in note and "under_cost = 2" in note
    # over-calling a standard task costs 0.55; under-calling a complex one 0.38 * 2 + ...
    assert expected_cost(proba, C, 2.0) < expected_cost(proba, S, 2.0)


def test_confident_answers_are_not_changed() -> None:
    proba = {Q: 0.02, S: 0.85, C: 0.1, K: 0.03}
    assert cheapest_mistake(proba, under_cost=3.0)[0] is S


def test_over_calling_is_preferred_only_as_far_as_the_costs_say() -> None:
    proba = {Q: 0.5, S: 0.0, C: 0.0, K: 0.5}
    assert cheapest_mistake(proba, under_cost=1.5)[0] is K
    assert cheapest_mistake(proba, under_cost=0.5)[0] is Q  # a user who prefers thrift


def test_learned_classifier_applies_the_rule() -> None:
    text = "Move the session handling into its own module"
    plain = Learned(load_model(), under_cost=1.0)
    proba, _ = plain.proba(text)
    likeliest = max(proba, key=lambda t: proba[t])
    cautious = Learned(load_model(), under_cost=50.0)
    result = cautious.classify(text)
    assert plain.classify(text).task_type is likeliest
    assert list(TaskType).index(result.task_type) >= list(TaskType).index(likeliest)
    if result.task_type is not likeliest:
        assert any("cheaper mistake" in r for r in result.reasons)


def test_config_section_is_read_and_checked() -> None:
    cfg = parse_config({"classify": {"under_cost": 2.5, "method": "auto", "model": "local-14b"}})
    assert cfg.classify == ClassifyConfig(method="auto", model="local-14b", under_cost=2.5)
    assert parse_config({}).classify == ClassifyConfig()
    with pytest.raises(ConfigError, match=r"classify\.method"):
        parse_config({"classify": {"method": "guess"}})
    with pytest.raises(ConfigError, match=r"classify\.under_cost"):
        parse_config({"classify": {"under_cost": 0}})
    with pytest.raises(ConfigError, match=r"classify\.model"):
        parse_config({"classify": {"model": "nope"}})
    with pytest.raises(ConfigError, match=r"classify\.colour"):
        parse_config({"classify": {"colour": "red"}})
