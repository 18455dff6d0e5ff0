"""Benchmark validator: run a command that prints a number and compare it with a target.

The number is the last number on the last non-empty output line, or, with
``benchmark_field``, a field (dotted path) of the last JSON object printed.
``benchmark_direction`` says whether lower or higher is better.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from escalator.config import ValidationConfig
from escalator.sandbox import Sandbox
from escalator.validate.feedback import cap, tail
from escalator.validate.verdict import Status, Verdict

__all__ = ["check_benchmark", "parse_measurement"]

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def parse_measurement(output: str, field: str | None = None) -> float:
    """The measured value from the command's output; ValueError says why there is none."""
    if field:
        return _json_field(output, field)
    lines = [ln for ln in output.splitlines() if ln.strip()]
    if not lines:
        raise ValueError("the benchmark printed nothing")
    numbers = _NUMBER.findall(lines[-1])
    if not numbers:
        raise ValueError(f"no number on the last line: {lines[-1][:120]!r}")
    return float(numbers[-1])


def _json_field(output: str, field: str) -> float:
    decoder = json.JSONDecoder()
    found: Any = None
    pos = output.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(output, pos)
        except ValueError:
            end = pos + 1
        else:
            if isinstance(obj, dict):
                found = obj  # keep the last top-level object, not one nested inside it
        pos = output.find("{", end)
    if found is None:
        raise ValueError("the benchmark printed no JSON object")
    value: Any = found
    for key in field.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ValueError(f"field {field!r} not in the benchmark's JSON output")
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"field {field!r} is not a number: {value!r}")
    return float(value)


def check_benchmark(sandbox: Sandbox, cfg: ValidationConfig, command: str | None = None) -> Verdict:
    """Run the benchmark command in the sandbox; pass when it meets the target."""
    start = time.perf_counter()
    command = command or cfg.benchmark_command
    if not command:
        return Verdict.skipped("benchmark", "no validation.benchmark_command configured")
    result = sandbox.run(command)
    details: dict[str, Any] = {"command": command, "sandbox": result.limits_note}
    ms = (time.perf_counter() - start) * 1000
    if not result.ok:
        what = "timed out" if result.timed_out else f"exited with status {result.exit_code}"
        feedback = cap(
            f"The benchmark ({command}) {what}:\n{tail(result.output.strip(), 1500)}\n"
            "Fix the code so the benchmark runs to completion.",
            cfg.feedback_chars,
        )
        return Verdict("benchmark", Status.FAILED, 1.0, ms, feedback=feedback, reason=what)
    try:
        value = parse_measurement(result.stdout, cfg.benchmark_field)
    except ValueError as exc:
        return Verdict.error("benchmark", str(exc), **details).with_duration(ms)
    details.update(value=value, target=cfg.benchmark_target, direction=cfg.benchmark_direction)
    if cfg.benchmark_target is None:
        return Verdict(
            "benchmark",
            Status.SKIPPED,
            0.0,
            ms,
            reason=f"measured {value:g}; no validation.benchmark_target to compare with",
            details=details,
        )
    return _compare(value, cfg, ms, details)


def _compare(value: float, cfg: ValidationConfig, ms: float, details: dict[str, Any]) -> Verdict:
    target = cfg.benchmark_target
    assert target is not None
    lower = cfg.benchmark_direction == "lower"
    ok = value <= target if lower else value >= target
    if ok:
        return Verdict("benchmark", Status.PASSED, 1.0, ms, details=details)
    better = "lower" if lower else "higher"
    feedback = cap(
        f"Benchmark: measured {value:g}, target {target:g} ({better} is better). "
        f"Make the code {'faster / leaner' if lower else 'better on this measure'} "
        "without changing its behaviour.",
        cfg.feedback_chars,
    )
    return Verdict(
        "benchmark",
        Status.FAILED,
        1.0,
        ms,
        feedback=feedback,
        reason=f"{value:g} misses target {target:g}",
        details=details,
    )
