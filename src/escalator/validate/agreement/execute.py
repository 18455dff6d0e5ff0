"""Running candidates: each in its own sandbox, through the sandbox's process runner.

Per candidate, ``escalator.sandbox.Sandbox`` copies the workspace's project files, the
candidate's files are written over them (with ``context`` prepended to its ``.py``
files), and ``python -I -m escalator.validate.agreement.harness JOB`` runs there under
the sandbox's isolation (namespaces and no network where the OS permits, a scrubbed
environment, the workspace read-only, wall-clock, CPU and memory limits, the process
group killed afterwards). The harness's result lines come back on stdout and are parsed
into one output per call; the wall-clock kill keeps the lines written so far.

Runs are cached in memory by (candidate files, inputs, limits, workspace stamp), so a
pool can be cross-checked after every new candidate without re-running the old ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from escalator.errors import InputError
from escalator.sandbox import Sandbox, SandboxLimits
from escalator.validate.agreement.clusters import CandidateRun, RunStatus
from escalator.validate.agreement.harness import MAX_REPR
from escalator.validate.agreement.targets import Candidate, locate, workspace_python

__all__ = ["HARNESS", "RunLimits", "clear_cache", "run_candidates"]

HARNESS = "escalator.validate.agreement.harness"
_CACHE_SIZE = 20000
_LINE_CHARS = MAX_REPR + 100  # the longest result line the harness writes
# Extra environment for the child (on top of the sandbox's scrubbed one): one thread per
# numeric library, so two concurrent candidates do not fight over the cores.
_CHILD_ENV = {
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

Outcome = tuple[RunStatus, str, tuple[str, ...]]
_CACHE: dict[str, Outcome] = {}


@dataclass(frozen=True)
class RunLimits:
    """Limits for one candidate's process."""

    timeout_s: float = 10.0  # wall clock for the whole candidate
    per_input_s: float = 1.0
    memory_mb: int = 2048
    python: str = sys.executable


@dataclass(frozen=True)
class _Job:
    """What one candidate's run needs besides the candidate."""

    workspace: Path
    functions: tuple[str, ...]
    calls: tuple[tuple[int, str], ...]
    context: str
    limits: RunLimits
    stamp: str


def clear_cache() -> None:
    """Forget every cached run (benchmarks measure cold runs)."""
    _CACHE.clear()


async def run_candidates(
    candidates: Sequence[Candidate],
    *,
    workspace: Path,
    functions: Sequence[str],
    calls: Sequence[tuple[int, str]],
    context: str = "",
    limits: RunLimits | None = None,
    concurrency: int = 2,
) -> list[CandidateRun]:
    """Run every candidate on ``calls`` ((function index, ``CallArgs.to_source()``) pairs)."""
    job = _Job(
        workspace,
        tuple(functions),
        tuple((int(i), str(s)) for i, s in calls),
        context,
        limits or RunLimits(),
        _workspace_stamp(workspace),
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(cand: Candidate) -> CandidateRun:
        async with gate:
            return await _run_one(cand, job)

    return list(await asyncio.gather(*(one(c) for c in candidates)))


async def _run_one(candidate: Candidate, job: _Job) -> CandidateRun:
    start = time.perf_counter()
    located = locate(candidate, job.functions, job.context)
    if isinstance(located, str):
        kind, _, detail = located.partition(":")
        status = RunStatus.LOAD_ERROR if kind == "load" else RunStatus.MISSING_FUNCTION
        return CandidateRun(candidate.key, candidate.model, status, detail)
    _check_paths(candidate)
    key = _cache_key(candidate, located, job)
    cached = _CACHE.get(key)
    if cached is None:
        cached = await asyncio.to_thread(_execute, candidate, located, job)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = cached
    status, detail, outputs = cached
    return CandidateRun(
        candidate.key, candidate.model, status, detail, outputs, time.perf_counter() - start
    )


def _check_paths(candidate: Candidate) -> None:
    for rel in candidate.files:
        pure = PurePosixPath(rel.replace("\\", "/"))
        if not rel or pure.is_absolute() or ".." in pure.parts:
            raise InputError(f"candidate {candidate.key}: path {rel!r} leaves the workspace")


def _execute(candidate: Candidate, located: Sequence[str], job: _Job) -> Outcome:
    """Stage the candidate in a fresh sandbox and run the harness there (blocking)."""
    lim = job.limits
    output_chars = len(job.calls) * _LINE_CHARS + 65536
    box_limits = SandboxLimits(
        timeout_s=lim.timeout_s,
        cpu_s=int(lim.timeout_s) + 1,
        memory_mb=lim.memory_mb,
        network=False,
        max_output_chars=output_chars,
    )
    with Sandbox.create(job.workspace, box_limits) as box:
        for rel, text in candidate.files.items():
            body = job.context + "\n" + text if job.context and rel.endswith(".py") else text
            box.write_text(rel, body)
        nonce = secrets.token_hex(16)
        spec = {
            "nonce": nonce,
            "root": str(box.root),
            "targets": [[rel, name] for rel, name in zip(located, job.functions, strict=True)],
            "calls": [list(c) for c in job.calls],
            "per_input_s": lim.per_input_s,
            "memory_mb": lim.memory_mb,
            "cpu_s": int(lim.timeout_s) + 1,
            "fsize": max(1 << 20, output_chars),
        }
        job_file = box.tmp / f"agreement-{nonce}.json"
        job_file.write_text(json.dumps(spec), encoding="utf-8")
        argv = [lim.python, "-I", "-m", HARNESS, str(job_file)]
        result = box.run(argv, lim.timeout_s, env=_CHILD_ENV, memory_mb=lim.memory_mb)
        return parse_lines(result.stdout.splitlines(), nonce, len(job.calls), result.timed_out)


def parse_lines(lines: Sequence[str], nonce: str, n_calls: int, killed: bool) -> Outcome:
    """Turn the harness's lines into a status and one output per call."""
    outputs: dict[int, str] = {}
    finished = False
    for line in lines:
        parts = line.rstrip("\n").split("\t", 2)
        if parts[0] != nonce or len(parts) < 2:
            continue
        tag = parts[1]
        if tag == "load":
            return RunStatus.LOAD_ERROR, _json_text(parts[2] if len(parts) > 2 else ""), ()
        if tag == "missing":
            return RunStatus.MISSING_FUNCTION, "a target function is not callable", ()
        if tag == "done":
            finished = True
        elif tag.isdigit() and len(parts) == 3:
            outputs[int(tag)] = _json_text(parts[2])
    if not outputs and not finished and not killed:
        return (
            RunStatus.LOAD_ERROR,
            "the process ended before reporting a result (exit, crash or kill)",
            (),
        )
    gap = "!Timeout" if killed else "!Exited"
    return RunStatus.OK, "", tuple(outputs.get(i, gap) for i in range(n_calls))


def _json_text(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return "!Garbled"
    return value if isinstance(value, str) else "!Garbled"


def _cache_key(candidate: Candidate, targets: Sequence[str], job: _Job) -> str:
    lim = job.limits
    blob = json.dumps(
        [
            sorted(candidate.files.items()),
            list(targets),
            list(job.functions),
            [list(c) for c in job.calls],
            job.context,
            lim.per_input_s,
            lim.timeout_s,
            lim.memory_mb,
            job.stamp,
        ],
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _workspace_stamp(workspace: Path) -> str:
    parts = []
    for rel in workspace_python(workspace):
        try:
            st = (workspace / rel).stat()
        except OSError:
            continue
        parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
