"""``escalator tune --apply``: write a proposal into the config file, keeping the previous
version beside it. Both files are written to a temporary file and renamed into place,
so neither is ever half-written; the new document is validated before anything is
written. Rendering drops the file's comments (they stay in the previous version).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalator.config import parse_config
from escalator.config_template import render_toml
from escalator.errors import InputError
from escalator.learn.tune import Proposal

__all__ = ["AppliedTune", "apply_proposal"]

HEADER = "# Escalator configuration; matrix rows updated by 'escalator tune --apply'.\n"


@dataclass(frozen=True)
class AppliedTune:
    """What ``--apply`` wrote: the config file, the previous version, the changed types."""

    path: Path
    previous: Path
    changed: tuple[str, ...]


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def updated_document(data: dict[str, Any], proposal: Proposal) -> tuple[dict[str, Any], list[str]]:
    """``data`` with each changed type's chain and trusted list from the proposal."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    matrix = {k: dict(v) for k, v in out.get("matrix", {}).items()}
    changed = []
    for task_type, row in proposal.types.items():
        if not row.enough_evidence:
            continue
        table = matrix.setdefault(task_type, {})
        new = {"chain": list(row.chain), "trusted": list(row.trusted)}
        if any(table.get(k) != v for k, v in new.items()):
            table.update(new)
            changed.append(task_type)
    out["matrix"] = matrix
    return out, changed


def apply_proposal(path: Path | None, proposal: Proposal) -> AppliedTune:
    """Write the proposal into the config file at ``path``; the old one to ``path.prev``."""
    if path is None:
        raise InputError(
            "no config file is in effect (built-in defaults); run 'escalator init' to write "
            "one, or pass --config FILE, then run 'escalator tune --apply' again"
        )
    try:
        original = path.read_text(encoding="utf-8")
        data = tomllib.loads(original)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the config file {path} ({exc}); fix or remove it") from None
    new, changed = updated_document(data, proposal)
    parse_config(new, source=f"{path} as tuned")  # raises ConfigError: nothing written
    previous = path.with_name(path.name + ".prev")
    _atomic_write(previous, original)
    if changed:
        _atomic_write(path, render_toml(new, HEADER))
    return AppliedTune(path, previous, tuple(changed))
