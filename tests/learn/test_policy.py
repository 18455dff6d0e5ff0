"""The learned policy: posteriors, expected cost, skip-ahead, dominance, exploration bound,
trust, and cold start = the static matrix."""

from __future__ import annotations

import pytest

from escalator.config import PolicyConfig
from escalator.learn import (
    Attempt,
    Beta,
    Context,
    Label,
    LearnedPolicy,
    ModelInfo,
    State,
    StaticPolicy,
    Trace,
)

T = "standard_development"
MODELS = {
    "local": ModelInfo("local", is_local=True),
    "mid": ModelInfo("mid", is_local=False, price_in_per_mtok=1.0, price_out_per_mtok=2.0),
    "strong": ModelInfo("strong", is_local=False, price_in_per_mtok=5.0, price_out_per_mtok=10.0),
    "pricey": ModelInfo("pricey", is_local=False, price_in_per_mtok=25.0, price_out_per_mtok=50.0),
}
CHAIN = ("local", "mid", "strong", "pricey")


def settings(**kw: object) -> PolicyConfig:
    base: dict[str, object] = {"explore": False, "min_tasks": 5}
    base.update(kw)
    return PolicyConfig(**base)  # type: ignore[arg-type]


def trace(*steps: tuple[str, Label, float]) -> Trace:
    return Trace(
        T,
        tuple(
            Attempt(m, label, cost_usd=c, tokens_in=1000, tokens_out=200) for m, label, c in steps
        ),
    )


def middle_never_helps(n: int = 20) -> list[Trace]:
    """The local model fails; mid never succeeds after it; strong always does."""
    return [
        trace(
            ("local", Label.FAILED, 0.0),
            ("mid", Label.FAILED, 0.001),
            ("strong", Label.VERIFIED, 0.01),
        )
        for _ in range(n)
    ]


def test_beta_posterior_moves_from_the_prior_by_the_counts() -> None:
    prior = Beta.from_prior(0.5, 2.0, 0, 0)
    assert prior.mean == pytest.approx(0.5)
    post = Beta.from_prior(0.5, 2.0, 8, 0)
    assert post.mean == pytest.approx(9 / 10)
    assert post.lower(1.0) < post.mean


def test_cold_start_is_the_static_matrix() -> None:
    few = middle_never_helps(4)  # fewer than min_tasks
    learned = LearnedPolicy(MODELS, settings(explore=True), few)
    static = StaticPolicy()
    tried: tuple[str, ...] = ()
    while True:
        state = State(T, CHAIN, tried, trusted=("strong",))
        a, b = learned.choose_next(state), static.choose_next(state)
        assert a.model == b.model
        assert "cold start" in a.reason
        if a.model is None:
            break
        tried += (a.model,)
    assert tried == CHAIN
    assert learned.trust(T, "strong", ("strong",)).trusted
    assert not learned.trust(T, "mid", ("strong",)).trusted


def test_cold_start_puts_a_paid_model_the_configuration_says_is_beaten_last() -> None:
    """Cold start keeps the configured order, but a dearer paid model configured as no
    better than one that already failed moves to the end: a second opinion, not a rung."""
    rated = MODELS | {
        "strong": ModelInfo("strong", False, 5.0, 10.0, quality=0.85),
        "pricey": ModelInfo("pricey", False, 25.0, 50.0, quality=0.80),
        "mid": ModelInfo("mid", False, 1.0, 2.0, quality=0.60),
        "other": ModelInfo("other", False, 30.0, 60.0),  # no quality: nothing to compare
    }
    chain = (*CHAIN, "other")
    policy = LearnedPolicy(rated, settings(), [])
    tried: tuple[str, ...] = ()
    reasons = []
    while (choice := policy.choose_next(State(T, chain, tried))).model is not None:
        assert "cold start" in choice.reason
        reasons.append(choice.reason)
        tried += (choice.model,)
    assert tried == ("local", "mid", "strong", "other", "pricey")
    assert "last, as second opinions: pricey" in reasons[3]
    assert "second opinion: strong already failed" in reasons[4]
    # a better dearer model is the next rung as configured
    better = rated | {"pricey": ModelInfo("pricey", False, 25.0, 50.0, quality=0.95)}
    state = State(T, chain, ("local", "mid", "strong"))
    assert LearnedPolicy(better, settings(), []).choose_next(state).model == "pricey"


