"""Behavioural cross-check ("agreement") of candidate implementations from several models.

When a task changes or creates Python functions, passing the project's tests is weak
evidence: the tests are often a handful of examples. ``cross_check`` takes the candidate
files that several models wrote for the same task, derives extra inputs for the changed
functions (the literal arguments of calls in the tests, then seeded type-preserving
mutations, see ``escalator.validate.inputs``), runs every candidate on every input in a
separate ``python3 -I`` subprocess with CPU, memory and wall-clock limits, and clusters
candidates by their output vectors. Independent models that behave identically on inputs
nobody showed them are evidence of a correct answer; a lone or contradicted candidate is
a reason to keep escalating. ``decide`` turns a report into that accept/escalate policy.

Where it does not apply (no Python function changed, no literal call to a changed function
in the tests) the report says ``applicable=False`` with the reason: never a pass.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from escalator.errors import InputError
from escalator.validate.inputs import CallArgs, generate_inputs, literal_calls

__all__ = [
    "AgreementDecision",
    "AgreementReport",
    "Candidate",
    "CandidateRun",
    "Cluster",
    "Compare",
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

_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__"})
_MAX_STAGED_FILES = 3000
_MAX_TEST_FILES = 200
_CACHE_SIZE = 20000


@dataclass(frozen=True)
class Candidate:
    """One model's answer: rel path -> full new content of the changed Python files."""

    key: str
    model: str
    files: Mapping[str, str]


class RunStatus(StrEnum):
    """How a candidate's run went as a whole (per-input failures are outputs, not statuses)."""

    OK = "ok"
    LOAD_ERROR = "load_error"  # the module did not parse or raised while importing
    MISSING_FUNCTION = "missing_function"  # a target function is not defined


class Compare(StrEnum):
    """Which inputs take part in the comparison.

    ``STRICT``: every input; an exception's type name is an output like any other.
    ``DEFINED``: the tests' own calls, plus the inputs on which at least half the runnable
    candidates return a value, so inputs outside the function's domain (where correct
    versions may legitimately raise different errors or time out) do not split correct
    candidates apart.
    """

    STRICT = "strict"
    DEFINED = "defined"


@dataclass(frozen=True)
class RunLimits:
    """Limits for one candidate's subprocess."""

    timeout_s: float = 10.0  # wall clock for the whole candidate
    per_input_s: float = 1.0
    memory_mb: int = 2048
    python: str = sys.executable


@dataclass(frozen=True)
class CandidateRun:
    """One candidate's outputs: ``"=<value>"``, ``"!<ExceptionType>"``, ``"!Timeout"``."""

    key: str
    model: str
    status: RunStatus
    detail: str = ""
    outputs: tuple[str, ...] = ()
    wall_s: float = 0.0

    @property
    def runnable(self) -> bool:
        return self.status is RunStatus.OK


@dataclass(frozen=True)
class Cluster:
    """Candidates with identical outputs on the compared inputs."""

    keys: tuple[str, ...]
    models: tuple[str, ...]  # distinct, in order of first appearance
    signature: str

    @property
    def support(self) -> int:
        """Number of distinct models in the cluster."""
        return len(self.models)

    def score(self, weights: Mapping[str, float] | None = None) -> float:
        """Sum of the distinct models' weights (1 each without weights)."""
        if weights is None:
            return float(len(self.models))
        return sum(weights.get(m, 1.0) for m in self.models)


