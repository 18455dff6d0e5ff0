"""Model registry: tiers, prices and capabilities, as plain data.

A model is *local* or *paid* by its price, never by its name or tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["EditFormat", "ModelSpec", "ModelTier", "Registry"]


class ModelTier(Enum):
    """The seed plan's tiers. FLASH and PRO share rank 0 but stay distinct members."""

    LOCAL_FAST = ("LOCAL_FAST", -2)
    LOCAL_BALANCED = ("LOCAL_BALANCED", -1)
    LOCAL_QUALITY = ("LOCAL_QUALITY", -1)
    FLASH = ("FLASH", 0)
    PRO = ("PRO", 0)
    HAIKU = ("HAIKU", 1)
    SONNET = ("SONNET", 2)
    OPUS = ("OPUS", 3)

    def __init__(self, label: str, rank: int) -> None:
        self.label = label
        self.rank = rank

    @classmethod
    def parse(cls, value: str) -> ModelTier:
        norm = value.strip().upper()
        for member in cls:
            if member.label == norm:
                return member
        allowed = ", ".join(m.label for m in cls)
        raise ValueError(f"unknown tier {value!r}; allowed: {allowed}")


class EditFormat(Enum):
    WHOLE = "whole"
    SEARCH_REPLACE = "search_replace"


@dataclass(frozen=True)
class ModelSpec:
    """One configured model: where it runs, what it costs, what it can do."""

    key: str
    provider: str
    model_id: str
    tier: ModelTier
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0
    context_window: int = 32768
    max_output_tokens: int = 4096
    edit_format: EditFormat = EditFormat.WHOLE
    capabilities: frozenset[str] = field(default_factory=frozenset)
    quality: float | None = None  # prior chance its answer is right (public benchmarks)

    @property
    def is_free(self) -> bool:
        """Free to run: both prices are zero (usually a local model, but by price only)."""
        return self.price_in_per_mtok == 0 and self.price_out_per_mtok == 0

    @property
    def is_paid(self) -> bool:
        return not self.is_free

    def cost_usd(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in_per_mtok + tokens_out * self.price_out_per_mtok) / 1e6

    def worst_case_cost_usd(
        self, prompt_tokens: int, max_output_tokens: int | None = None
    ) -> float:
        """The most one call can cost: the prompt plus the full output allowance."""
        out = self.max_output_tokens if max_output_tokens is None else max_output_tokens
        return self.cost_usd(prompt_tokens, out)


@dataclass(frozen=True)
class Registry:
    """All configured models by key."""

    models: dict[str, ModelSpec]

    def get(self, key: str) -> ModelSpec:
        try:
            return self.models[key]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "(none)"
            from escalator.errors import InputError

            raise InputError(
                f"unknown model {key!r}; configured models: {known}. "
                "Add it under [models.<key>] in escalator.toml"
            ) from None

    def by_price(self) -> list[ModelSpec]:
        """Models cheapest first (local first), ties by tier rank."""
        return sorted(
            self.models.values(),
            key=lambda m: (m.price_in_per_mtok + m.price_out_per_mtok, m.tier.rank, m.key),
        )
