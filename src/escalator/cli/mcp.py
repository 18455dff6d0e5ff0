"""``escalator mcp``: serve Escalator's tools to AI agents over MCP (stdio or HTTP)."""

from __future__ import annotations

import logging
import signal
import sys

import click

from escalator.cli.common import get_config, handle_errors
from escalator.live_config import LiveConfig

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
    """Serve the orchestrator_* tools over MCP (see docs/mcp.md to register it).

    The configuration is reloaded on SIGHUP and when its file changes; running tasks
    finish on the configuration they started with, and a bad new file is refused (the
    error goes to stderr) while the old configuration stays in force.
    """
    from escalator.mcpserver import build_server, http_settings, serve_http, serve_stdio

    config = get_config(ctx)
    live = LiveConfig(config, explicit=ctx.find_root().ensure_object(dict).get("config_path"))
    logging.basicConfig(level=logging.WARNING, format="escalator: %(message)s", stream=sys.stderr)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda _sig, _frame: live.request_reload())
    if transport == "stdio":
        serve_stdio(build_server(live))
        return
    settings = http_settings(config.mcp, host=host, port=port)
    serve_http(build_server(live), settings)