@dataclass(frozen=True)
class AgreementReport:
    """The result of a cross-check; ``applicable=False`` says why nothing was compared."""

    applicable: bool
    reason: str
    functions: tuple[str, ...] = ()
    inputs: int = 0
    compared: int = 0
    clusters: list[Cluster] = field(default_factory=list)
    runs: tuple[CandidateRun, ...] = ()
    calls: tuple[str, ...] = ()
    compared_indices: tuple[int, ...] = ()

    def cluster_of(self, key: str) -> Cluster | None:
        """The cluster holding candidate ``key``; None when it did not run."""
        return next((c for c in self.clusters if key in c.keys), None)

    def support(self, key: str) -> int:
        """Number of distinct models whose candidates agree with ``key`` (itself included)."""
        cluster = self.cluster_of(key)
        return cluster.support if cluster else 0

    def best(
        self,
        *,
        weights: Mapping[str, float] | None = None,
        rank: Mapping[str, float] | None = None,
    ) -> Cluster | None:
        """The chosen cluster: highest weight, then strongest model (``rank``), then size."""
        if not self.clusters:
            return None
        ranks = rank or {}
        return max(
            self.clusters,
            key=lambda c: (
                round(c.score(weights), 9),
                max(ranks.get(m, 0.0) for m in c.models),
                len(c.keys),
            ),
        )

    def run_of(self, key: str) -> CandidateRun | None:
        return next((r for r in self.runs if r.key == key), None)

    def differences(self, key: str, other: Cluster, *, limit: int = 3) -> list[str]:
        """Example calls where ``key`` and the ``other`` cluster behave differently."""
        mine, theirs = self.run_of(key), self.run_of(other.keys[0])
        if mine is None or theirs is None or not (mine.runnable and theirs.runnable):
            return []
        out = []
        for i in self.compared_indices:
            if mine.outputs[i] != theirs.outputs[i]:
                out.append(
                    f"{self.calls[i]}: this gives {_show(mine.outputs[i])}, "
                    f"{', '.join(other.models)} give {_show(theirs.outputs[i])}"
                )
                if len(out) >= limit:
                    break
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no outputs, which can be large)."""
        return {
            "applicable": self.applicable,
            "reason": self.reason,
            "functions": list(self.functions),
            "inputs": self.inputs,
            "compared": self.compared,
            "clusters": [
                {"keys": list(c.keys), "models": list(c.models), "signature": c.signature}
                for c in self.clusters
            ],
            "failed": {r.key: f"{r.status.value}: {r.detail}" for r in self.runs if not r.runnable},
        }


def _show(output: str) -> str:
    text = output[1:] if output.startswith("=") else f"an exception ({output[1:]})"
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class AgreementDecision:
    """What the policy says about one candidate."""

    accept: bool
    reason: str
    confidence: float
    applicable: bool = True
    support: int = 0
    deferred: bool = False  # the engine postponed the decision (more free models to hear)


# --------------------------------------------------------------------------- targets


def _defined_functions(source: str) -> set[str] | None:
    """Top-level ``def`` names in a module; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _python_files(files: Mapping[str, str]) -> dict[str, str]:
    return {p: t for p, t in files.items() if p.endswith(".py")}


def find_targets(
    candidates: Sequence[Candidate],
    test_sources: Sequence[str],
    functions: Sequence[str] | None = None,
) -> dict[str, list[CallArgs]]:
    """Target function -> literal call sites in the tests (only functions with some)."""
    if functions is None:
        names: set[str] = set()
        for cand in candidates:
            for rel, text in _python_files(cand.files).items():
                if not _is_test_path(rel):
                    names |= _defined_functions(text) or set()
        functions = sorted(n for n in names if not n.startswith("test"))
    seeds: dict[str, list[CallArgs]] = {}
    for name in functions:
        calls = [c for src in test_sources for c in literal_calls(src, name)]
        if calls:
            unique = {c.to_source(): c for c in calls}
            seeds[name] = list(unique.values())
    return seeds


