"""Feedback text for the model that must fix the work: short, located, actionable.

In the manner of Aider's linter output: the error, the offending line marked with ``>``
and a little context, and what to fix, capped to ``ValidationConfig.feedback_chars``.
"""

from __future__ import annotations

from collections.abc import Sequence

from escalator.validate.verdict import Finding

__all__ = ["cap", "excerpt", "findings_feedback", "tail"]


def excerpt(text: str, line: int, context: int = 2, *, column: int | None = None) -> str:
    """Lines ``line-context .. line+context`` numbered, the offending one marked ``>``."""
    lines = text.splitlines()
    if not lines or line < 1:
        return ""
    line = min(line, len(lines))
    lo, hi = max(1, line - context), min(len(lines), line + context)
    width = len(str(hi))
    out = []
    for n in range(lo, hi + 1):
        mark = ">" if n == line else " "
        out.append(f"{mark}{n:>{width}} | {lines[n - 1][:200]}")
        if n == line and column is not None and column >= 1:
            out.append(" " * (width + 3 + column) + "^")
    return "\n".join(out)


def cap(text: str, limit: int) -> str:
    """Trim ``text`` to ``limit`` characters, keeping the head and saying what was cut."""
    if len(text) <= limit:
        return text
    note = f"\n[... {len(text) - limit} more characters trimmed ...]"
    return text[: max(0, limit - len(note))].rstrip() + note


def tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` (where tool output puts its summary)."""
    if len(text) <= limit:
        return text
    return "[... trimmed ...]\n" + text[-limit:]


def findings_feedback(
    header: str,
    findings: Sequence[Finding],
    sources: dict[str, str],
    *,
    advice: str,
    limit: int,
    max_excerpts: int = 5,
) -> str:
    """``header``, then each finding with its location and an excerpt, then ``advice``."""
    parts = [header]
    for i, f in enumerate(findings):
        where = f.location()
        parts.append(f"{where}: {f.message}" if where else f.message)
        text = sources.get(f.file or "")
        if i < max_excerpts and text is not None and f.line is not None:
            parts.append(excerpt(text, f.line, column=f.column))
    if len(findings) > max_excerpts:
        parts.append(f"({len(findings)} problems in all)")
    parts.append(advice)
    return cap("\n".join(parts), limit)
