"""What the learned classifier sees in a task: words, word pairs and the rules' evidence.

Features are strings with a value, general on purpose so that they carry over to projects
never seen: words are lower-cased and crudely stemmed ("fixes", "fixed" -> "fix"), code
identifiers, paths, versions and numbers become shape tokens (``<ident>``, ``<path>``,
``<ver>``, ``<num>``), the first word is marked (``^fix``), and each keyword signal of
the rules that fires is one feature, as are the rules' per-type scores and answer.
"""

from __future__ import annotations

import itertools
import re

from escalator.classify._classifier import RuleEvidence, rule_evidence
from escalator.classify._signals import conventional_prefix

__all__ = ["features", "rule_features", "tokens", "word_features"]

MAX_CHARS = 600  # the title and the start of a description carry the wording that counts
RULE_SCALE = 5.0  # the rules' type scores are divided by this (a strong signal is ~5)
RULE_WEIGHT = 1.0  # value of a fired signal's feature

_TOKEN = re.compile(
    r"(?P<path>\b[\w.-]+/[\w./-]+)|(?P<ver>\bv?\d+(\.\d+)+\w*)|(?P<num>\b\d+\b)|"
    r"(?P<word>[A-Za-z][A-Za-z0-9_'.-]*[A-Za-z0-9]|[A-Za-z])"
)
_IDENT = re.compile(r"[a-z][A-Z]|[A-Za-z]_[A-Za-z]|^[A-Z]{2,}[a-z]|\.[a-z]|\(\)")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s")
_KEEP = frozenset({"does", "this", "has", "was", "is", "its", "as", "us", "ssl", "tls", "css"})


def _stem(word: str) -> str:
    if word in _KEEP or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def tokens(text: str) -> list[str]:
    """The task's words as general tokens, in order."""
    out: list[str] = []
    for match in _TOKEN.finditer(text[:MAX_CHARS].replace("`", " ")):
        kind = match.lastgroup
        raw = match.group(0)
        if kind == "word" and _IDENT.search(raw) is None:
            out.append(_stem(raw.lower().strip("'.-")))
        elif kind == "word":
            out.append("<ident>")
        else:
            out.append(f"<{kind}>")
    return out


def word_features(text: str) -> dict[str, float]:
    """Words (``w:``), adjacent pairs (``b:``), the first word and the commit prefix."""
    title = text.strip().splitlines()[0] if text.strip() else ""
    words = tokens(title)
    feats: dict[str, float] = {}
    for w in words:
        feats[f"w:{w}"] = 1.0
    for a, b in itertools.pairwise(words):
        feats[f"b:{a} {b}"] = 1.0
    if words:
        feats[f"first:{words[0]}"] = 1.0
    prefix = conventional_prefix(title.lower())
    if prefix is not None:
        feats[f"prefix:{prefix}"] = 1.0
    body = tokens(text.strip()[len(title) :])
    for w in set(body) - set(words):
        feats[f"body:{w}"] = 0.5
    n = len(words)
    feats["len:short" if n <= 4 else "len:long" if n > 12 else "len:mid"] = 1.0
    return feats


def rule_features(evidence: RuleEvidence) -> dict[str, float]:
    """Each fired keyword signal (``r:``), the rules' scores (``rs:``) and answer (``ra:``)."""
    feats: dict[str, float] = {f"r:{name}": RULE_WEIGHT for name in evidence.signal_names}
    for task_type, value in evidence.scores.items():
        feats[f"rs:{task_type.value}"] = RULE_WEIGHT * value / RULE_SCALE
    feats[f"ra:{evidence.best.value}"] = RULE_WEIGHT
    return feats


def features(text: str, evidence: RuleEvidence | None = None) -> dict[str, float]:
    """All features of a task (the rules' evidence is computed when not given)."""
    return {**word_features(text), **rule_features(evidence or rule_evidence(text))}
