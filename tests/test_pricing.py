"""pricing: one ordering of model strength, used for agreement ranks and cloud-only cost."""

from __future__ import annotations

from dataclasses import replace

from escalator.config import default_config
from escalator.pricing import PROMPT_MARGIN, PROMPT_SLACK, model_rank, strongest, worst_case_usd
from escalator.registry import ModelSpec, ModelTier


def _spec(key: str, tier: ModelTier, price: float, quality: float | None = None) -> ModelSpec:
    return ModelSpec(
        key, "p", key, tier, price_in_per_mtok=price, price_out_per_mtok=price, quality=quality
    )


def test_quality_outranks_price_and_price_outranks_tier() -> None:
    cheap_good = _spec("cheap-good", ModelTier.HAIKU, 0.5, quality=0.9)
    pricey = _spec("pricey", ModelTier.OPUS, 30.0, quality=0.8)
    assert strongest([pricey, cheap_good]) is cheap_good
    pro = _spec("pro", ModelTier.PRO, 7.0)
    sonnet = _spec("sonnet", ModelTier.SONNET, 6.0)
    assert strongest([sonnet, pro]) is pro


def test_the_later_model_of_a_chain_wins_a_tie() -> None:
    config = default_config()
    registry = config.registry
    a = registry.get("local-14b")
    twin = replace(a, key="twin")
    assert strongest([a, twin]) is twin
    rank = model_rank(registry, ("local-32b", "haiku", "sonnet"))
    assert sorted(rank, key=rank.__getitem__) == ["local-32b", "haiku", "sonnet"]


def test_worst_case_pads_the_prompt_for_other_tokenizers() -> None:
    spec = _spec("m", ModelTier.SONNET, 3.0)
    padded = int(1000 * PROMPT_MARGIN) + PROMPT_SLACK
    assert worst_case_usd(spec, 1000, 500) == spec.cost_usd(padded, 500)
    assert worst_case_usd(spec, 1000, 500) > spec.cost_usd(1000, 500)
