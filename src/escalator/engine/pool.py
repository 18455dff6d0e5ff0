"""Agreement across models in the engine: the task's pool of passing candidates.

The validator itself is ``escalator.validate.agreement.AgreementPool``: this module
builds it from the task's state (the pool, the policy's knobs, the models' strength),
asks it to judge a new candidate or settle on the best one, and records the outcome.
"""

from __future__ import annotations

from escalator import pricing
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind
from escalator.engine.state import Candidate
from escalator.store import EventKind
from escalator.validate import ValidationReport, agreement
from escalator.validate.strategy import with_verdict

__all__ = [
    "confirm_or_accept",
    "confirmed",
    "cross_check",
    "keep_best",
    "local_phase_ends",
    "settle_agreement",
]

# Wall-time cap of one cross-check: the candidates' behaviour is compared on small probes.
CROSS_CHECK_TIMEOUT_S = 20.0

# A free model's vote in a cluster, against a paid model's 1. Weak local models share
# mistakes, so once paid models have answered, two that agree outweigh three agreeing
# free ones (four tie, and the cluster with the stronger model wins).
FREE_VOTE = 0.5


def _agreement_pool(run: TaskRun) -> agreement.AgreementPool:
    settings = agreement.PoolSettings(
        min_agree=run.plan.min_agreement,
        trusted=tuple(run.plan.trusted),
        rank=model_rank(run),
        weights=vote_weights(run),
        timeout_s=min(run.config.validation.timeout_s, CROSS_CHECK_TIMEOUT_S),
    )
    pool = agreement.AgreementPool(run.request.workspace, settings)
    for candidate in run.state.pool:
        pool.add(candidate.key, candidate.model, candidate.files)
    return pool


def _member(run: TaskRun, key: str | None) -> Candidate | None:
    return next((c for c in run.state.pool if c.key == key), None)


async def cross_check(
    run: TaskRun, candidate: Candidate, report: ValidationReport, *, final: bool = False
) -> tuple[agreement.AgreementDecision, ValidationReport, Candidate]:
    """Compare this passing candidate's behaviour with the other models' passing ones.

    Free models first: while another free model follows in the chain, the decision is
    deferred (a cheapest-first chain starts with the weakest models, which agree on
    wrong answers too often). Returns the decision, the report with the agreement
    verdict, and the candidate to accept: of the agreeing answers, the strongest model's.
    """
    if not final:
        run.state.pool.append(candidate)
    defer = _more_local_after(run, candidate.model)
    pending = run.state.confirming
    judged = await _agreement_pool(run).judge(
        candidate.key, defer=defer, final=final, confirming=pending
    )
    if pending is not None and judged.decision.accept and judged.chosen == pending:
        run.state.confirmed_by = candidate.model
    run.agreement_report = judged.report
    run.emit(ProgressKind.VERDICT, f"agreement: {judged.decision.reason}", model=candidate.model)
    merged = with_verdict(report, judged.verdict, passed=judged.passes)
    return judged.decision, merged, _member(run, judged.chosen) or candidate


def vote_weights(run: TaskRun) -> dict[str, float]:
    """Each pool model's vote: ``FREE_VOTE`` for a free model, 1 for a paid one."""
    registry = run.config.registry
    return {c.model: FREE_VOTE if registry.get(c.model).is_free else 1.0 for c in run.state.pool}


def model_rank(run: TaskRun) -> dict[str, float]:
    """The chain's models by strength (``pricing.model_rank``)."""
    return pricing.model_rank(run.config.registry, run.plan.chain)


def _more_local_after(run: TaskRun, model: str) -> bool:
    """Whether a free model follows ``model`` in the chain."""
    chain = run.plan.chain
    registry = run.config.registry
    later = chain[chain.index(model) + 1 :] if model in chain else ()
    return registry.get(model).is_free and any(registry.get(k).is_free for k in later)


def local_phase_ends(run: TaskRun, index: int) -> bool:
    """The model at ``index`` is the last free one and a paid one follows."""
    chain = run.plan.chain
    return (
        "agreement" in run.plan.validators
        and index + 1 < len(chain)
        and not _more_local_after(run, chain[index])
        and run.config.registry.get(chain[index]).is_free
    )


async def settle_agreement(run: TaskRun, *, final: bool) -> Candidate | None:
    """The best-supported passing candidate so far, to accept: with ``min_agreement``
    models behind it after the local models, or whatever is best at the chain's end."""
    settled = await _agreement_pool(run).settle(final=final)
    if settled is not None:
        run.agreement_report = settled.report
    chosen = _member(run, settled.chosen) if settled is not None else None
    if settled is None or chosen is None:
        return None
    decision = settled.decision
    stage = "end of chain" if final else "local models"
    run.emit(ProgressKind.VERDICT, f"{stage}: {decision.reason}", model=chosen.model)
    if not decision.accept:
        return None
    chosen.confidence *= settled.verdict.confidence  # one more passing verdict: the formula
    run.event(
        EventKind.AGREEMENT_CHOICE,
        to_model=chosen.model,
        detail={
            "stage": stage,
            "reason": decision.reason,
            "clusters": settled.report.to_json()["clusters"],
        },
    )
    return chosen


def confirm_or_accept(run: TaskRun, index: int, settled: Candidate) -> Candidate | None:
    """At the end of the local models: ``settled`` to accept now, or None when the next
    (paid) model is asked to confirm it first (``confirm_agreement``): only free models
    stand behind it, and a paid model follows that the run has not been refused."""
    report = run.agreement_report
    cluster = report.cluster_of(settled.key) if report is not None else None
    registry = run.config.registry
    chain = run.plan.chain
    if (
        not run.plan.confirm_agreement
        or cluster is None
        or not all(registry.get(m).is_free for m in cluster.models)
        or index + 1 >= len(chain)
        or not registry.get(chain[index + 1]).is_paid
        or run.paid.denied
    ):
        return settled
    run.state.confirming = settled.key
    run.emit(
        ProgressKind.VERDICT,
        f"{len(cluster.models)} local models agree; asking a paid model to confirm first",
        model=settled.model,
    )
    return None


async def confirmed(run: TaskRun, model: str) -> Candidate | None:
    """After the confirming model's turn (it did not confirm): the local answer to accept,
    or None when that model's own passing answer disputes it (the escalation goes on,
    with paid votes outweighing free ones)."""
    run.state.confirming = None
    if any(c.model == model for c in run.state.pool):
        run.emit(ProgressKind.VERDICT, f"{model} disputes the local models' answer", model=model)
        return None
    return await settle_agreement(run, final=False)


def keep_best(run: TaskRun, candidate: Candidate) -> None:
    """Remember the best candidate so far (for review when none is accepted)."""
    best = run.state.best
    if best is None or (candidate.passed, candidate.validators_passed, candidate.confidence) > (
        best.passed,
        best.validators_passed,
        best.confidence,
    ):
        run.state.best = candidate
