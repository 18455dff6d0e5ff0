"""``escalator mcp``: serve Escalator's tools to AI agents over MCP (stdio or HTTP)."""

from __future__ import annotations

import click

from escalator.cli.common import get_config, handle_errors

__all__ = ["mcp_command"]


@click.command("mcp")
@click.option(
    "--transport",
    type=click.Choice(["stdio", "http"]),
    default="stdio",
    show_default=True,
    help="stdio for a local agent that starts the server; http for streamable HTTP.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="HTTP address to bind; anything but loopback needs $ESCALATOR_MCP_TOKEN.",
)
@click.option(
    "--port",
    type=int,
    default=8765,
    show_default=True,
    help="HTTP port (0 picks a free one; the URL is printed on stderr).",
)
@click.pass_context
@handle_errors
def mcp_command(ctx: click.Context, transport: str, host: str, port: int) -> None:
    """Serve the orchestrator_* tools over MCP (see docs/mcp.md to register it)."""
    from escalator.mcpserver import build_server, http_settings, serve_http, serve_stdio

    config = get_config(ctx)
    if transport == "stdio":
        serve_stdio(build_server(config))
        return
    settings = http_settings(config.mcp, host=host, port=port)
    serve_http(build_server(config), settings)
