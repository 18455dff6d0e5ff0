"""Shared helpers for provider tests: a recording sleep and a fleet over the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from escalator.providers import ResilienceSettings


@dataclass
class SleepLog:
    """Records requested sleeps instead of waiting; a settable clock moves with them."""

    delays: list[float] = field(default_factory=list)
    now: float = 1000.0

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def settings(self) -> ResilienceSettings:
        return ResilienceSettings(sleep=self.sleep, clock=self.clock, random=lambda: 1.0)


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()
