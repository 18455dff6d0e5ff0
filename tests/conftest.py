"""Test-wide guards: no network beyond loopback, no real home dir, no API keys."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The machine running the suite is shared and often loaded: hypothesis's per-example
# deadline (200 ms) and its too-slow health check measure that load, not our code.
settings.register_profile("escalator", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("escalator")

SECRET_ENV = (
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_API_KEY",
    "LMSTUDIO_API_TOKEN",
    "ESCALATOR_CONFIG",
    "ESCALATOR_MCP_TOKEN",
)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        raise OSError(f"test tried to reach the network: {address!r} (tests must stay on loopback)")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        raise OSError(f"test tried to reach the network: {address!r} (tests must stay on loopback)")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, bytes):
        host = host.decode()
    if host not in (None, "localhost", "") and not _looks_like_ip(host):
        raise OSError(f"test tried to resolve {host!r} (tests must stay on loopback)")
    return _real_getaddrinfo(host, *args, **kwargs)


def _looks_like_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point config and data dirs at a temp dir and remove secrets from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
