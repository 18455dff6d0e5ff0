"""What agents pay for in context, kept small: compact schemas and one-line argument errors.

Tool schemas go into every agent's context, so input schemas lose titles and null or
false defaults (``anyOf [X, null]`` becomes ``type: [X, "null"]``), and output schemas
keep only the names of the fields always present (docs/mcp.md documents every field;
results still match the looser schema). Arguments that do not match the input schema
come back as one line naming each field and the problem, not pydantic's multi-line
report with a URL.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from pydantic import ValidationError

__all__ = ["CompactTool", "argument_error", "compact_input", "compact_output"]


def _merge_nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, {type: null}]`` -> X with ``type: [X.type, "null"]``."""
    options = prop.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return prop
    rest = [o for o in options if o != {"type": "null"}]
    if len(rest) != 1 or "type" not in rest[0] or not isinstance(rest[0]["type"], str):
        return prop
    merged = {k: v for k, v in prop.items() if k != "anyOf"}
    merged.update(rest[0])
    merged["type"] = [rest[0]["type"], "null"]
    return merged


def compact_input(schema: dict[str, Any]) -> dict[str, Any]:
    """The input schema without titles, null defaults and nullable ``anyOf`` wrappers."""
    out = {k: v for k, v in schema.items() if k != "title"}
    props: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        p = _merge_nullable({k: v for k, v in prop.items() if k != "title"})
        if "default" in p and (p["default"] is None or p["default"] is False):
            p.pop("default")
        if isinstance(p.get("items"), dict):
            p["items"] = {k: v for k, v in p["items"].items() if k != "title"}
        props[name] = p
    out["properties"] = props
    return out


def compact_output(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """An object with the always-present field names; docs/mcp.md lists every field."""
    if not schema:
        return schema
    out: dict[str, Any] = {"type": "object"}
    if schema.get("required"):
        out["required"] = list(schema["required"])
    return out


def argument_error(tool: str, exc: ValidationError) -> str:
    """One line: each bad field and what is wrong with it."""
    parts = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        message = "is required" if err.get("type") == "missing" else str(err.get("msg", ""))
        parts.append(f"{field}: {message[:1].lower()}{message[1:]}")
    return f"invalid arguments for {tool}: " + "; ".join(parts)


class CompactTool(Tool):
    """A tool whose schemas cost little context and whose argument errors are one line."""

    @cached_property
    def output_schema(self) -> dict[str, Any] | None:
        return compact_output(self.fn_metadata.output_schema)

    async def run(
        self, arguments: dict[str, Any], context: Any, convert_result: bool = False
    ) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(argument_error(self.name, exc.__cause__)) from None
            raise