def _is_test_path(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _walk_python(root: Path) -> Iterator[str]:
    """Relative paths of the ``.py`` files under ``root``, skipping tool/vendor dirs."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield str(Path(dirpath, name).relative_to(root).as_posix())


def _test_sources(
    workspace: Path, candidates: Sequence[Candidate], test_files: Sequence[str]
) -> list[str]:
    """Texts of the test files: each candidate's version, else the workspace's."""
    if test_files:
        wanted = list(test_files)
    else:
        found = [p for p in _walk_python(workspace) if _is_test_path(p)]
        found += [p for c in candidates for p in c.files if _is_test_path(p)]
        wanted = list(dict.fromkeys(found))[:_MAX_TEST_FILES]
    texts: list[str] = []
    for rel in wanted:
        versions = {c.files[rel] for c in candidates if rel in c.files}
        path = workspace / rel
        if not versions and path.is_file():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                versions.add(path.read_text(encoding="utf-8"))
        texts.extend(sorted(versions))
    return texts


# --------------------------------------------------------------------------- running


def _locate(candidate: Candidate, functions: Sequence[str], context: str) -> list[str] | str:
    """Per target function, the changed file that defines it; or an error text."""
    defined: dict[str, str] = {}
    for rel, text in sorted(_python_files(candidate.files).items()):
        if _is_test_path(rel):
            continue
        names = _defined_functions(context + "\n" + text)
        if names is None:
            return f"load:{rel} does not parse"
        for name in names:
            defined.setdefault(name, rel)
    missing = [f for f in functions if f not in defined]
    if missing:
        return "missing:" + ", ".join(missing)
    return [defined[f] for f in functions]


def _stage(workspace: Path, candidate: Candidate, context: str, dest: Path) -> None:
    """Copy the workspace's Python files, then write the candidate's files over them."""
    for count, rel in enumerate(_walk_python(workspace)):
        if count >= _MAX_STAGED_FILES:
            break
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            target.write_bytes((workspace / rel).read_bytes())
    for rel, text in candidate.files.items():
        target = dest / rel
        if not target.resolve().is_relative_to(dest.resolve()):
            raise InputError(f"candidate {candidate.key}: path {rel!r} leaves the workspace")
        target.parent.mkdir(parents=True, exist_ok=True)
        body = context + "\n" + text if context and rel.endswith(".py") else text
        target.write_text(body, encoding="utf-8")


def _child_env() -> dict[str, str]:
    """An almost empty environment: no keys, tokens or user configuration."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _spawn(job: dict[str, Any], cwd: Path, limits: RunLimits) -> tuple[list[str], bool]:
    """Run the harness; return its stdout lines and whether the wall clock killed it."""
    harness = cwd.parent / "_harness.py"
    harness.write_text(_HARNESS, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        limits.python,
        "-I",
        str(harness),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=str(cwd),
        env=_child_env(),
        start_new_session=True,
        limit=1 << 20,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdout = proc.stdout
    lines: list[str] = []

    async def read_all() -> None:
        proc.stdin.write(json.dumps(job).encode())  # type: ignore[union-attr]
        with contextlib.suppress(ConnectionError):
            await proc.stdin.drain()  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        while line := await stdout.readline():
            lines.append(line.decode("utf-8", "replace"))

    killed = False
    try:
        await asyncio.wait_for(read_all(), limits.timeout_s)
    except (TimeoutError, ValueError, asyncio.LimitOverrunError):
        killed = True
    finally:
        _kill_group(proc.pid)
        await proc.wait()
    return lines, killed


def _parse(
    lines: Sequence[str], nonce: str, n_calls: int, killed: bool
) -> tuple[RunStatus, str, tuple[str, ...]]:
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


_CACHE: dict[str, tuple[RunStatus, str, tuple[str, ...]]] = {}


def _cache_key(
    candidate: Candidate,
    targets: Sequence[str],
    functions: Sequence[str],
    calls: Sequence[tuple[int, str]],
    context: str,
    limits: RunLimits,
    workspace_stamp: str,
) -> str:
    blob = json.dumps(
        [
            sorted(candidate.files.items()),
            list(targets),
            list(functions),
            list(calls),
            context,
            limits.per_input_s,
            limits.timeout_s,
            limits.memory_mb,
            workspace_stamp,
        ],
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _workspace_stamp(workspace: Path) -> str:
    parts = []
    for rel in _walk_python(workspace):
        with contextlib.suppress(OSError):
            st = (workspace / rel).stat()
            parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


async def _run_one(
    candidate: Candidate,
    *,
    workspace: Path,
    functions: Sequence[str],
    calls: Sequence[tuple[int, str]],
    context: str,
    limits: RunLimits,
    stamp: str,
) -> CandidateRun:
    start = time.perf_counter()
    located = _locate(candidate, functions, context)
    if isinstance(located, str):
        kind, _, detail = located.partition(":")
        status = RunStatus.LOAD_ERROR if kind == "load" else RunStatus.MISSING_FUNCTION
        return CandidateRun(candidate.key, candidate.model, status, detail)
    key = _cache_key(candidate, located, functions, calls, context, limits, stamp)
    cached = _CACHE.get(key)
    if cached is None:
        cached = await _execute(candidate, located, functions, calls, context, limits, workspace)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = cached
    status, detail, outputs = cached
    return CandidateRun(
        candidate.key, candidate.model, status, detail, outputs, time.perf_counter() - start
    )


async def _execute(
    candidate: Candidate,
    located: Sequence[str],
    functions: Sequence[str],
    calls: Sequence[tuple[int, str]],
    context: str,
    limits: RunLimits,
    workspace: Path,
) -> tuple[RunStatus, str, tuple[str, ...]]:
    with tempfile.TemporaryDirectory(prefix="escalator-agree-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        _stage(workspace, candidate, context, root)
        nonce = secrets.token_hex(16)
        job = {
            "nonce": nonce,
            "root": str(root),
            "targets": [[rel, name] for rel, name in zip(located, functions, strict=True)],
            "calls": [list(c) for c in calls],
            "per_input_s": limits.per_input_s,
            "memory_mb": limits.memory_mb,
            "cpu_s": int(limits.timeout_s) + 1,
        }
        lines, killed = await _spawn(job, root, limits)
        return _parse(lines, nonce, len(calls), killed)


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
    lim = limits or RunLimits()
    stamp = _workspace_stamp(workspace)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(cand: Candidate) -> CandidateRun:
        async with gate:
            return await _run_one(
                cand,
                workspace=workspace,
                functions=functions,
                calls=calls,
                context=context,
                limits=lim,
                stamp=stamp,
            )

    return list(await asyncio.gather(*(one(c) for c in candidates)))


# --------------------------------------------------------------------------- clustering


def _compared_indices(
    runs: Sequence[CandidateRun], n_calls: int, compare: Compare, always: Collection[int]
) -> list[int]:
    ok = [r for r in runs if r.runnable]
    if compare is Compare.STRICT or not ok:
        return list(range(n_calls))
    return [
        i
        for i in range(n_calls)
        if i in always or 2 * sum(r.outputs[i].startswith("=") for r in ok) >= len(ok)
    ]


def build_report(
    runs: Sequence[CandidateRun],
    *,
    functions: Sequence[str],
    calls: Sequence[str],
    compare: Compare = Compare.DEFINED,
    seeds: Collection[int] = (),
) -> AgreementReport:
    """Cluster runs by their outputs on the compared inputs (a pure function).

    ``seeds``: indices of the calls taken from the tests, always compared.
    """
    indices = _compared_indices(runs, len(calls), compare, frozenset(seeds))
    groups: dict[str, list[CandidateRun]] = {}
    for run in runs:
        if run.runnable:
            digest = hashlib.sha256("\x00".join(run.outputs[i] for i in indices).encode())
            groups.setdefault(digest.hexdigest()[:16], []).append(run)
    clusters = [
        Cluster(
            keys=tuple(r.key for r in members),
            models=tuple(dict.fromkeys(r.model for r in members)),
            signature=sig,
        )
        for sig, members in groups.items()
    ]
    clusters.sort(key=lambda c: (-c.support, -len(c.keys)))
    runnable = sum(r.runnable for r in runs)
    reason = (
        f"{runnable} of {len(runs)} candidates ran; {len(clusters)} behaviour(s) "
        f"on {len(indices)} compared inputs"
    )
    return AgreementReport(
        applicable=True,
        reason=reason,
        functions=tuple(functions),
        inputs=len(calls),
        compared=len(indices),
        clusters=clusters,
        runs=tuple(runs),
        calls=tuple(calls),
        compared_indices=tuple(indices),
    )


def not_applicable(reason: str, runs: Sequence[CandidateRun] = ()) -> AgreementReport:
    """A report that compared nothing, saying why."""
    return AgreementReport(applicable=False, reason=f"not applicable: {reason}", runs=tuple(runs))


async def cross_check(
    *,
    workspace: Path,
    candidates: Sequence[Candidate],
    test_files: Sequence[str] = (),
    functions: Sequence[str] | None = None,
    timeout_s: float = 10,
    max_inputs: int = 60,
    context: str = "",
    per_input_s: float = 1.0,
    compare: Compare = Compare.DEFINED,
    seed: int = 0,
    concurrency: int = 2,
) -> AgreementReport:
    """Run the candidates on inputs derived from the tests and cluster them by behaviour.

    ``max_inputs`` is per target function; ``timeout_s`` is the wall clock per candidate.
    """
    if not candidates:
        return not_applicable("no candidates to compare")
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise InputError("cross_check: candidate keys must be unique")
    if not any(_python_files(c.files) for c in candidates):
        return not_applicable("no candidate changes a Python file")
    sources = _test_sources(workspace, candidates, test_files)
    seeds = find_targets(candidates, sources, functions)
    if not seeds:
        return not_applicable(_why_no_targets(functions, sources))
    names = sorted(seeds)
    inputs = {n: generate_inputs(seeds[n], max_inputs=max_inputs, seed=seed) for n in names}
    calls = [(i, a.to_source()) for i, n in enumerate(names) for a in inputs[n]]
    seed_texts = {(i, a.to_source()) for i, n in enumerate(names) for a in seeds[n]}
    seed_indices = [k for k, call in enumerate(calls) if call in seed_texts]
    described = [a.describe(n) for n in names for a in inputs[n]]
    limits = RunLimits(timeout_s=timeout_s, per_input_s=min(per_input_s, timeout_s))
    runs = await run_candidates(
        candidates,
        workspace=workspace,
        functions=names,
        calls=calls,
        context=context,
        limits=limits,
        concurrency=concurrency,
    )
    return build_report(runs, functions=names, calls=described, compare=compare, seeds=seed_indices)


def _why_no_targets(functions: Sequence[str] | None, sources: Sequence[str]) -> str:
    if not sources:
        return "no test files found to take inputs from (pass test_files)"
    if functions:
        return f"the tests make no call with literal arguments to {', '.join(functions)}"
    return "the tests make no call with literal arguments to a function the candidates define"


# --------------------------------------------------------------------------- policy


def decide(
    report: AgreementReport,
    candidate_key: str,
    *,
    min_agree: int = 2,
    trusted: Collection[str] = (),
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
    final: bool = False,
) -> AgreementDecision:
    """Accept ``candidate_key`` (which already passed the other validators) or escalate.

    Accept when its cluster is the best one and holds at least ``min_agree`` distinct
    models; or when its model is ``trusted`` and no other cluster of ``min_agree`` models
    contradicts it; or, with ``final`` (the end of the chain), when its cluster is the best.
    """
    if not report.applicable:
        return AgreementDecision(False, report.reason, 0.0, applicable=False)
    cluster = report.cluster_of(candidate_key)
    run = report.run_of(candidate_key)
    if cluster is None or run is None:
        detail = f"{run.status.value}: {run.detail}" if run else "unknown candidate"
        return AgreementDecision(False, f"candidate did not run ({detail})", 0.0)
    best = report.best(weights=weights, rank=rank)
    total = sum(c.score(weights) for c in report.clusters) or 1.0
    confidence = round(cluster.score(weights) / total, 4)
    support = cluster.support
    agree = f"{support} model(s) ({', '.join(cluster.models)}) agree on {report.compared} inputs"
    if best is cluster and support >= min_agree:
        return AgreementDecision(True, agree, confidence, support=support)
    rival = _strong_rival(report, cluster, min_agree, weights)
    if run.model in trusted and rival is None:
        return AgreementDecision(True, f"trusted model; {agree}", confidence, support=support)
    if final and best is cluster:
        return AgreementDecision(
            True, f"end of chain, best cluster; {agree}", confidence, support=support
        )
    return AgreementDecision(
        False,
        _escalate_reason(report, candidate_key, cluster, best, min_agree),
        confidence,
        support=support,
    )


def _strong_rival(
    report: AgreementReport, cluster: Cluster, min_agree: int, weights: Mapping[str, float] | None
) -> Cluster | None:
    for other in report.clusters:
        if (
            other is not cluster
            and other.support >= min_agree
            and other.score(weights) >= cluster.score(weights)
        ):
            return other
    return None


def _escalate_reason(
    report: AgreementReport, key: str, cluster: Cluster, best: Cluster | None, min_agree: int
) -> str:
    if best is None or best is cluster:
        return f"only {cluster.support} model(s) agree; {min_agree} needed"
    diffs = report.differences(key, best, limit=2)
    detail = "; ".join(diffs) if diffs else "different outputs"
    return f"disagrees with {best.support} model(s): {detail}"


def choose(
    report: AgreementReport,
    *,
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
) -> str | None:
    """The candidate to keep at the end of the chain: the strongest model's in the best cluster."""
    best = report.best(weights=weights, rank=rank)
    if best is None:
        return None
    ranks = rank or {}
    runs = {r.key: r for r in report.runs}
    return max(best.keys, key=lambda k: (ranks.get(runs[k].model, 0.0), -best.keys.index(k)))


def decide_best(
    report: AgreementReport,
    *,
    min_agree: int = 2,
    trusted: Collection[str] = (),
    weights: Mapping[str, float] | None = None,
    rank: Mapping[str, float] | None = None,
    final: bool = False,
) -> tuple[str | None, AgreementDecision]:
    """Decide on the pool's best candidate (``choose``) rather than the newest one.

    For the end of a tier, e.g. after every free local model has answered: accept the best
    cluster if it holds ``min_agree`` models, before paying for the next model.
    """
    key = choose(report, weights=weights, rank=rank)
    if key is None:
        reason = report.reason if not report.applicable else "no candidate ran"
        return None, AgreementDecision(False, reason, 0.0, applicable=report.applicable)
    decision = decide(
        report, key, min_agree=min_agree, trusted=trusted, weights=weights, rank=rank, final=final
    )
    return key, decision


# The child-side runner, written to a temp dir and run as ``python3 -I _harness.py``.
_HARNESS = r'''"""Child-side runner of the agreement validator.

It reads one JSON job from stdin, sets resource limits, silences fd 1/2 (keeping a
private copy of stdout for results), disables process-killing and file-deleting calls,
loads the candidate's modules and calls each target function once per input, with a
per-input timer. Each result is one line ``NONCE<TAB>index<TAB>json`` written as soon
as it is known, so a crash, ``os._exit`` or a kill keeps the results so far. The nonce
only stops accidental output from being read as a result; this is not a security boundary.
"""

import ast
import builtins
import hashlib
import importlib.util
import json
import os
import resource
import signal
import sys

MAX_REPR = 2000


class InputTimeout(BaseException):
    """Raised by the per-input timer; a BaseException so `except Exception` won't hide it."""


def set_limits(job):
    mem = int(job["memory_mb"]) * 1024 * 1024
    cpu = int(job["cpu_s"])
    for res, soft, hard in (
        (resource.RLIMIT_AS, mem, mem),
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_FSIZE, 1 << 20, 1 << 20),
        (resource.RLIMIT_CORE, 0, 0),
    ):
        try:
            resource.setrlimit(res, (soft, hard))
        except (ValueError, OSError):
            pass


def guard():
    import shutil
    import subprocess

    os.environ.clear()
    builtins.exit = None
    builtins.quit = None
    # Not putenv/unsetenv/chmod: numpy and friends call them while importing.
    for name in (
        "system", "kill", "killpg", "fork", "forkpty", "remove", "unlink", "removedirs",
        "rmdir", "rename", "renames", "replace", "truncate", "fchdir", "setuid", "execv",
        "execve", "execvp", "execvpe", "spawnv", "spawnve", "posix_spawn", "posix_spawnp",
    ):
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    subprocess.Popen = None


def norm(x, depth=0):
    """A canonical text for a value: equal under == (mostly) -> equal text."""
    if depth > 30:
        return "..."
    if x is None or isinstance(x, bool):
        return repr(x)
    if isinstance(x, int):
        try:
            return repr(x)
        except ValueError:
            return (
                "int#"
                + hashlib.sha256(
                    x.to_bytes((x.bit_length() + 8) // 8, "big", signed=True)
                ).hexdigest()[:16]
            )
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return repr(x)
        if x == int(x) and abs(x) < 1e15:
            return repr(int(x))
        return format(x, ".10g")
    if isinstance(x, (str, bytes, complex)):
        return repr(x)
    if isinstance(x, list):
        return "[" + ",".join(norm(v, depth + 1) for v in x) + "]"
    if isinstance(x, tuple):
        return "(" + ",".join(norm(v, depth + 1) for v in x) + ",)"
    if isinstance(x, dict):
        items = sorted(norm(k, depth + 1) + ":" + norm(v, depth + 1) for k, v in x.items())
        return "{" + ",".join(items) + "}"
    if isinstance(x, (set, frozenset)):
        return "set{" + ",".join(sorted(norm(v, depth + 1) for v in x)) + "}"
    return norm_other(x, depth)


def norm_other(x, depth):
    if hasattr(x, "tolist") and callable(x.tolist):  # numpy arrays and scalars
        try:
            return norm(x.tolist(), depth + 1)
        except Exception:
            pass
    try:
        text = repr(x)
    except Exception:
        return "<" + type(x).__name__ + ">"
    if " at 0x" in text:
        return "<" + type(x).__name__ + ">"
    return text


def module_name(rel):
    parts = rel[:-3].split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and all(p.isidentifier() for p in parts):
        return ".".join(parts)
    return None


def load(root, rel):
    path = os.path.join(root, rel)
    name = module_name(rel) or "__candidate__"
    if name == "__main__":
        name = "__candidate__"
    search = [os.path.dirname(path)] if rel.endswith("__init__.py") else None
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def on_alarm(signum, frame):
    raise InputTimeout()


def call_one(fn, source, per_input_s):
    args, kwargs = ast.literal_eval(source)
    signal.setitimer(signal.ITIMER_REAL, per_input_s)
    try:
        text = "=" + norm(fn(*args, **kwargs))
    except InputTimeout:
        return "!Timeout"
    except BaseException as exc:  # SystemExit, KeyboardInterrupt, RecursionError...
        return "!" + type(exc).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if len(text) > MAX_REPR:
        text = "#" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:24]
    return text


def main():
    job = json.loads(sys.stdin.read())
    nonce = job["nonce"]
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    write = out.write
    flush = out.flush

    def emit(*fields):
        write(nonce + "\t" + "\t".join(fields) + "\n")
        flush()

    set_limits(job)
    root = job["root"]
    sys.path[:0] = [root, os.path.join(root, "src")] + job.get("extra_path", [])
    os.chdir(root)
    signal.signal(signal.SIGALRM, on_alarm)
    guard()
    functions = []
    try:
        modules = {}
        for rel, name in job["targets"]:
            if rel not in modules:
                modules[rel] = load(root, rel)
            functions.append(getattr(modules[rel], name, None))
    except BaseException as exc:
        emit("load", json.dumps(type(exc).__name__ + ": " + str(exc)[:300]))
        os._exit(0)
    for index, fn in enumerate(functions):
        if not callable(fn):
            emit("missing", str(index))
            os._exit(0)
    for index, (target, source) in enumerate(job["calls"]):
        emit(str(index), json.dumps(call_one(functions[target], source, job["per_input_s"])))
    emit("done")
    os._exit(0)


main()
'''
