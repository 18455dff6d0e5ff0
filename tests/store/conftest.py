from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.config import Config, default_config
from escalator.store import TaskLog, open_log
from tests.pg import pg_url, postgres_server  # noqa: F401  (fixtures)
from tests.store.seed import seed


@pytest.fixture
def config() -> Config:
    return default_config()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "log" / "tasks.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, db_path: Path, config: Config) -> Iterator[TaskLog]:
    """The task log on each backend: a SQLite file, and a database on a real PostgreSQL."""
    target: Path | str = db_path if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with open_log(target, config=config) as task_log:
        yield task_log


@pytest.fixture
def seeded(log: TaskLog, config: Config) -> dict[str, list[str]]:
    """The log filled with 26 realistic tasks; task ids by type."""
    return seed(log, config)


@pytest.fixture
def db(log: TaskLog) -> str:
    """What ``--db`` takes for ``log``: its file path or its PostgreSQL URL."""
    return log.path
