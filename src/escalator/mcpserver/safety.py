"""What keeps the MCP server safe to expose: workspace checks and the bearer-token gate.

Workspaces are resolved, must exist, and must sit under ``[mcp] workspace_roots`` when
that list is set. The HTTP transport binds loopback by default; any other address (or
``[mcp] require_token``) needs a token from the environment, and every HTTP request
must then carry it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from escalator.config import McpConfig
from escalator.errors import ConfigError, InputError

__all__ = [
    "BearerTokenMiddleware",
    "check_files",
    "is_loopback",
    "required_token",
    "resolve_workspace",
]

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def resolve_workspace(path: str, roots: Sequence[str] = ()) -> Path:
    """The workspace as an absolute existing directory, inside one of ``roots`` if given."""
    if not path or not path.strip():
        raise InputError("workspace is required: pass the project directory as an absolute path")
    workspace = Path(path).expanduser().resolve()
    if not workspace.is_dir():
        raise InputError(
            f"workspace {str(workspace)!r} does not exist or is not a directory; "
            "pass an existing project directory"
        )
    if roots:
        allowed = [Path(root).expanduser().resolve() for root in roots]
        if not any(workspace == root or workspace.is_relative_to(root) for root in allowed):
            shown = ", ".join(str(root) for root in allowed)
            raise InputError(
                f"workspace {str(workspace)!r} is outside the allowed roots ({shown}); "
                "use a directory under one of them or add it to [mcp] workspace_roots"
            )
    return workspace


def check_files(workspace: Path, files: Sequence[str]) -> tuple[str, ...]:
    """The files as paths relative to ``workspace``; refuses any that escape it."""
    out: list[str] = []
    for name in files:
        if not name or not name.strip():
            raise InputError("files: empty file name; list paths relative to the workspace")
        target = (workspace / name).resolve()
        if not target.is_relative_to(workspace):
            raise InputError(
                f"file {name!r} is outside the workspace {str(workspace)!r}; "
                "list paths relative to the workspace"
            )
        out.append(target.relative_to(workspace).as_posix())
    return tuple(out)


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def required_token(
    mcp: McpConfig, host: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """The bearer token the HTTP transport must demand, or None on plain loopback.

    Raises ConfigError when a token is needed and the environment lacks it.
    """
    env = os.environ if environ is None else environ
    if is_loopback(host) and not mcp.require_token:
        return None
    token = env.get(mcp.token_env, "").strip()
    if token:
        return token
    why = "mcp.require_token is set" if mcp.require_token else f"--host {host} is not loopback"
    raise ConfigError(
        "mcp.token_env",
        f"{why}, so the HTTP transport needs a bearer token, and ${mcp.token_env} is empty; "
        f"set it (e.g. export {mcp.token_env}=$(python -c "
        "'import secrets; print(secrets.token_urlsafe(32))')) or bind --host 127.0.0.1",
    )


class BearerTokenMiddleware:
    """ASGI middleware: HTTP and websocket requests need ``Authorization: Bearer <token>``.

    Lifespan events pass through, so the wrapped app still starts and stops.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("BearerTokenMiddleware needs a non-empty token")
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _unauthorized(send)

    def _authorized(self, scope: Scope) -> bool:
        for key, value in scope.get("headers", ()):
            if key.lower() == b"authorization":
                return hmac.compare_digest(value.strip(), self._expected)
        return False


async def _unauthorized(send: Send) -> None:
    body = json.dumps(
        {"error": "unauthorized", "message": "send 'Authorization: Bearer <token>'"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="escalator"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
