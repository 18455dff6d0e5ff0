"""Agreement as a validator over a pool of candidates.

``cross_check`` compares a set of candidates once. ``AgreementPool`` is what the engine
holds for one task: every answer that passed the other validators is added to it, and
the pool answers two questions with a typed ``PoolDecision``:

* ``judge(key)``: may this new candidate be accepted now (``policy.decide``)? With
  ``defer`` the answer is postponed while more free models are to be heard.
* ``settle(final=...)``: may the pool's best candidate be accepted (``policy.decide_best``),
  at the end of the free models or of the chain?

A decision carries the agreement ``Verdict`` and the candidate to accept: of the answers
that agree, the strongest model's (``rank``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalator.errors import InputError
from escalator.validate.agreement.clusters import (
    AgreementReport,
    Cluster,
    Compare,
    build_report,
    not_applicable,
)
from escalator.validate.agreement.execute import RunLimits, run_candidates
from escalator.validate.agreement.policy import AgreementDecision, decide, decide_best
from escalator.validate.agreement.targets import (
    Candidate,
    find_targets,
    python_files,
    seed_sources,
    why_no_targets,
)
from escalator.validate.inputs import generate_inputs
from escalator.validate.verdict import Status, Verdict

__all__ = ["AgreementPool", "PoolDecision", "PoolSettings", "cross_check"]


async def cross_check(
    *,
    workspace: Path,
    candidates: Sequence[Candidate],
    test_files: Sequence[str] = (),
    functions: Sequence[str] | None = None,
    timeout_s: float = 10,
    max_inputs: int = 60,
    context: str = "",
    per_input_s: float = 1.0,
    compare: Compare = Compare.DEFINED,
    seed: int = 0,
    concurrency: int = 2,
) -> AgreementReport:
    """Run the candidates on inputs derived from the tests and cluster them by behaviour.

    ``max_inputs`` is per target function; ``timeout_s`` is the wall clock per candidate.
    """
    if not candidates:
        return not_applicable("no candidates to compare")
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise InputError("cross_check: candidate keys must be unique")
    if not any(python_files(c.files) for c in candidates):
        return not_applicable("no candidate changes a Python file")
    sources = seed_sources(workspace, candidates, test_files)
    seeds = find_targets(candidates, sources, functions)
    if not seeds:
        return not_applicable(why_no_targets(functions, sources))
    names = sorted(seeds)
    inputs = {n: generate_inputs(seeds[n], max_inputs=max_inputs, seed=seed) for n in names}
    calls = [(i, a.to_source()) for i, n in enumerate(names) for a in inputs[n]]
    seed_texts = {(i, a.to_source()) for i, n in enumerate(names) for a in seeds[n]}
    seed_indices = [k for k, call in enumerate(calls) if call in seed_texts]
    described = [a.describe(n) for n in names for a in inputs[n]]
    limits = RunLimits(timeout_s=timeout_s, per_input_s=min(per_input_s, timeout_s))
    runs = await run_candidates(
        candidates,
        workspace=workspace,
        functions=names,
        calls=calls,
        context=context,
        limits=limits,
        concurrency=concurrency,
    )
    return build_report(runs, functions=names, calls=described, compare=compare, seeds=seed_indices)


@dataclass(frozen=True)
class PoolSettings:
    """The policy's knobs for one task (see ``policy.decide``)."""

    min_agree: int = 2
    trusted: tuple[str, ...] = ()
    rank: Mapping[str, float] = field(default_factory=dict)  # stronger models rank higher
    weights: Mapping[str, float] = field(default_factory=dict)  # a model's vote; default 1
    timeout_s: float = 10.0  # wall clock per candidate run


@dataclass(frozen=True)
class PoolDecision:
    """The pool's answer: the decision, its evidence, and what to accept.

    ``passes``: whether the answer may pass validation now (accepted, or agreement does
    not apply); a deferred or rejected answer does not. ``chosen``: the key of the
    candidate to accept when ``decision.accept``.
    """

    decision: AgreementDecision
    report: AgreementReport
    verdict: Verdict
    chosen: str | None

    @property
    def passes(self) -> bool:
        return self.decision.accept or not self.decision.applicable