def test_expected_cost_counts_further_escalation() -> None:
    policy = LearnedPolicy(MODELS, settings(value_usd=1.0), [])
    costs = {"mid": 0.01, "strong": 0.1}
    policy.turn_cost = lambda task_type, model: costs[model]  # type: ignore[method-assign]
    chance = {"mid": 0.5, "strong": 0.9}
    state = State(T, CHAIN, ("local",))

    def draw(m: str, tried: tuple[str, ...]) -> float:
        return chance[m]

    # mid then strong: 0.01 + 0.5 * 0.1
    assert policy.expected_cost(state, ("mid", "strong"), draw) == pytest.approx(0.06)
    # strong then mid: 0.1 + 0.1 * 0.01
    assert policy.expected_cost(state, ("strong", "mid"), draw) == pytest.approx(0.101)


def test_skips_ahead_when_the_middle_rarely_succeeds_after_a_local_failure() -> None:
    policy = LearnedPolicy(MODELS, settings(), middle_never_helps())
    first = policy.choose_next(State(T, CHAIN))
    assert first.model == "local"  # free, so still first
    after_local = policy.choose_next(State(T, CHAIN, ("local",)))
    assert after_local.model == "strong"
    assert after_local.order.index("strong") < after_local.order.index("mid")
    assert "P(success | after_local)" in after_local.reason


def test_the_static_path_still_walks_the_middle() -> None:
    static = StaticPolicy()
    assert static.choose_next(State(T, CHAIN, ("local",))).model == "mid"


def test_a_weaker_dearer_model_is_not_called_after_a_stronger_one_failed() -> None:
    traces = [
        trace(("local", Label.FAILED, 0.0), ("strong", Label.VERIFIED, 0.01)) for _ in range(9)
    ] + [
        trace(("local", Label.FAILED, 0.0), ("pricey", Label.FAILED, 0.05)),
        trace(("local", Label.FAILED, 0.0), ("pricey", Label.FAILED, 0.05)),
        trace(("local", Label.FAILED, 0.0), ("pricey", Label.FAILED, 0.05)),
        trace(("local", Label.FAILED, 0.0), ("pricey", Label.FAILED, 0.05)),
        trace(("local", Label.FAILED, 0.0), ("pricey", Label.VERIFIED, 0.05)),
    ]
    policy = LearnedPolicy(MODELS, settings(), traces)
    choice = policy.choose_next(State(T, ("local", "strong", "pricey"), ("local", "strong")))
    assert choice.model is None
    assert "pricey" in choice.reason and "after strong failed" in choice.reason
    assert "exceeds value_usd" in choice.reason


def test_an_untried_model_the_configuration_rates_lower_is_skipped_until_it_has_evidence() -> None:
    """Past cold start, the configuration still speaks for a model with too few turns of
    its own: dearer and rated no better than one that failed, its chance is that model's
    failure rate times its own, too low for its price."""
    rated = MODELS | {
        "strong": ModelInfo("strong", False, 5.0, 10.0, quality=0.85),
        "pricey": ModelInfo("pricey", False, 25.0, 50.0, quality=0.80),
    }
    warm = [trace(("local", Label.FAILED, 0.0), ("strong", Label.VERIFIED, 0.01))] * 9
    state = State(T, ("local", "strong", "pricey"), ("local", "strong"))
    choice = LearnedPolicy(rated, settings(), warm).choose_next(state)
    assert choice.model is None
    assert "after strong failed" in choice.reason
    # with turns of its own that show it succeeding after strong failed, it gets its turn
    proven = (
        warm
        + [
            trace(
                ("local", Label.FAILED, 0.0),
                ("strong", Label.FAILED, 0.01),
                ("pricey", Label.VERIFIED, 0.05),
            )
        ]
        * 6
    )
    assert LearnedPolicy(rated, settings(), proven).choose_next(state).model == "pricey"


def test_a_second_opinion_as_dear_as_the_failed_model_is_worth_its_turn_at_the_end() -> None:
    """A model configured a little weaker than one that failed, at its price, is not
    skipped outright (failures go together, but not always): it comes last, and only
    while a verified result is worth its expected cost."""
    rated = MODELS | {
        "strong": ModelInfo("strong", False, 5.0, 10.0, quality=0.85),
        "twin": ModelInfo("twin", False, 5.0, 10.0, quality=0.80),
    }
    warm = [trace(("local", Label.FAILED, 0.0), ("strong", Label.VERIFIED, 0.007))] * 9
    chain = ("local", "twin", "strong")
    first = LearnedPolicy(rated, settings(), warm).choose_next(State(T, chain, ("local",)))
    assert first.model == "strong" and first.order == ("strong", "twin")
    after = State(T, chain, ("local", "strong"))
    policy = LearnedPolicy(rated, settings(value_usd=1.0), warm)
    # before any turn after such a failure: twin's first-rung rate times strong's failure rate
    expected = policy.first_rung(after, "twin") * (1 - policy.first_rung(after, "strong"))
    assert policy.chance(after, "twin").mean == pytest.approx(expected)
    assert policy.chance(after, "twin").mean < 0.5 * policy.chance(State(T, chain), "twin").mean
    assert policy.choose_next(after).model == "twin"
    stingy = LearnedPolicy(rated, settings(value_usd=0.05), warm).choose_next(after)
    assert stingy.model is None and "after strong failed" in stingy.reason


