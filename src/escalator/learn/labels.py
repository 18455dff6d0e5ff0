"""Labels at a task's end: what the engine knows about each attempt's answer.

Pure: from each attempt's number, model and logged outcome, the keys (``model#n``) of
the answers that passed the validators (the agreement pool), the keys of the accepted
result (its agreement cluster, or the accepted answer alone), whether that result
was corroborated (at least two models behind it, or accepted by validators that do not
need a second opinion), and the model that confirmed free models' agreed answer, if one
did: its answer is ``confirmed``, a success that says little about its own precision
(the easy tasks are the ones free models agree on), so trust does not count it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from escalator.learn.evidence import Label

__all__ = ["LoggedAttempt", "label_attempts"]


@dataclass(frozen=True)
class LoggedAttempt:
    """One attempt as the task log holds it."""

    n: int
    model: str
    outcome: str  # passed, failed, skipped, error

    @property
    def key(self) -> str:
        return f"{self.model}#{self.n}"


def label_attempts(
    attempts: Sequence[LoggedAttempt],
    *,
    passing: Collection[str],
    accepted: Collection[str],
    corroborated: bool,
    task_passed: bool,
    confirmer: str | None = None,
) -> dict[int, Label]:
    """The label of every attempt, by attempt number."""
    out: dict[int, Label] = {}
    for a in attempts:
        if a.outcome == "error":
            out[a.n] = Label.ERROR
        elif task_passed and a.key in accepted:
            if not corroborated:
                out[a.n] = Label.ACCEPTED_ALONE
            else:
                out[a.n] = Label.CONFIRMED if a.model == confirmer else Label.VERIFIED
        elif a.key in passing or a.outcome in ("passed", "skipped"):
            out[a.n] = Label.CONTRADICTED if task_passed else Label.UNKNOWN
        else:
            out[a.n] = Label.FAILED
    return out
