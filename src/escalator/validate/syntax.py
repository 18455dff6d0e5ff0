"""Syntax validator: tree-sitter grammars chosen by file extension.

Every ERROR and MISSING node is reported with its 1-based line and column (the outermost
ERROR node of a region, not the fragments inside it; at most 20 per file). Parsers are
built once per language and reused.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Sequence
from pathlib import Path

import tree_sitter

from escalator.languages import FILE_TYPES, grammar_for
from escalator.validate.feedback import findings_feedback
from escalator.validate.verdict import Finding, Status, Verdict
from escalator.workspace import walk_files

__all__ = ["LANGUAGE_BY_EXTENSION", "check_syntax", "language_for", "syntax_findings"]

# extension -> (grammar module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "bash": ("tree_sitter_bash", "language"),
    "json": ("tree_sitter_json", "language"),
    "yaml": ("tree_sitter_yaml", "language"),
    "toml": ("tree_sitter_toml", "language"),
}

LANGUAGE_BY_EXTENSION: dict[str, str] = {
    ext: row.grammar for ext, row in FILE_TYPES.items() if row.grammar is not None
}

MAX_FINDINGS_PER_FILE = 20
_ADVICE = "Fix the syntax errors above; keep the rest of the file unchanged."


def language_for(path: str) -> str | None:
    """The grammar name for a file name, or None when no grammar is installed for it."""
    return grammar_for(path)


@functools.cache
def _parser(language: str) -> tree_sitter.Parser:
    module_name, func = _GRAMMARS[language]
    module = importlib.import_module(module_name)
    return tree_sitter.Parser(tree_sitter.Language(getattr(module, func)()))


def syntax_findings(path: str, source: bytes, language: str | None = None) -> list[Finding]:
    """Every ERROR/MISSING node of ``source`` parsed with the grammar for ``path``."""
    lang = language or language_for(path)
    if lang is None:
        return []
    tree = _parser(lang).parse(source)
    if not tree.root_node.has_error:
        return []
    found: list[Finding] = []
    stack = [tree.root_node]
    while stack and len(found) < MAX_FINDINGS_PER_FILE:
        node = stack.pop()
        if node.is_missing or node.is_error:
            found.append(_finding(path, node, source))
            continue  # an ERROR node's insides are noise for the model
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return found


def _finding(path: str, node: tree_sitter.Node, source: bytes) -> Finding:
    row, col = node.start_point
    if node.is_missing:
        message = f"missing '{node.type}'"
    else:
        snippet = source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")
        first = snippet.strip().splitlines()[0][:60] if snippet.strip() else ""
        message = f"syntax error near '{first}'" if first else "syntax error"
    return Finding(message, file=path, line=row + 1, column=col + 1)


def _select(root: Path, files: Sequence[str]) -> list[str]:
    if files:
        return [f for f in files if language_for(f) and (root / f).is_file()]
    return [rel for rel in walk_files(root) if language_for(rel) is not None]


def check_syntax(root: Path, files: Sequence[str] = (), *, feedback_chars: int = 2500) -> Verdict:
    """Parse ``files`` (all known source files under ``root`` when empty)."""
    start = time.perf_counter()
    selected = _select(root, files)
    if not selected:
        return Verdict.skipped("syntax", "no files with an installed tree-sitter grammar")
    findings: list[Finding] = []
    sources: dict[str, str] = {}
    for rel in selected:
        data = (root / rel).read_bytes()
        found = syntax_findings(rel, data)
        if found:
            findings.extend(found)
            sources[rel] = data.decode("utf-8", errors="replace")
    ms = (time.perf_counter() - start) * 1000
    details = {"files": len(selected)}
    if not findings:
        return Verdict("syntax", Status.PASSED, 1.0, ms, details=details)
    bad_files = len(sources)
    feedback = findings_feedback(
        f"Syntax errors in {bad_files} file(s):",
        findings,
        sources,
        advice=_ADVICE,
        limit=feedback_chars,
    )
    return Verdict("syntax", Status.FAILED, 1.0, ms, tuple(findings), feedback, details=details)
