"""Fixtures for the MCP tests: a config pointed at fakes with a private task log."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalator.config import Config
from tests.fakes import config_for
from tests.fakes.fixtures import lmstudio_fake  # noqa: F401  (pytest fixture)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Default registry and matrix, every provider unreachable, log under tmp_path."""
    return config_for(db_path=tmp_path / "tasks.db")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "calc.py").write_text("def add(a, b):\n    return a - b\n", encoding="utf-8")
    return ws
