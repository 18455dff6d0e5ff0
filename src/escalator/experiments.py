"""A/B arms within a tier: which alternative does better, with the uncertainty stated.

A matrix row's ``ab`` table lets a chain member be replaced, per task, by a weighted draw
among alternatives; the task log records the arm each task ran (``tasks.arm``).
``compare_arms`` reads those tasks back: per task type and arm, the verified success
rate (validated ``passed`` only) with a 95% Wilson interval, and the mean cost and mean
model latency with 95% normal intervals. Two arms are called different only when their
success intervals do not overlap; until then the verdict says there is not enough data.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from escalator.task import Outcome

__all__ = ["ArmStats", "TypeArms", "compare_arms", "wilson_interval"]

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (sound at small n and 0 or n)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _mean_interval(values: list[float]) -> tuple[float, float, float]:
    """Mean and its 95% normal interval (the interval is the mean alone for n < 2)."""
    if not values:
        return (0.0, 0.0, 0.0)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return (mean, mean, mean)
    half = Z95 * statistics.stdev(values) / math.sqrt(len(values))
    return (mean, mean - half, mean + half)


@dataclass(frozen=True)
class ArmStats:
    """One arm of one task type."""

    arm: str
    tasks: int
    verified: int
    success_rate: float
    success_95: tuple[float, float]
    mean_cost_usd: float
    cost_95: tuple[float, float]
    mean_latency_ms: float
    latency_95: tuple[float, float]


@dataclass(frozen=True)
class TypeArms:
    """The arms run for one task type, and what can be said about them yet."""

    task_type: str
    arms: tuple[ArmStats, ...]
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "verdict": self.verdict,
            "arms": [asdict(a) for a in self.arms],
        }


def _arm(name: str, rows: list[Mapping[str, Any]]) -> ArmStats:
    verified = sum(1 for r in rows if r["outcome"] == Outcome.PASSED.value)
    cost, cost_lo, cost_hi = _mean_interval([float(r["cost_usd"]) for r in rows])
    lat, lat_lo, lat_hi = _mean_interval([float(r["latency_ms"]) for r in rows])
    return ArmStats(
        arm=name,
        tasks=len(rows),
        verified=verified,
        success_rate=round(verified / len(rows), 4),
        success_95=tuple(round(x, 4) for x in wilson_interval(verified, len(rows))),  # type: ignore[arg-type]
        mean_cost_usd=round(cost, 6),
        cost_95=(round(cost_lo, 6), round(cost_hi, 6)),
        mean_latency_ms=round(lat, 1),
        latency_95=(round(lat_lo, 1), round(lat_hi, 1)),
    )


def _verdict(arms: list[ArmStats]) -> str:
    if len(arms) < 2:
        return "only one arm has run so far"
    best = max(arms, key=lambda a: a.success_95[0])
    beaten = [a for a in arms if a is not best and a.success_95[1] < best.success_95[0]]
    if len(beaten) == len(arms) - 1:
        return f"{best.arm} succeeds more often than every other arm (95% intervals apart)"
    return "not enough data to tell the arms apart on verified success (95% intervals overlap)"


def compare_arms(rows: Iterable[Mapping[str, Any]]) -> list[TypeArms]:
    """Group task rows (``task_type``, ``arm``, ``outcome``, ``cost_usd``, ``latency_ms``)."""
    grouped: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["arm"]:
            grouped[str(row["task_type"])][str(row["arm"])].append(row)
    out = []
    for task_type, by_arm in sorted(grouped.items()):
        arms = [_arm(name, items) for name, items in sorted(by_arm.items())]
        out.append(TypeArms(task_type, tuple(arms), _verdict(arms)))
    return out
