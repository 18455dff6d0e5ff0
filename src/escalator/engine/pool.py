"""Agreement across models: the pool of passing candidates, cross-checked and ranked.

Behaviour as before the engine became a package; this module is to be replaced by an
agreement validator over the pool.
"""

from __future__ import annotations

import time

from escalator import pricing
from escalator.engine.context import TaskRun
from escalator.engine.contracts import ProgressKind
from escalator.engine.state import Candidate
from escalator.store import EventKind
from escalator.validate import ValidationReport, Verdict, agreement
from escalator.validate.verdict import Status

__all__ = ["cross_check", "keep_best", "local_phase_ends", "settle_agreement"]

# Wall-time cap of one cross-check: the candidates' behaviour is compared on small probes.
CROSS_CHECK_TIMEOUT_S = 20.0


def _as_agreement(candidate: Candidate) -> agreement.Candidate:
    files = {k: v for k, v in candidate.files.items() if v is not None}
    return agreement.Candidate(key=candidate.key, model=candidate.model, files=files)


async def _run_cross_check(run: TaskRun) -> agreement.AgreementReport:
    return await agreement.cross_check(
        workspace=run.request.workspace,
        candidates=[_as_agreement(c) for c in run.state.pool],
        timeout_s=min(run.config.validation.timeout_s, CROSS_CHECK_TIMEOUT_S),
    )


async def cross_check(
    run: TaskRun, candidate: Candidate, report: ValidationReport, *, final: bool = False
) -> tuple[agreement.AgreementDecision, ValidationReport, Candidate]:
    """Compare this passing candidate's behaviour with the other models' passing ones.

    Returns the decision, the report with the agreement verdict, and the candidate to
    accept: of the agreeing answers, the strongest model's."""
    key = candidate.key
    if not final:
        run.state.pool.append(candidate)
    started = time.monotonic()
    result = await _run_cross_check(run)
    decision = agreement.decide(
        result,
        key,
        min_agree=run.plan.min_agreement,
        trusted=run.plan.trusted,
        rank=model_rank(run),
        final=final,
    )
    if decision.applicable and _more_local_after(run, candidate.model):
        # free models first: hear every local model before deciding (a cheapest-first
        # chain starts with the weakest models, which agree on wrong answers too often)
        decision = agreement.AgreementDecision(
            accept=False,
            reason=f"deferred until every local model has answered ({decision.reason})",
            confidence=decision.confidence,
            support=decision.support,
            deferred=True,
        )
    verdict = Verdict(
        validator="agreement",
        status=_agreement_status(decision),
        confidence=decision.confidence if decision.applicable else 0.0,
        duration_ms=(time.monotonic() - started) * 1000,
        feedback="" if decision.accept else decision.reason,
        reason=decision.reason,
        details=result.to_json(),
    )
    run.emit(ProgressKind.VERDICT, f"agreement: {decision.reason}", model=candidate.model)
    merged = _with_agreement(report, verdict, decision)
    return decision, merged, _strongest_agreeing(run, result, key, candidate)


def _with_agreement(
    report: ValidationReport, verdict: Verdict, decision: agreement.AgreementDecision
) -> ValidationReport:
    verdicts = [v for v in report.verdicts if v.validator != "agreement"] + [verdict]
    passed = decision.accept or not decision.applicable
    confidence = report.confidence * (decision.confidence if decision.accept else 1.0)
    return ValidationReport(
        verdicts=verdicts,
        passed=passed,
        confidence=confidence,
        feedback=report.feedback if passed else decision.reason,
    )


def _strongest_agreeing(
    run: TaskRun, result: agreement.AgreementReport, key: str, fallback: Candidate
) -> Candidate:
    cluster = result.cluster_of(key)
    if cluster is None:
        return fallback
    rank = model_rank(run)
    pool = {c.key: c for c in run.state.pool}
    members = [pool[k] for k in cluster.keys if k in pool]
    return max(members, key=lambda c: rank.get(c.model, 0.0), default=fallback)


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
    if not run.state.pool:
        return None
    result = await _run_cross_check(run)
    key = agreement.choose(result, rank=model_rank(run))
    chosen = next((c for c in run.state.pool if c.key == key), None)
    if chosen is None:
        return None
    decision = agreement.decide(
        result, key or "", min_agree=run.plan.min_agreement, rank=model_rank(run), final=final
    )
    stage = "end of chain" if final else "local models"
    run.emit(ProgressKind.VERDICT, f"{stage}: {decision.reason}", model=chosen.model)
    if not decision.accept:
        return None
    chosen.confidence *= decision.confidence
    run.event(
        EventKind.AGREEMENT_CHOICE,
        to_model=chosen.model,
        detail={
            "stage": stage,
            "reason": decision.reason,
            "clusters": result.to_json()["clusters"],
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


def _agreement_status(decision: agreement.AgreementDecision) -> Status:
    if not decision.applicable or decision.deferred:
        return Status.SKIPPED
    return Status.PASSED if decision.accept else Status.FAILED
