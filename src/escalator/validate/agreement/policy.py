"""The accept/escalate policy over an agreement report (see docs/agreement.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from escalator.validate.agreement.clusters import AgreementReport, Cluster

__all__ = ["AgreementDecision", "choose", "decide", "decide_best"]


@dataclass(frozen=True)
class AgreementDecision:
    """What the policy says about one candidate."""

    accept: bool
    reason: str
    confidence: float
    applicable: bool = True
    support: int = 0
    deferred: bool = False  # the decision is postponed (more free models to hear)


def decide(
    report: AgreementReport,
    candidate_key: str,
    *,
    min_agree: int = 2,
    trusted: Collection[str] = (),
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
    final: bool = False,
) -> AgreementDecision:
    """Accept ``candidate_key`` (which already passed the other validators) or escalate.

    Accept when its cluster is the best one and holds at least ``min_agree`` distinct
    models; or when its model is ``trusted`` and no other cluster of ``min_agree`` models
    contradicts it; or, with ``final`` (the end of the chain), when its cluster is the best.
    """
    if not report.applicable:
        return AgreementDecision(False, report.reason, 0.0, applicable=False)
    cluster = report.cluster_of(candidate_key)
    run = report.run_of(candidate_key)
    if cluster is None or run is None:
        detail = f"{run.status.value}: {run.detail}" if run else "unknown candidate"
        return AgreementDecision(False, f"candidate did not run ({detail})", 0.0)
    best = report.best(weights=weights, rank=rank)
    total = sum(c.score(weights) for c in report.clusters) or 1.0
    confidence = round(cluster.score(weights) / total, 4)
    support = cluster.support
    agree = f"{support} model(s) ({', '.join(cluster.models)}) agree on {report.compared} inputs"
    if best is cluster and support >= min_agree:
        return AgreementDecision(True, agree, confidence, support=support)
    rival = _strong_rival(report, cluster, min_agree, weights)
    if run.model in trusted and rival is None:
        return AgreementDecision(True, f"trusted model; {agree}", confidence, support=support)
    if final and best is cluster:
        return AgreementDecision(
            True, f"end of chain, best cluster; {agree}", confidence, support=support
        )
    return AgreementDecision(
        False,
        _escalate_reason(report, candidate_key, cluster, best, min_agree),
        confidence,
        support=support,
    )


def _strong_rival(
    report: AgreementReport, cluster: Cluster, min_agree: int, weights: Mapping[str, float] | None
) -> Cluster | None:
    for other in report.clusters:
        if (
            other is not cluster
            and other.support >= min_agree
            and other.score(weights) >= cluster.score(weights)
        ):
            return other
    return None


def _escalate_reason(
    report: AgreementReport, key: str, cluster: Cluster, best: Cluster | None, min_agree: int
) -> str:
    if best is None or best is cluster:
        return f"only {cluster.support} model(s) agree; {min_agree} needed"
    diffs = report.differences(key, best, limit=2)
    detail = "; ".join(diffs) if diffs else "different outputs"
    return f"disagrees with {best.support} model(s): {detail}"


def choose(
    report: AgreementReport,
    *,
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
) -> str | None:
    """The candidate to keep at the end of the chain: the strongest model's in the best cluster."""
    best = report.best(weights=weights, rank=rank)
    if best is None:
        return None
    ranks = rank or {}
    runs = {r.key: r for r in report.runs}
    return max(best.keys, key=lambda k: (ranks.get(runs[k].model, 0.0), -best.keys.index(k)))


def decide_best(
    report: AgreementReport,
    *,
    min_agree: int = 2,
    trusted: Collection[str] = (),
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
    final: bool = False,
) -> tuple[str | None, AgreementDecision]:
    """Decide on the pool's best candidate (``choose``) rather than the newest one.

    For the end of a tier, e.g. after every free local model has answered: accept the best
    cluster if it holds ``min_agree`` models, before paying for the next model.
    """
    key = choose(report, weights=weights, rank=rank)
    if key is None:
        reason = report.reason if not report.applicable else "no candidate ran"
        return None, AgreementDecision(False, reason, 0.0, applicable=report.applicable)
    decision = decide(
        report, key, min_agree=min_agree, trusted=trusted, weights=weights, rank=rank, final=final
    )
    return key, decision
