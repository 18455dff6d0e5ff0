"""Run inside a private network namespace (see test_mcp_netns.py): serve on a
non-loopback address there and report what a client sees, as JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client

from mcp import Client
from tests.mcp._support import child_env, escalator_argv, http_server

HOST = sys.argv[2]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "n"}},
}
HEADERS = {"Accept": "application/json, text/event-stream"}


async def _with_token(url: str, token: str) -> list[str]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with Client(streamable_http_client(url, http_client=http)) as client:
        return sorted(t.name for t in (await client.list_tools()).tools)


def main() -> None:
    config = Path(sys.argv[1])
    out: dict[str, object] = {}
    refused = subprocess.run(
        escalator_argv(config, "mcp", "--transport", "http", "--host", HOST, "--port", "0"),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    out["no_token_rc"] = refused.returncode
    out["no_token_stderr"] = refused.stderr
    token = "netns-secret-token"
    with http_server(config, "--host", HOST, env={"ESCALATOR_MCP_TOKEN": token}) as server:
        out["url"] = server.url
        with httpx.Client(timeout=10) as raw:
            out["missing"] = raw.post(server.url, json=INIT, headers=HEADERS).status_code
            wrong = {**HEADERS, "Authorization": "Bearer nope"}
            out["wrong"] = raw.post(server.url, json=INIT, headers=wrong).status_code
        out["tools"] = anyio.run(_with_token, server.url, token)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
