"""Landing an accepted change in the user's workspace: atomically, never over someone else's edit.

Every changed file is checked against the hash it had when the sandbox was made; if any
differs (someone edited the workspace meanwhile) nothing is written and the conflicts are
reported. Otherwise every new file is written to a temporary file beside its target and
moved into place with ``os.replace``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from escalator.errors import InputError

__all__ = ["ApplyResult", "apply_changes", "file_hash"]

ABSENT = "absent"


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, or ``"absent"`` when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ABSENT


@dataclass(frozen=True)
class ApplyResult:
    applied: bool
    written: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _target(workspace: Path, rel: str) -> Path:
    root = workspace.resolve()
    path = (root / rel).resolve()
    if root != path and root not in path.parents:
        raise InputError(f"refusing to write {rel!r}: it is outside the workspace {root}")
    return path


def apply_changes(
    workspace: Path,
    changes: Mapping[str, str | None],
    original_hashes: Mapping[str, str],
) -> ApplyResult:
    """Write ``changes`` (rel path -> new text, None = delete) if no file changed meanwhile."""
    targets = {rel: _target(workspace, rel) for rel in changes}
    conflicts = [
        rel for rel, path in targets.items() if file_hash(path) != original_hashes.get(rel, ABSENT)
    ]
    if conflicts:
        return ApplyResult(applied=False, conflicts=sorted(conflicts))
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, text in changes.items():
            if text is None:
                continue
            path = targets[rel]
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".escalator", dir=path.parent
            )
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            if path.exists():
                os.chmod(tmp_name, path.stat().st_mode & 0o7777)
            staged.append((Path(tmp_name), path))
    except OSError:
        for staged_tmp, _ in staged:
            staged_tmp.unlink(missing_ok=True)
        raise
    for staged_tmp, target in staged:
        os.replace(staged_tmp, target)
    for rel, text in changes.items():
        if text is None:
            targets[rel].unlink(missing_ok=True)
    return ApplyResult(applied=True, written=sorted(changes))
