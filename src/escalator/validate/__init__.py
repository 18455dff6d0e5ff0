"""Validators and the strategy that runs them in a sandbox.

One module per validator (``syntax``, ``compile``, ``testsuite``, ``semantic``,
``benchmark``), each usable alone and returning a typed ``Verdict``; ``strategy`` picks,
orders and combines them (``run_validation``).
"""

from __future__ import annotations

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
