from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.config import Config, default_config
from escalator.store import TaskLog, open_log
from tests.store.seed import seed


@pytest.fixture
def config() -> Config:
    return default_config()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "log" / "tasks.db"


@pytest.fixture
def log(db_path: Path, config: Config) -> Iterator[TaskLog]:
    with open_log(db_path, config=config) as task_log:
        yield task_log


@pytest.fixture
def seeded(log: TaskLog, config: Config) -> dict[str, list[str]]:
    """The log filled with 26 realistic tasks; task ids by type."""
    return seed(log, config)