class AgreementPool:
    """The passing candidates of one task, cross-checked as they come."""

    def __init__(self, workspace: Path, settings: PoolSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.candidates: list[Candidate] = []

    def __len__(self) -> int:
        return len(self.candidates)

    def add(self, key: str, model: str, files: Mapping[str, str | None]) -> Candidate:
        """Add a candidate (deleted files, ``None``, are left out)."""
        kept = {rel: text for rel, text in files.items() if text is not None}
        candidate = Candidate(key=key, model=model, files=kept)
        self.candidates.append(candidate)
        return candidate

    async def cross_check(self) -> AgreementReport:
        return await cross_check(
            workspace=self.workspace,
            candidates=list(self.candidates),
            timeout_s=self.settings.timeout_s,
        )

    async def judge(
        self, key: str, *, defer: bool = False, final: bool = False, confirming: str | None = None
    ) -> PoolDecision:
        """Whether candidate ``key`` may be accepted now; ``defer`` postpones a decision.

        With ``confirming`` (an answer other models agreed on, awaiting confirmation),
        ``key`` confirms it by joining its cluster, and the confirmed answer is the one
        chosen; any other answer disputes it and is not accepted here, even when its own
        cluster would win: a confirmer does not decide alone."""
        started = time.monotonic()
        report = await self.cross_check()
        decision = decide(report, key, final=final, **self._knobs())
        if decision.applicable and defer:
            decision = AgreementDecision(
                accept=False,
                reason=f"deferred until every local model has answered ({decision.reason})",
                confidence=decision.confidence,
                support=decision.support,
                deferred=True,
            )
        chosen = self._strongest(report, key)
        if confirming is not None and decision.applicable:
            decision, chosen = _confirmation(report, key, confirming, decision, chosen)
        verdict = agreement_verdict(decision, report, (time.monotonic() - started) * 1000)
        return PoolDecision(decision, report, verdict, chosen)

    async def settle(self, *, final: bool) -> PoolDecision | None:
        """Whether the pool's best candidate may be accepted; None for an empty pool."""
        if not self.candidates:
            return None
        started = time.monotonic()
        report = await self.cross_check()
        key, decision = decide_best(report, final=final, **self._knobs())
        verdict = agreement_verdict(decision, report, (time.monotonic() - started) * 1000)
        return PoolDecision(decision, report, verdict, key)

    def _knobs(self) -> dict[str, Any]:
        """The settings ``decide`` and ``decide_best`` take."""
        s = self.settings
        return {
            "min_agree": s.min_agree,
            "trusted": s.trusted,
            "weights": s.weights or None,
            "rank": s.rank,
        }

    def _strongest(self, report: AgreementReport, key: str) -> str:
        """Of the candidates agreeing with ``key``, the strongest model's (else ``key``)."""
        cluster: Cluster | None = report.cluster_of(key)
        if cluster is None:
            return key
        models = {c.key: c.model for c in self.candidates}
        members = [k for k in cluster.keys if k in models]
        rank = self.settings.rank
        return max(members, key=lambda k: rank.get(models[k], 0.0), default=key)


def _confirmation(
    report: AgreementReport,
    key: str,
    confirming: str,
    decision: AgreementDecision,
    chosen: str,
) -> tuple[AgreementDecision, str]:
    """The decision and the chosen answer when ``key`` was asked to confirm ``confirming``."""
    agreed = report.cluster_of(confirming)
    if agreed is not None and key in agreed.keys:
        return decision, confirming
    if agreed is None:
        return decision, chosen
    diffs = report.differences(key, agreed, limit=2)
    detail = "; ".join(diffs) if diffs else "different outputs"
    reason = f"disputes the answer {', '.join(agreed.models)} agreed on: {detail}"
    return (
        AgreementDecision(False, reason, decision.confidence, support=decision.support),
        chosen,
    )


def agreement_verdict(
    decision: AgreementDecision, report: AgreementReport, duration_ms: float
) -> Verdict:
    """The agreement validator's verdict: skipped when not applicable or deferred."""
    if not decision.applicable or decision.deferred:
        status = Status.SKIPPED
    else:
        status = Status.PASSED if decision.accept else Status.FAILED
    return Verdict(
        validator="agreement",
        status=status,
        confidence=decision.confidence if decision.applicable else 0.0,
        duration_ms=duration_ms,
        feedback="" if decision.accept else decision.reason,
        reason=decision.reason,
        details=report.to_json(),
    )
