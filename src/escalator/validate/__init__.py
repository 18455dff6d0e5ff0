"""Validators and the strategy that runs them in a sandbox.

One module per validator (``syntax``, ``compile``, ``testsuite``, ``semantic``,
``benchmark``, and the ``agreement`` package over a pool of candidates), each usable
alone and returning a typed ``Verdict``; ``strategy`` picks, orders and combines them
(``run_validation``).

The names below are imported on first use, so a child process that runs one light
module of this package (the agreement harness) does not load every validator.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing costs the harness ~40 ms
if TYPE_CHECKING:
    from typing import Any

    from escalator.validate.strategy import (
        ORDER,
        ValidationReport,
        ValidationSpec,
        combined_confidence,
        make_report,
        order_validators,
        run_validation,
    )
    from escalator.validate.verdict import Finding, Status, Verdict

__all__ = [
    "ORDER",
    "Finding",
    "Status",
    "ValidationReport",
    "ValidationSpec",
    "Verdict",
    "combined_confidence",
    "make_report",
    "order_validators",
    "run_validation",
]

_HOME = dict.fromkeys(("Finding", "Status", "Verdict"), "verdict")


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOME.get(name, 'strategy')}")
    value = getattr(module, name)
    globals()[name] = value
    return value
