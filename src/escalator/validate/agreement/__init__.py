"""Behavioural cross-check ("agreement") of candidate implementations from several models.

When a task changes or creates Python functions, passing the project's tests is weak
evidence: the tests are often a handful of examples. ``cross_check`` takes the candidate
files that several models wrote for the same task, derives extra inputs for the changed
functions (the literal arguments of calls in the tests, then seeded type-preserving
mutations, see ``escalator.validate.inputs``), runs every candidate on every input in its
own sandbox (``escalator.sandbox``), and clusters candidates by their output vectors.
Independent models that behave identically on inputs nobody showed them are evidence of
a correct answer; a lone or contradicted candidate is a reason to keep escalating.
``decide`` turns a report into that accept/escalate policy; ``AgreementPool`` is the
validator the engine holds for one task.

Where it does not apply (no Python function changed, no literal call to a changed function
in the tests) the report says ``applicable=False`` with the reason: never a pass.

Modules: ``targets`` (what to compare, from which tests), ``execute`` (running candidates
on the sandbox's process runner), ``harness`` (the child process), ``clusters`` (runs ->
report), ``policy`` (report -> decision), ``pool`` (``cross_check`` and the pool).
Names are imported on first use, so the harness's process stays light.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing costs the harness ~40 ms
if TYPE_CHECKING:
    from typing import Any

    from escalator.validate.agreement.clusters import (
        AgreementReport,
        CandidateRun,
        Cluster,
        Compare,
        RunStatus,
        build_report,
        not_applicable,
    )
    from escalator.validate.agreement.execute import RunLimits, run_candidates
    from escalator.validate.agreement.policy import AgreementDecision, choose, decide, decide_best
    from escalator.validate.agreement.pool import (
        AgreementPool,
        PoolDecision,
        PoolSettings,
        cross_check,
    )
    from escalator.validate.agreement.targets import Candidate, find_targets

__all__ = [
    "AgreementDecision",
    "AgreementPool",
    "AgreementReport",
    "Candidate",
    "CandidateRun",
    "Cluster",
    "Compare",
    "PoolDecision",
    "PoolSettings",
    "RunLimits",
    "RunStatus",
    "build_report",
    "choose",
    "cross_check",
    "decide",
    "decide_best",
    "find_targets",
    "not_applicable",
    "run_candidates",
]

_HOME = {
    **dict.fromkeys(
        (
            "AgreementReport",
            "CandidateRun",
            "Cluster",
            "Compare",
            "RunStatus",
            "build_report",
            "not_applicable",
        ),
        "clusters",
    ),
    **dict.fromkeys(("RunLimits", "run_candidates"), "execute"),
    **dict.fromkeys(("AgreementDecision", "choose", "decide", "decide_best"), "policy"),
    **dict.fromkeys(("AgreementPool", "PoolDecision", "PoolSettings", "cross_check"), "pool"),
    **dict.fromkeys(("Candidate", "find_targets"), "targets"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
