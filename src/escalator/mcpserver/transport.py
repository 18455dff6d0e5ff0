"""Serve the MCP server over stdio or streamable HTTP.

HTTP binds 127.0.0.1 by default. Binding any other address (or ``[mcp]
require_token``) needs a bearer token from ``$ESCALATOR_MCP_TOKEN`` (``[mcp]
token_env``): without it the server refuses to start, and with it every request must
carry ``Authorization: Bearer <token>`` or gets 401.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp

from escalator.config import McpConfig
from escalator.errors import InputError
from escalator.mcpserver.safety import BearerTokenMiddleware, required_token

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "HttpSettings",
    "build_http_app",
    "http_settings",
    "serve_http",
    "serve_stdio",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MCP_PATH = "/mcp"


@dataclass(frozen=True)
class HttpSettings:
    """Where the HTTP transport listens and which token it demands (None: no token)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    path: str = MCP_PATH


def http_settings(
    mcp: McpConfig,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    environ: Mapping[str, str] | None = None,
) -> HttpSettings:
    """Checked HTTP settings; raises ConfigError when a needed token is missing."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is out of range; pass 0-65535 (0 picks a free port)")
    return HttpSettings(host=host, port=port, token=required_token(mcp, host, environ))


def build_http_app(server: MCPServer, settings: HttpSettings) -> ASGIApp:
    """The SDK's streamable-HTTP app, behind the bearer-token gate when one is set."""
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=settings.path, host=settings.host
    )
    if settings.token is not None:
        app = BearerTokenMiddleware(app, settings.token)
    return app


def serve_stdio(server: MCPServer) -> None:
    """Serve over stdin/stdout until the client closes (stdout carries only protocol)."""
    server.run("stdio")


def serve_http(
    server: MCPServer,
    settings: HttpSettings,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP until interrupted; ``announce`` gets the URL once bound."""
    import anyio
    import uvicorn

    sock = _bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}{settings.path}"
    config = uvicorn.Config(
        build_http_app(server, settings), log_level="warning", lifespan="on", access_log=False
    )
    uvi = uvicorn.Server(config)
    (announce or _stderr)(url)
    anyio.run(lambda: uvi.serve(sockets=[sock]))


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pick another --port (0 picks a free one) or --host"
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _stderr(url: str) -> None:
    print(f"escalator MCP server listening on {url}", file=sys.stderr, flush=True)