def test_a_model_whose_cost_per_success_exceeds_the_value_is_skipped() -> None:
    traces = [trace(("local", Label.FAILED, 0.0), ("mid", Label.FAILED, 0.5)) for _ in range(10)]
    policy = LearnedPolicy(MODELS, settings(value_usd=1.0), traces)
    choice = policy.choose_next(State(T, ("local", "mid"), ("local",)))
    assert choice.model is None
    assert "exceeds value_usd" in choice.reason


def test_latency_is_priced() -> None:
    slow = [
        Trace(
            T,
            (
                Attempt("local", Label.FAILED, latency_s=60.0),
                Attempt("mid", Label.VERIFIED, cost_usd=0.001, latency_s=1.0),
            ),
        )
        for _ in range(10)
    ]
    free_time = LearnedPolicy(MODELS, settings(), slow)
    assert free_time.choose_next(State(T, ("local", "mid"))).model == "local"
    priced = LearnedPolicy(MODELS, settings(usd_per_second=0.01), slow)
    assert priced.choose_next(State(T, ("local", "mid"))).model == "mid"


def test_exploration_stays_within_its_cost_bound() -> None:
    traces = middle_never_helps(6)
    none = LearnedPolicy(MODELS, settings(explore=True, explore_max_usd=0.0, seed=1), traces)
    state = State(T, CHAIN, ("local",))
    best = LearnedPolicy(MODELS, settings(), traces).choose_next(state)
    for _ in range(200):
        assert none.choose_next(state).model == best.model

    bound = 0.05
    some = LearnedPolicy(MODELS, settings(explore=True, explore_max_usd=bound, seed=2), traces)
    tasks = [State(T, CHAIN, ("local",), key=f"task {i}") for i in range(300)]
    explored = [c for c in (some.choose_next(s) for s in tasks) if c.explored]
    assert explored, "a bounded exploration budget should let a skipped model be tried"
    assert {c.model for c in explored} - {best.model}
    assert best.expected_cost_usd is not None
    for c in explored:
        assert c.expected_cost_usd is not None
        assert c.expected_cost_usd <= best.expected_cost_usd + bound + 1e-9


def test_exploration_draws_are_the_same_for_the_same_task_and_evidence() -> None:
    """Draws are seeded by the task and its state, not by how many choices came before,
    so concurrent tasks cannot change each other's choices."""
    traces = middle_never_helps(6)
    cfg = settings(explore=True, explore_max_usd=0.05, seed=3)
    a, b = LearnedPolicy(MODELS, cfg, traces), LearnedPolicy(MODELS, cfg, traces)
    keys = [f"task {i}" for i in range(40)]
    for key in reversed(keys):  # b sees the same tasks in the other order
        b.choose_next(State(T, CHAIN, ("local",), key=key))
    first = [a.choose_next(State(T, CHAIN, ("local",), key=k)) for k in keys]
    second = [b.choose_next(State(T, CHAIN, ("local",), key=k)) for k in keys]
    assert [c.model for c in first] == [c.model for c in second]
    assert len({c.model for c in first}) > 1  # and they do differ between tasks


def test_observe_updates_the_evidence_online() -> None:
    policy = LearnedPolicy(MODELS, settings(), [])
    assert policy.cold(T)
    for t in middle_never_helps(5):
        policy.observe(t)
    assert not policy.cold(T)
    assert policy.evidence.of(T, "mid").in_context(Context.AFTER_LOCAL) == (0, 5)


def test_trust_is_learned_from_corroborated_precision() -> None:
    good = [trace(("strong", Label.VERIFIED, 0.01)) for _ in range(30)]
    bad = [trace(("mid", Label.CONTRADICTED, 0.01)) for _ in range(6)] + [
        trace(("mid", Label.VERIFIED, 0.01)) for _ in range(6)
    ]
    policy = LearnedPolicy(MODELS, settings(trust_precision=0.9), good + bad)
    strong = policy.trust(T, "strong", configured=())
    assert strong.trusted and strong.precision is not None and strong.precision > 0.9
    mid = policy.trust(T, "mid", configured=("mid",))
    assert not mid.trusted  # the configured list no longer decides once there is evidence
    assert policy.trust(T, "pricey", configured=("pricey",)).trusted  # no answers yet
    local = LearnedPolicy(MODELS, settings(), [trace(("local", Label.VERIFIED, 0.0))] * 30)
    assert not local.trust(T, "local", configured=()).trusted  # free: the configured list


def test_confirmations_are_successes_that_do_not_earn_trust() -> None:
    """A paid model that only ever confirmed what free models agreed on has succeeded on
    easy tasks: that counts for choosing it, not for trusting its lone answers."""
    confirmed = [trace(("local", Label.FAILED, 0.0), ("mid", Label.CONFIRMED, 0.001))] * 30
    policy = LearnedPolicy(MODELS, settings(trust_precision=0.9), confirmed)
    assert policy.evidence.of(T, "mid").rate == 1.0
    assert not policy.trust(T, "mid", configured=()).trusted
    verified = [trace(("local", Label.FAILED, 0.0), ("mid", Label.VERIFIED, 0.001))] * 30
    assert (
        LearnedPolicy(MODELS, settings(trust_precision=0.9), verified)
        .trust(T, "mid", configured=())
        .trusted
    )


def test_replay_of_the_learned_policy_is_prequential() -> None:
    """Replay judges the learned policy on tasks it has not seen: each task is walked by a
    policy that learned only the tasks logged before it, so the first ones are cold."""
    from escalator.learn.counterfactual import estimate

    log = middle_never_helps(20)
    fresh = LearnedPolicy(MODELS, settings(), [])
    est = estimate(log, fresh, {T: CHAIN})
    walks = [t.models for t in est.tasks]
    assert walks[:5] == [("local", "mid", "strong")] * 5  # cold start: the chain as written
    assert walks[-1] == ("local", "strong")  # by then it has learned that mid never helps
    assert fresh.evidence.tasks[T] == 20  # it saw each task, after walking it
    in_sample = estimate(log, LearnedPolicy(MODELS, settings(), log), {T: CHAIN})
    assert in_sample.total.cost_usd < est.total.cost_usd  # what the old replay overstated


def test_second_opinions_come_after_every_model_not_beaten() -> None:
    """A model beaten by one that already failed is asked only when nothing better is
    left, even when it is cheaper per chance of success: a weak model agreeing with a
    wrong local answer is how false accepts are made."""
    rated = MODELS | {
        "mid": ModelInfo("mid", False, 1.0, 2.0, quality=0.60),
        "mid2": ModelInfo("mid2", False, 1.0, 2.0, quality=0.55),
        "strong": ModelInfo("strong", False, 5.0, 10.0, quality=0.85),
    }
    warm = [trace(("local", Label.FAILED, 0.0), ("strong", Label.VERIFIED, 0.007))] * 9
    chain = ("local", "mid", "mid2", "strong")
    policy = LearnedPolicy(rated, settings(), warm)
    after_mid = State(T, chain, ("local", "mid"))
    # mid2 costs less per chance than strong, yet comes after it
    c2 = policy.turn_cost(T, "mid2") / policy.chance(after_mid, "mid2").mean
    cs = policy.turn_cost(T, "strong") / policy.chance(after_mid, "strong").mean
    assert c2 < cs
    assert policy.choose_next(after_mid).order == ("strong", "mid2")


def test_dominance_on_evidence_compares_first_rung_rates() -> None:
    """A model asked only after others failed has a poor overall rate; that does not make
    a cheaper model that answers first 'better' than it, nor lower its first-rung rate."""
    first_rung = [
        trace(("local", Label.FAILED, 0.0), ("mid", Label.VERIFIED, 0.001)) for _ in range(6)
    ] + [trace(("local", Label.FAILED, 0.0), ("mid", Label.FAILED, 0.001)) for _ in range(4)]
    # strong only ever came after mid failed: 1 of 6 verified there
    last_rung = [
        trace(
            ("local", Label.FAILED, 0.0),
            ("mid", Label.FAILED, 0.001),
            ("strong", Label.FAILED if i else Label.VERIFIED, 0.01),
        )
        for i in range(6)
    ]
    policy = LearnedPolicy(MODELS, settings(), first_rung + last_rung)
    state = State(T, CHAIN, ("local", "mid"))
    assert policy.evidence.of(T, "mid").rate > policy.evidence.of(T, "strong").rate
    assert not policy.dominates(state, "mid", "strong")
    assert policy.first_rung(state, "strong") == pytest.approx(policy.prior_mean(CHAIN, "strong"))
    # in one shared context with enough turns, the evidence decides
    both = [trace(("mid", Label.VERIFIED, 0.001)) for _ in range(6)] + [
        trace(("strong", Label.FAILED, 0.01)) for _ in range(6)
    ]
    assert LearnedPolicy(MODELS, settings(), both).dominates(state, "mid", "strong")
