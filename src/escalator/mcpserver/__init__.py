"""Escalator as an MCP server: the ``orchestrator_*`` tools over stdio or streamable HTTP.

::

    from escalator.config import load_config
    from escalator.mcpserver import build_server, serve_stdio

    serve_stdio(build_server(load_config()))

``build_server(config)`` returns the SDK's ``MCPServer`` (usable in-process with
``mcp.Client(server)``); ``serve_http`` adds the bearer-token gate for non-loopback
binds. See docs/mcp.md for registering it with Claude Code or Claude Desktop.
"""

from escalator.mcpserver.server import SERVER_NAME, TOOL_NAMES, build_server
from escalator.mcpserver.transport import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    HttpSettings,
    build_http_app,
    http_settings,
    serve_http,
    serve_stdio,
)

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "SERVER_NAME",
    "TOOL_NAMES",
    "HttpSettings",
    "build_http_app",
    "build_server",
    "http_settings",
    "serve_http",
    "serve_stdio",
]
