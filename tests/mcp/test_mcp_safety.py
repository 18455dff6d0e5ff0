"""Workspace checks, loopback detection, the token requirement and the bearer middleware."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from escalator.config import McpConfig
from escalator.errors import ConfigError, InputError
from escalator.mcpserver.safety import (
    BearerTokenMiddleware,
    check_files,
    is_loopback,
    required_token,
    resolve_workspace,
)


def test_workspace_is_resolved_to_an_absolute_directory(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    assert resolve_workspace(str(tmp_path / "proj" / ".." / "proj")) == tmp_path / "proj"


def test_missing_workspace_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        resolve_workspace(str(tmp_path / "nope"))
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        resolve_workspace(str(tmp_path / "file.txt"))
    with pytest.raises(InputError, match="workspace is required"):
        resolve_workspace("  ")


def test_workspace_roots_are_enforced(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    (allowed / "proj").mkdir(parents=True)
    other = tmp_path / "other"
    other.mkdir()
    roots = (str(allowed),)
    assert resolve_workspace(str(allowed / "proj"), roots) == allowed / "proj"
    assert resolve_workspace(str(allowed), roots) == allowed
    with pytest.raises(InputError, match="outside the allowed roots"):
        resolve_workspace(str(other), roots)
    # a sibling whose name merely starts with the root's name is outside too
    (tmp_path / "allowed-evil").mkdir()
    with pytest.raises(InputError, match="outside the allowed roots"):
        resolve_workspace(str(tmp_path / "allowed-evil"), roots)


def test_workspace_roots_see_through_symlinks(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (allowed / "link").symlink_to(outside)
    with pytest.raises(InputError, match="outside the allowed roots"):
        resolve_workspace(str(allowed / "link"), (str(allowed),))


def test_files_must_stay_inside_the_workspace(tmp_path: Path) -> None:
    assert check_files(tmp_path, ["a.py", "src/./b.py", "src/../c.py"]) == (
        "a.py",
        "src/b.py",
        "c.py",
    )
    with pytest.raises(InputError, match="outside the workspace"):
        check_files(tmp_path, ["../secret.txt"])
    with pytest.raises(InputError, match="outside the workspace"):
        check_files(tmp_path, ["/etc/passwd"])
    with pytest.raises(InputError, match="empty file name"):
        check_files(tmp_path, [""])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_loopback_needs_no_token() -> None:
    assert required_token(McpConfig(), "127.0.0.1", environ={}) is None


def test_non_loopback_refuses_without_token() -> None:
    with pytest.raises(ConfigError, match=r"ESCALATOR_MCP_TOKEN is empty.*export"):
        required_token(McpConfig(), "0.0.0.0", environ={})
    assert required_token(McpConfig(), "0.0.0.0", environ={"ESCALATOR_MCP_TOKEN": "s3"}) == "s3"


def test_require_token_forces_the_check_on_loopback_and_token_env_is_honoured() -> None:
    cfg = McpConfig(token_env="MY_TOKEN", require_token=True)
    with pytest.raises(ConfigError, match="MY_TOKEN"):
        required_token(cfg, "127.0.0.1", environ={"ESCALATOR_MCP_TOKEN": "wrong-var"})
    assert required_token(cfg, "127.0.0.1", environ={"MY_TOKEN": "tok"}) == "tok"


def _app(token: str) -> BearerTokenMiddleware:
    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return BearerTokenMiddleware(Starlette(routes=[Route("/", hello)]), token)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": "Bearer sekrit-extra"}, 401),
        ({"Authorization": "Basic sekrit"}, 401),
        ({"Authorization": "Bearer sekrit"}, 200),
    ],
)
async def test_bearer_middleware(headers: dict[str, str], status: int) -> None:
    transport = httpx.ASGITransport(app=_app("sekrit"))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"
    else:
        assert response.text == "hello"


def test_middleware_refuses_an_empty_token() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        _app("")
