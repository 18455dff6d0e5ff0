"""Benchmarks on recorded model outputs: suites, the replay fleet, scoring and reports.

- ``suite``: load and validate a suite folder (``problems.jsonl``, ``models.json``,
  ``generations/``).
- ``replay`` and ``fleet``: the replay fleet, an LM Studio-dialect HTTP server that
  answers "model M, solve problem P" with M's recorded code for P.
- ``tasks``: each problem as a real workspace and ``TaskRequest`` for the engine.
- ``scoring``: the README's hidden-test recipe (fresh sandboxed subprocess, nonce line).
- ``matrix``: the chain a run escalates through and its config (the replay fleet only).
- ``runner``: the cascade over a suite through the engine, then scoring.
- ``report`` and ``display``: cascade vs each model alone vs the oracle.

Import the submodules directly; this package keeps start-up light.
"""
