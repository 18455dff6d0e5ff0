"""Compile/typecheck validator: one command per language found among the files.

Defaults (override per project with ``[validation.compile_commands] <language> = "..."``,
where ``{files}`` expands to the quoted files of that language and ``{python}`` to this
interpreter, e.g. ``python = "{python} -m py_compile {files} && {python} -m mypy {files}"``):

=========== =====================================================================
python      ``python -m py_compile FILES``
javascript  ``node --check FILE`` for each file
typescript  ``tsc --noEmit`` (``-p .`` with a tsconfig.json, else the files)
go          ``go build ./... && go vet ./...`` (needs go.mod)
rust        ``cargo check`` with a Cargo.toml, else ``rustc --emit=metadata`` per file
java        ``javac -d $TMPDIR/classes FILES`` (JVM sized to fit RLIMIT_AS)
c / cpp     ``gcc -fsyntax-only`` / ``g++ -fsyntax-only``
=========== =====================================================================

A missing toolchain gives ``error`` naming what to install, never ``passed``.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from escalator.config import ValidationConfig
from escalator.languages import compile_language, compile_suffixes
from escalator.sandbox import RunResult, Sandbox
from escalator.validate.feedback import findings_feedback, tail
from escalator.validate.missing import missing_tool
from escalator.validate.verdict import Finding, Status, Verdict
from escalator.workspace import walk_files

__all__ = ["COMPILE_LANGUAGES", "CompileCommand", "check_compile", "plan_commands"]

COMPILE_LANGUAGES: dict[str, tuple[str, ...]] = compile_suffixes()

_INSTALL_HINTS = {
    "tsc": "install TypeScript (npm install -D typescript, or `make tools`)",
    "node": "install Node.js",
    "go": "install Go (https://go.dev/dl/)",
    "cargo": "install Rust with rustup (https://rustup.rs)",
    "rustc": "install Rust with rustup (https://rustup.rs)",
    "javac": "install a JDK (e.g. apt install default-jdk-headless)",
    "gcc": "install gcc (e.g. apt install build-essential)",
    "g++": "install g++ (e.g. apt install build-essential)",
}

_JAVAC = (
    "javac -J-Xmx512m -J-XX:CompressedClassSpaceSize=64m -J-XX:ReservedCodeCacheSize=64m "
    '-J-XX:+UseSerialGC -d "$TMPDIR/classes"'
)

_GENERIC = re.compile(
    r"^(?P<file>[^\s:(][^:\n(]*\.\w+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*"
    r"(?:(?P<sev>fatal error|error|warning|note)(?:\[\w+\])?:)?\s*(?P<msg>.*)$",
    re.MULTILINE,
)
_TSC = re.compile(
    r"^(?P<file>[^\s(][^(\n]*)\((?P<line>\d+),(?P<col>\d+)\): (?P<sev>error|warning) (?P<msg>.*)$",
    re.MULTILINE,
)
_PYTHON = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_NODE = re.compile(r"^(?P<file>[^\s:]+\.[cm]?js):(?P<line>\d+)$", re.MULTILINE)
_ERROR_LINE = re.compile(r"^\s*(\w*(?:Error|Exception)\b.*)$", re.MULTILINE)


@dataclass(frozen=True)
class CompileCommand:
    """A shell command that checks one language's files, and the program it needs."""

    language: str
    command: str
    program: str


def _language_files(sandbox: Sandbox, files: Sequence[str]) -> dict[str, list[str]]:
    rels = list(files) or list(walk_files(sandbox.root))
    by_lang: dict[str, list[str]] = {}
    for rel in rels:
        lang = compile_language(rel)
        if lang is not None and (sandbox.root / rel).is_file():
            by_lang.setdefault(lang, []).append(rel)
    return by_lang


def _quoted(files: Sequence[str]) -> str:
    return " ".join(shlex.quote(f) for f in files)


def _default_command(sandbox: Sandbox, lang: str, files: Sequence[str]) -> CompileCommand:
    q = _quoted(files)
    root = sandbox.root
    if lang == "python":
        return CompileCommand(lang, f"{shlex.quote(sys.executable)} -m py_compile {q}", "python")
    if lang == "javascript":
        loop = 'rc=0; for f in "$@"; do node --check "$f" || rc=1; done; exit $rc'
        return CompileCommand(lang, f"sh -c {shlex.quote(loop)} sh {q}", "node")
    if lang == "typescript":
        target = "-p ." if (root / "tsconfig.json").is_file() else q
        tsc = shlex.quote(sandbox.which("tsc") or "tsc")
        return CompileCommand(lang, f"{tsc} --noEmit --pretty false {target}", "tsc")
    if lang == "go":
        return CompileCommand(lang, "go build ./... && go vet ./...", "go")
    if lang == "rust":
        if (root / "Cargo.toml").is_file():
            return CompileCommand(
                lang, "cargo check --offline --quiet --message-format short", "cargo"
            )
        loop = (
            'rc=0; for f in "$@"; do rustc --edition 2021 --crate-type lib '
            '--error-format short --emit=metadata -o "$TMPDIR/rmeta" "$f" || rc=1; done; exit $rc'
        )
        return CompileCommand(lang, f"sh -c {shlex.quote(loop)} sh {q}", "rustc")
    if lang == "java":
        return CompileCommand(lang, f'mkdir -p "$TMPDIR/classes" && {_JAVAC} {q}', "javac")
    compiler = "gcc" if lang == "c" else "g++"
    return CompileCommand(lang, f"{compiler} -fsyntax-only {q}", compiler)


