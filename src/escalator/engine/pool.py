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

__all__ = ["cross_check", "keep_best", "local_phase_ends", "settle_agreement"]

# Wall-time cap of one cross-check: the candidates' behaviour is compared on small probes.
CROSS_CHECK_TIMEOUT_S = 20.0


def _agreement_pool(run: TaskRun) -> agreement.AgreementPool:
    settings = agreement.PoolSettings(
        min_agree=run.plan.min_agreement,
        trusted=tuple(run.plan.trusted),
        rank=model_rank(run),
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
    judged = await _agreement_pool(run).judge(candidate.key, defer=defer, final=final)
    run.agreement_report = judged.report
    run.emit(ProgressKind.VERDICT, f"agreement: {judged.decision.reason}", model=candidate.model)
    merged = with_verdict(report, judged.verdict, passed=judged.passes)
    return judged.decision, merged, _member(run, judged.chosen) or candidate


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


def keep_best(run: TaskRun, candidate: Candidate) -> None:
    """Remember the best candidate so far (for review when none is accepted)."""
    best = run.state.best
    if best is None or (candidate.passed, candidate.validators_passed, candidate.confidence) > (
        best.passed,
        best.validators_passed,
        best.confidence,
    ):
        run.state.best = candidate
