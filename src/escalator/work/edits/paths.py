"""Finding the file a block belongs to: path-shaped tokens in labels, fence info
strings and comments, resolved against the files in play; unsafe paths refused."""

from __future__ import annotations

import re
from collections.abc import Mapping

from escalator.languages import FILE_SUFFIXES, suffix_of
from escalator.work.edits.formats import EditParseError, ParseFailure

_PATH_TOKEN_RE = re.compile(r"[\w.\-/+@:]+")
_LABEL_PREFIX_RE = re.compile(
    r"^(?:#{1,6}\s*|[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__)?\s*"
    r"(?:(?:updated|new|modified|changed|complete|full|fixed)\s+)?"
    r"(?:(?:file(?:name)?|path)\s*:\s*)?",
    re.I,
)
_DECORATION = "`*'\"_[]()<>"


def _clean_token(token: str) -> str:
    token = token.strip().strip(_DECORATION).rstrip(":,;.").strip(_DECORATION)
    token = token.replace("\\", "/")
    while token.startswith("./"):
        token = token[2:]
    return token


def _is_unsafe(path: str) -> bool:
    parts = path.split("/")
    return path.startswith("/") or ".." in parts or bool(re.match(r"^[A-Za-z]:", path))


def _path_shaped(token: str) -> bool:
    """Looks like a file path: has a folder or a known extension (``e.g`` does not)."""
    if not token or not _PATH_TOKEN_RE.fullmatch(token) or token.endswith("/"):
        return False
    return "/" in token.lstrip("/") or suffix_of(token) in FILE_SUFFIXES


def _known_match(token: str, files: Mapping[str, str | None]) -> str | None:
    """``token`` as one of the known paths: exact, or one unique suffix match."""
    if token in files:
        return token
    hits = [p for p in files if p.endswith("/" + token) or token.endswith("/" + p)]
    return hits[0] if len(hits) == 1 else None


def _resolve(token: str, files: Mapping[str, str | None], *, allow_new: bool) -> str | None:
    """A path the answer names, as a key of ``files`` or a safe new relative path."""
    token = _clean_token(token)
    known = _known_match(token, files)
    if known is not None:
        return known
    if not allow_new or not _path_shaped(token):
        return None
    if _is_unsafe(token):
        raise EditParseError(
            f"The path {token!r} is not allowed: use a path relative to the workspace root, "
            "without '..', such as the paths shown in the prompt.",
            reason=ParseFailure.UNSAFE_PATH,
        )
    return token


def _path_in_line(line: str, files: Mapping[str, str | None]) -> str | None:
    """The path a label line names: the whole line, else one known path in chatter,
    else one new path in backticks (``## `src/util.py` (new file)``)."""
    stripped = line.strip()
    if not stripped:
        return None
    label = _LABEL_PREFIX_RE.sub("", stripped, count=1).strip()
    label = re.sub(r"(\*\*|__)\s*:?\s*$", "", label).strip()
    if label and " " not in label:
        found = _resolve(label, files, allow_new=True)
        if found is not None:
            return found
    hits = {
        hit
        for tok in re.split(r"\s+", stripped)
        if (hit := _known_match(_clean_token(tok), files)) is not None
    }
    if hits:
        return hits.pop() if len(hits) == 1 else None
    quoted = {_clean_token(tok) for tok in re.findall(r"`([^`\s]+)`", stripped)}
    new = [tok for tok in quoted if _path_shaped(tok) and not _is_unsafe(tok)]
    return new[0] if len(new) == 1 else None


def _path_in_info(info: str, files: Mapping[str, str | None]) -> str | None:
    """A path in a fence info string: ``python src/a.py``, ``python:a.py``, ``title="a.py"``."""
    for raw in re.split(r"[\s:]+", info):
        token = re.sub(r"^\w+=", "", raw)
        found = _resolve(token, files, allow_new=True)
        if found is not None:
            return found
    return None
