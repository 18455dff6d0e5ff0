"""Build the Escalator MCP server: the official SDK's ``MCPServer`` with our tools."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import metadata
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from escalator.config import Config
from escalator.live_config import LiveConfig
from escalator.mcpserver.compact import CompactTool, compact_input
from escalator.mcpserver.tools import Toolbox

__all__ = ["SERVER_NAME", "TOOL_NAMES", "build_server"]

SERVER_NAME = "escalator"

EXECUTE = "orchestrator_execute_with_escalation"
CLASSIFY = "orchestrator_classify_task"
VALIDATE = "orchestrator_validate_outcome"
TASK = "orchestrator_task"
MODELS = "orchestrator_models"
TOOL_NAMES = (EXECUTE, CLASSIFY, VALIDATE, TASK, MODELS)

INSTRUCTIONS = (
    "Escalator runs coding tasks on the cheapest model that passes validation: local "
    "models first, paid ones only as the cost policy allows. Use "
    f"{EXECUTE} to do a task, {CLASSIFY} to size one, {VALIDATE} to check a "
    f"workspace, {TASK} to follow up or review, {MODELS} for model status."
)

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True)


def _version() -> str:
    try:
        return metadata.version("escalator")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _tool(fn: Callable[..., Any], name: str, annotations: ToolAnnotations) -> Tool:
    """A tool from a typed function: its docstring as one line, compact schemas."""
    description = " ".join(inspect.cleandoc(fn.__doc__ or "").split())
    tool = CompactTool.from_function(
        fn, name=name, description=description, annotations=annotations
    )
    tool.parameters = compact_input(tool.parameters)
    return tool


def build_server(config: Config | LiveConfig) -> MCPServer:
    """An MCP server whose tools run against ``config`` (a ``LiveConfig`` follows its file)."""
    tools = Toolbox(config)
    return MCPServer(
        SERVER_NAME,
        title="Escalator",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level="WARNING",
        tools=[
            _tool(tools.execute, EXECUTE, _WRITES),
            _tool(tools.classify, CLASSIFY, _READ_ONLY),
            _tool(tools.validate, VALIDATE, _READ_ONLY),
            _tool(tools.task, TASK, _WRITES),
            _tool(tools.models, MODELS, _READ_ONLY),
        ],
    )
