"""`escalator mcp` as a real subprocess: a client over stdio and over streamable HTTP, and
the bearer-token gate of the HTTP transport."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from escalator.mcpserver import TOOL_NAMES
from mcp import Client, StdioServerParameters
from tests.mcp._support import child_env, escalator_argv, http_server, text_of, write_config

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(120)]

UNREACHABLE = "http://127.0.0.1:9"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    data: dict[str, Any] = {
        "providers": {
            name: {"base_url": UNREACHABLE} for name in ("lmstudio", "anthropic", "gemini")
        },
        "store": {"db_path": str(tmp_path / "tasks.db")},
    }
    return write_config(tmp_path / "escalator.toml", data)


async def _exercise(client: Client, tmp_path: Path) -> None:
    """List the tools, classify, fail on a bad workspace, and keep serving."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert names == set(TOOL_NAMES)
    result = await client.call_tool(
        "orchestrator_classify_task", {"text": "fix a typo in the README"}
    )
    assert not result.is_error, result.content
    data = result.structured_content
    assert data is not None
    assert data["task_type"] == data["type"] == "quick_edit"
    assert 0 <= data["complexity"] <= 2 and 0 < data["confidence"] <= 1 and data["reasons"]
    bad = await client.call_tool(
        "orchestrator_validate_outcome", {"workspace": str(tmp_path / "missing")}
    )
    assert bad.is_error
    assert "does not exist" in text_of(bad)
    again = await client.call_tool("orchestrator_classify_task", {"text": "design a plugin API"})
    assert not again.is_error


async def test_stdio_subprocess(config_file: Path, tmp_path: Path) -> None:
    argv = escalator_argv(config_file, "mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_env())
    async with Client(params) as client:
        await _exercise(client, tmp_path)


async def test_http_on_loopback_needs_no_token(config_file: Path, tmp_path: Path) -> None:
    with http_server(config_file) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp")
        async with Client(server.url) as client:
            await _exercise(client, tmp_path)


def _client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=30.0)
    return Client(streamable_http_client(url, http_client=http))


async def test_http_on_all_interfaces_demands_the_token(config_file: Path, tmp_path: Path) -> None:
    token = "t0k-" + "x" * 28
    env = {"ESCALATOR_MCP_TOKEN": token}
    with http_server(config_file, "--host", "0.0.0.0", env=env) as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]
        url = f"http://127.0.0.1:{port}/mcp"
        async with httpx.AsyncClient(timeout=10) as raw:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
                response = await raw.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
                assert response.status_code == 401, headers
                assert response.headers["www-authenticate"].startswith("Bearer")
        # the SDK raises the refusal as an MCPError inside its task groups
        refused = pytest.RaisesGroup(pytest.RaisesGroup(MCPError))
        with refused:
            async with _client(url, "wrong") as client:
                await client.list_tools()
        async with _client(url, token) as client:
            await _exercise(client, tmp_path)
        assert server.process.poll() is None  # refusals did not bring it down


async def test_require_token_applies_on_loopback(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "strict.toml",
        {
            "mcp": {"require_token": True, "token_env": "MY_MCP_TOKEN"},
            "store": {"db_path": str(tmp_path / "tasks.db")},
        },
    )
    with http_server(cfg, env={"MY_MCP_TOKEN": "local-secret"}) as server:
        async with httpx.AsyncClient(timeout=10) as raw:
            refused = await raw.post(server.url, json=INITIALIZE, headers=MCP_HEADERS)
            allowed = await raw.post(
                server.url,
                json=INITIALIZE,
                headers={**MCP_HEADERS, "Authorization": "Bearer local-secret"},
            )
        assert refused.status_code == 401
        assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("args", "config_extra", "expected"),
    [
        (["--host", "0.0.0.0"], {}, "ESCALATOR_MCP_TOKEN is empty"),
        ([], {"mcp": {"require_token": True}}, "mcp.require_token is set"),
        (["--port", "70000"], {}, "out of range"),
    ],
)
def test_http_refuses_to_start_without_what_it_needs(
    tmp_path: Path, args: list[str], config_extra: dict[str, Any], expected: str
) -> None:
    cfg = write_config(
        tmp_path / "c.toml", {"store": {"db_path": str(tmp_path / "t.db")}, **config_extra}
    )
    argv = escalator_argv(cfg, "mcp", "--transport", "http", *args)
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), timeout=60)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert done.stdout == ""


def test_mcp_help_lists_the_transports() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "escalator.cli.main", "mcp", "--help"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert done.returncode == 0
    assert "--transport [stdio|http]" in done.stdout
    assert "--host" in done.stdout and "--port" in done.stdout


def test_http_port_in_use_is_a_clear_input_error(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", {"store": {"db_path": str(tmp_path / "t.db")}})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        argv = escalator_argv(cfg, "mcp", "--transport", "http", "--port", str(port))
        done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr
