"""What models cost and how strong they are: one place for both.

- ``worst_case_usd``: the most one call can cost, with a margin for tokenizer differences;
- ``model_rank`` / ``strongest``: which model of a chain is the strongest;
- ``cloud_only_cost``: what the strongest model of a chain would have charged, the
  baseline that savings are measured against where a bench recorded no other;
- ``savings``: what was saved against a baseline, the one formula every figure uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from escalator.config import Config
from escalator.registry import ModelSpec, Registry
from escalator.task import TaskType

__all__ = [
    "PROMPT_MARGIN",
    "PROMPT_SLACK",
    "cloud_only_cost",
    "model_rank",
    "savings",
    "strength",
    "strongest",
    "worst_case_usd",
]

# Servers count prompt tokens with their own tokenizer; our cl100k estimate can be lower.
# Budgets are checked against the estimate times this margin, so no call can spend past a
# limit unless a server reports more than 1.3x our count plus 64 tokens.
PROMPT_MARGIN = 1.3
PROMPT_SLACK = 64

# Rank weights: a weighted sum that orders models by configured quality (0..1), then price
# (USD per million tokens, in + out), then tier rank (-2..3), then place in the chain. The
# weights are far apart so that, for realistic values, a higher criterion decides before a
# lower one: 0.01 of quality (1e4) outweighs $10/Mtok of price; $0.1/Mtok (100) outweighs
# the whole tier range (5 steps x 10 = 50); a tier step (10) outweighs any chain position.
QUALITY_WEIGHT = 1e6
PRICE_WEIGHT = 1000.0
TIER_WEIGHT = 10.0
POSITION_WEIGHT = 0.01


def worst_case_usd(
    spec: ModelSpec, prompt_tokens: int, max_output_tokens: int | None = None
) -> float:
    """The most one call can cost, with the tokenizer margin on the prompt."""
    padded = int(prompt_tokens * PROMPT_MARGIN) + PROMPT_SLACK
    return spec.worst_case_cost_usd(padded, max_output_tokens)


def strength(spec: ModelSpec, position: int = 0) -> float:
    """How strong a model is taken to be (higher is stronger); ``position`` in its chain
    breaks ties (the matrix lists models cheapest and weakest first)."""
    price = spec.price_in_per_mtok + spec.price_out_per_mtok
    quality = spec.quality if spec.quality is not None else 0.0
    return (
        quality * QUALITY_WEIGHT
        + price * PRICE_WEIGHT
        + spec.tier.rank * TIER_WEIGHT
        + position * POSITION_WEIGHT
    )


def model_rank(registry: Registry, chain: Sequence[str]) -> dict[str, float]:
    """Each model of ``chain`` by its strength: stronger models rank higher."""
    return {key: strength(registry.get(key), position) for position, key in enumerate(chain)}


def strongest(specs: Iterable[ModelSpec]) -> ModelSpec:
    """The strongest of ``specs`` (the later one on a tie, as in a chain)."""
    ranked = list(enumerate(specs))
    return max(ranked, key=lambda item: strength(item[1], item[0]))[1]


def cloud_only_cost(config: Config, task_type: str, tokens_in: int, tokens_out: int) -> float:
    """What the strongest model of ``task_type``'s chain would charge for these tokens."""
    chain = config.chain_for(TaskType.parse(str(task_type))).chain
    return strongest(config.registry.get(key) for key in chain).cost_usd(tokens_in, tokens_out)


def savings(cost_usd: float, baseline_usd: float) -> tuple[float, float | None]:
    """Saved against a baseline: (USD, percent of the baseline; None when it is 0)."""
    saved = baseline_usd - cost_usd
    pct = round(100.0 * saved / baseline_usd, 2) if baseline_usd > 0 else None
    return round(saved, 6), pct
