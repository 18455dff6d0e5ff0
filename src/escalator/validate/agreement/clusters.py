"""Runs and what they add up to: candidates with identical outputs form a cluster.

``build_report`` is a pure function of the runs: it picks the compared inputs
(``Compare``), groups runnable candidates by their outputs on them, and returns an
``AgreementReport`` that answers who agrees with whom and where they differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "AgreementReport",
    "CandidateRun",
    "Cluster",
    "Compare",
    "RunStatus",
    "build_report",
    "not_applicable",
]


class RunStatus(StrEnum):
    """How a candidate's run went as a whole (per-input failures are outputs, not statuses)."""

    OK = "ok"
    LOAD_ERROR = "load_error"  # the module did not parse or raised while importing
    MISSING_FUNCTION = "missing_function"  # a target function is not defined


class Compare(StrEnum):
    """Which inputs take part in the comparison.

    ``STRICT``: every input; an exception's type name is an output like any other.
    ``DEFINED``: the tests' own calls, plus the inputs on which at least half the runnable
    candidates return a value, so inputs outside the function's domain (where correct
    versions may legitimately raise different errors or time out) do not split correct
    candidates apart.
    """

    STRICT = "strict"
    DEFINED = "defined"


@dataclass(frozen=True)
class CandidateRun:
    """One candidate's outputs: ``"=<value>"``, ``"!<ExceptionType>"``, ``"!Timeout"``."""

    key: str
    model: str
    status: RunStatus
    detail: str = ""
    outputs: tuple[str, ...] = ()
    wall_s: float = 0.0

    @property
    def runnable(self) -> bool:
        return self.status is RunStatus.OK


@dataclass(frozen=True)
class Cluster:
    """Candidates with identical outputs on the compared inputs."""

    keys: tuple[str, ...]
    models: tuple[str, ...]  # distinct, in order of first appearance
    signature: str

    @property
    def support(self) -> int:
        """Number of distinct models in the cluster."""
        return len(self.models)

    def score(self, weights: Mapping[str, float] | None = None) -> float:
        """Sum of the distinct models' weights (1 each without weights)."""
        if weights is None:
            return float(len(self.models))
        return sum(weights.get(m, 1.0) for m in self.models)


@dataclass(frozen=True)
class AgreementReport:
    """The result of a cross-check; ``applicable=False`` says why nothing was compared."""

    applicable: bool
    reason: str
    functions: tuple[str, ...] = ()
    inputs: int = 0
    compared: int = 0
    clusters: list[Cluster] = field(default_factory=list)
    runs: tuple[CandidateRun, ...] = ()
    calls: tuple[str, ...] = ()
    compared_indices: tuple[int, ...] = ()

    def cluster_of(self, key: str) -> Cluster | None:
        """The cluster holding candidate ``key``; None when it did not run."""
        return next((c for c in self.clusters if key in c.keys), None)

    def support(self, key: str) -> int:
        """Number of distinct models whose candidates agree with ``key`` (itself included)."""
        cluster = self.cluster_of(key)
        return cluster.support if cluster else 0

    def best(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        rank: Mapping[str, float] | None = None,
    ) -> Cluster | None:
        """The chosen cluster: highest weight, then strongest model (``rank``), then size."""
        if not self.clusters:
            return None
        ranks = rank or {}
        return max(
            self.clusters,
            key=lambda c: (
                round(c.score(weights), 9),
                max(ranks.get(m, 0.0) for m in c.models),
                len(c.keys),
            ),
        )

    def run_of(self, key: str) -> CandidateRun | None:
        return next((r for r in self.runs if r.key == key), None)

    def differences(self, key: str, other: Cluster, *, limit: int = 3) -> list[str]:
        """Example calls where ``key`` and the ``other`` cluster behave differently."""
        mine, theirs = self.run_of(key), self.run_of(other.keys[0])
        if mine is None or theirs is None or not (mine.runnable and theirs.runnable):
            return []
        out = []
        for i in self.compared_indices:
            if mine.outputs[i] != theirs.outputs[i]:
                out.append(
                    f"{self.calls[i]}: this gives {_show(mine.outputs[i])}, "
                    f"{', '.join(other.models)} give {_show(theirs.outputs[i])}"
                )
                if len(out) >= limit:
                    break
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no outputs, which can be large)."""
        return {
            "applicable": self.applicable,
            "reason": self.reason,
            "functions": list(self.functions),
            "inputs": self.inputs,
            "compared": self.compared,
            "clusters": [
                {"keys": list(c.keys), "models": list(c.models), "signature": c.signature}
                for c in self.clusters
            ],
            "failed": {r.key: f"{r.status.value}: {r.detail}" for r in self.runs if not r.runnable},
        }


def _show(output: str) -> str:
    text = output[1:] if output.startswith("=") else f"an exception ({output[1:]})"
    return text if len(text) <= 80 else text[:77] + "..."


def _compared_indices(
    runs: Sequence[CandidateRun], n_calls: int, compare: Compare, always: Collection[int]
) -> list[int]:
    ok = [r for r in runs if r.runnable]
    if compare is Compare.STRICT or not ok:
        return list(range(n_calls))
    return [
        i
        for i in range(n_calls)
        if i in always or 2 * sum(r.outputs[i].startswith("=") for r in ok) >= len(ok)
    ]


def build_report(
    runs: Sequence[CandidateRun],
    *,
    functions: Sequence[str],
    calls: Sequence[str],
    compare: Compare = Compare.DEFINED,
    seeds: Collection[int] = (),
) -> AgreementReport:
    """Cluster runs by their outputs on the compared inputs (a pure function).

    ``seeds``: indices of the calls taken from the tests, always compared.
    """
    indices = _compared_indices(runs, len(calls), compare, frozenset(seeds))
    groups: dict[str, list[CandidateRun]] = {}
    for run in runs:
        if run.runnable:
            digest = hashlib.sha256("\x00".join(run.outputs[i] for i in indices).encode())
            groups.setdefault(digest.hexdigest()[:16], []).append(run)
    clusters = [
        Cluster(
            keys=tuple(r.key for r in members),
            models=tuple(dict.fromkeys(r.model for r in members)),
            signature=sig,
        )
        for sig, members in groups.items()
    ]
    clusters.sort(key=lambda c: (-c.support, -len(c.keys)))
    runnable = sum(r.runnable for r in runs)
    reason = (
        f"{runnable} of {len(runs)} candidates ran; {len(clusters)} behaviour(s) "
        f"on {len(indices)} compared inputs"
    )
    return AgreementReport(
        applicable=True,
        reason=reason,
        functions=tuple(functions),
        inputs=len(calls),
        compared=len(indices),
        clusters=clusters,
        runs=tuple(runs),
        calls=tuple(calls),
        compared_indices=tuple(indices),
    )


def not_applicable(reason: str, runs: Sequence[CandidateRun] = ()) -> AgreementReport:
    """A report that compared nothing, saying why."""
    return AgreementReport(applicable=False, reason=f"not applicable: {reason}", runs=tuple(runs))
