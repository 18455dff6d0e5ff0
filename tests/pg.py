"""A real PostgreSQL server for the tests: ``initdb`` into a temp dir, on a free port.

``postgres_server`` (session) starts it once; ``pg_url`` (per test) creates a fresh
database on it and gives its URL. Debian's ``postgresql`` package provides the server
(the Makefile's ``tools`` target installs it on CI); where it is missing the tests skip
with that reason. As root (CI, these machines) the server runs as the ``postgres`` user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "pg_url", "postgres_server"]


@dataclass
class PostgresServer:
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://escalator@127.0.0.1:{self.port}/{database}"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """Run ``argv`` as ``postgres`` when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _start(initdb: str, pg_ctl: str) -> PostgresServer:
    root = Path(tempfile.mkdtemp(prefix="escalator-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    init = [initdb, "-D", str(data), "-U", "escalator", "--auth=trust", "--no-locale", "-E", "UTF8"]
    subprocess.run(_as_server_user(init), check=True, capture_output=True, timeout=120)
    port = _free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
    subprocess.run(_as_server_user(start), check=True, capture_output=True, timeout=120)
    return PostgresServer(port, data)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; make tools does)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    try:
        server = _start(initdb, pg_ctl)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-300:]}")
    yield server
    stop = [pg_ctl, "-D", str(server.data), "-m", "immediate", "stop"]
    subprocess.run(_as_server_user(stop), capture_output=True, timeout=60)
    shutil.rmtree(server.data.parent, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.url(name)
