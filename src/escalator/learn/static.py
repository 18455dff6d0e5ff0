"""What the engine asks of a policy (``Policy``), and ``StaticPolicy``: the configured
chain as written and the configured trusted list (``escalator.learn.policy`` has the
learned one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from escalator.config import PolicyMode
from escalator.learn.choice import Choice, State, Trust
from escalator.learn.evidence import Trace

__all__ = ["Policy", "StaticPolicy"]


class Policy(Protocol):
    """What the engine asks: the next model, and whether to trust a lone answer."""

    @property
    def mode(self) -> PolicyMode: ...

    def choose_next(self, state: State) -> Choice: ...

    def trust(self, task_type: str, model: str, configured: Sequence[str]) -> Trust: ...

    def observe(self, trace: Trace) -> None: ...


class StaticPolicy:
    """The configured matrix: the chain in order, the configured trusted list."""

    mode = PolicyMode.STATIC

    def choose_next(self, state: State) -> Choice:
        rest = state.remaining
        if not rest:
            return Choice(None, "end of the configured chain", self.mode)
        return Choice(rest[0], "next in the configured chain", self.mode, order=rest)

    def trust(self, task_type: str, model: str, configured: Sequence[str]) -> Trust:
        listed = model in configured
        why = "in the configured trusted list" if listed else "not in the configured trusted list"
        return Trust(listed, None, 0, why)

    def observe(self, trace: Trace) -> None:
        return None
