"""What follows an attempt: accept its change, retry the same model, or escalate.

A pure function of the attempt's outcome. Stopping is not decided here: a budget that
would be exceeded raises ``BudgetExceeded`` before the call, and the loop ends the task.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalator.engine.attempt import (
    AttemptOutcome,
    ProviderFailed,
    Rejected,
    Repeated,
    Truncated,
    Validated,
)
from escalator.engine.state import Candidate
from escalator.errors import (
    AuthenticationFailed,
    ContextOverflow,
    EndpointUnreachable,
    ModelNotFound,
    ModelNotLoaded,
    Overloaded,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    SpendLimitReached,
)
from escalator.work.prompts import DISAGREED, PriorAttempt

__all__ = ["ESCALATE_AT_ONCE", "Accept", "Decision", "Escalate", "Retry", "decide"]

# The agreement validator's wording for a call on which two answers behave differently.
DIFFERS = ": this gives "

# Provider errors after which the same model is not tried again for this task (subclasses
# included: CircuitOpen is an EndpointUnreachable). Others (BadRequest, MalformedResponse)
# are retried on the same model.
ESCALATE_AT_ONCE: tuple[type[ProviderError], ...] = (
    ContextOverflow,
    ModelNotFound,
    ModelNotLoaded,
    EndpointUnreachable,
    AuthenticationFailed,
    SpendLimitReached,
    ProviderTimeout,
    RateLimited,
    Overloaded,
)


@dataclass(frozen=True)
class Accept:
    """The change passed: apply it and finish."""

    candidate: Candidate


@dataclass(frozen=True)
class Retry:
    """Ask the same model again; ``prior`` (if any) tells it what went wrong."""

    output: str | None
    prior: PriorAttempt | None = None


@dataclass(frozen=True)
class Escalate:
    """Leave this model: the next one in the chain takes over; ``prior`` (if any) tells
    the next models where the candidates disagreed."""

    prior: PriorAttempt | None = None


Decision = Accept | Retry | Escalate


def decide(outcome: AttemptOutcome) -> Decision:
    """The next step after one attempt."""
    match outcome:
        case ProviderFailed(error=error):
            return Escalate() if isinstance(error, ESCALATE_AT_ONCE) else Retry(None)
        case Repeated() | Truncated():
            return Escalate()
        case Rejected(output=output, prior=prior):
            return Retry(output, prior)
        case Validated(report=report, accepted=accepted) if report.passed:
            return Accept(accepted)
        case Validated(consensus=consensus, candidate=candidate) if consensus is not None:
            # passed the tests, but other models' answers disagree
            if DIFFERS not in consensus.reason:
                return Escalate()
            return Escalate(
                PriorAttempt(
                    model=candidate.model,
                    attempt=candidate.attempt,
                    diff="",
                    feedback=consensus.reason,
                    error=DISAGREED,
                )
            )
        case Validated(output=output, candidate=candidate, report=report):
            prior = PriorAttempt(
                model=candidate.model,
                attempt=candidate.attempt,
                diff=candidate.diff,
                feedback=report.feedback,
            )
            return Retry(output, prior)
    raise AssertionError(f"unhandled attempt outcome {outcome!r}")
