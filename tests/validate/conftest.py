"""Shared helpers: build a workspace from a dict of files, open a sandbox on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from escalator.sandbox import Sandbox, SandboxLimits

TOOLS_BIN = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin"

MakeBox = Callable[..., Sandbox]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture(autouse=True)
def tools_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put `make tools` binaries (tsc) on PATH, as the Makefile does."""
    if TOOLS_BIN.is_dir():
        monkeypatch.setenv("PATH", f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def make_box(tmp_path: Path) -> Iterator[MakeBox]:
    """make_box({"a.py": "..."}, timeout_s=...) -> an open Sandbox, closed after the test."""
    boxes: list[Sandbox] = []

    def make(files: dict[str, str], **limits: float) -> Sandbox:
        ws = write_tree(tmp_path / f"ws{len(boxes)}", files)
        box = Sandbox.create(ws, SandboxLimits(**limits))  # type: ignore[arg-type]
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()