def plan_commands(
    sandbox: Sandbox, files: Sequence[str], cfg: ValidationConfig
) -> list[CompileCommand]:
    """The commands to run for the languages present among ``files``."""
    plans = []
    for lang, lang_files in sorted(_language_files(sandbox, files).items()):
        custom = cfg.compile_commands.get(lang)
        if custom is None:
            plans.append(_default_command(sandbox, lang, lang_files))
            continue
        command = custom.replace("{files}", _quoted(lang_files)).replace(
            "{python}", shlex.quote(sys.executable)
        )
        plans.append(CompileCommand(lang, command, _program_of(command)))
    return plans


def _program_of(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        return ""
    for word in words:
        if "=" not in word:
            return word
    return ""


def _missing_program(sandbox: Sandbox, plan: CompileCommand) -> str | None:
    if not plan.program or plan.program in ("python", sys.executable):
        return None
    if "/" in plan.program:
        return None if sandbox.which(plan.program) or plan.program.startswith("$") else plan.program
    return None if sandbox.which(plan.program) else plan.program


def parse_diagnostics(output: str, root: str) -> list[Finding]:
    """Locations and messages from compiler output (gcc, javac, tsc, mypy, rustc, python)."""
    text = output.replace(root.rstrip("/") + "/", "")
    found: list[Finding] = []
    for m in _TSC.finditer(text):
        found.append(_mk(m.group("file"), m.group("line"), m.group("col"), m.group("msg"), "error"))
    for m in _GENERIC.finditer(text):
        sev = (m.group("sev") or "error").replace("fatal error", "error")
        if sev != "note":
            found.append(_mk(m.group("file"), m.group("line"), m.group("col"), m.group("msg"), sev))
    errors = _ERROR_LINE.findall(text)
    for i, m in enumerate(list(_PYTHON.finditer(text)) + list(_NODE.finditer(text))):
        message = errors[i] if i < len(errors) else "error"
        found.append(_mk(m.group("file"), m.group("line"), None, message, "error"))
    return found


def _mk(file: str, line: str, col: str | None, msg: str, sev: str) -> Finding:
    path = file.strip().removeprefix("./")
    return Finding(msg.strip() or sev, path, int(line), int(col) if col else None, sev)


def _run_one(sandbox: Sandbox, plan: CompileCommand, cfg: ValidationConfig) -> Verdict | None:
    """None when the command passed; otherwise its failed/error verdict."""
    missing = _missing_program(sandbox, plan)
    if missing:
        hint = _INSTALL_HINTS.get(missing, f"install {missing} or put it on PATH")
        return Verdict.error(
            "compile",
            f"{plan.language}: '{missing}' not found; {hint}, or set "
            f"validation.compile_commands.{plan.language}",
            language=plan.language,
        )
    result = sandbox.run(plan.command)
    if result.ok:
        return None
    return _failure(sandbox, plan, result, cfg)


def _failure(
    sandbox: Sandbox, plan: CompileCommand, result: RunResult, cfg: ValidationConfig
) -> Verdict:
    details = {"language": plan.language, "command": plan.command, "exit_code": result.exit_code}
    if result.timed_out:
        return Verdict.error(
            "compile", f"{plan.language}: the check timed out ({result.limits_note})", **details
        )
    missing = missing_tool(plan.command, result.exit_code, result.output)
    if missing is not None:
        return Verdict.error(
            "compile",
            f"{plan.language}: could not run the check: {missing}, or set "
            f"validation.compile_commands.{plan.language}",
            **details,
        )
    findings = [
        f for f in parse_diagnostics(result.output, str(sandbox.root)) if f.severity == "error"
    ]
    sources = {f.file: sandbox.read_text(f.file) or "" for f in findings[:5] if f.file}
    header = f"The {plan.language} check failed (exit {result.exit_code}): {plan.command}"
    if findings:
        feedback = findings_feedback(
            header,
            findings,
            {k: v for k, v in sources.items() if v},
            advice="Fix these compile/type errors.",
            limit=cfg.feedback_chars,
        )
    else:
        feedback = header + "\n" + tail(result.output.strip(), cfg.feedback_chars - len(header))
    return Verdict(
        "compile",
        Status.FAILED,
        1.0,
        result.duration_ms,
        tuple(findings),
        feedback,
        details=details,
    )


def check_compile(sandbox: Sandbox, files: Sequence[str], cfg: ValidationConfig) -> Verdict:
    """Run each language's check in the sandbox; the first failure decides."""
    start = time.perf_counter()
    plans = plan_commands(sandbox, files, cfg)
    if not plans:
        return Verdict.skipped("compile", "no files of a language with a compile check")
    for plan in plans:
        bad = _run_one(sandbox, plan, cfg)
        if bad is not None:
            return bad.with_duration((time.perf_counter() - start) * 1000)
    ms = (time.perf_counter() - start) * 1000
    langs = [p.language for p in plans]
    return Verdict("compile", Status.PASSED, 1.0, ms, details={"languages": langs})
