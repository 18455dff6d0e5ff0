"""Server-sent events and NDJSON read from an httpx streaming response."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["SSEEvent", "iter_sse"]


@dataclass(frozen=True)
class SSEEvent:
    """One event: its ``event:`` name (or "") and its joined ``data:`` lines."""

    event: str
    data: str

    def json(self) -> Any:
        """The data parsed as JSON, or None for ``[DONE]`` and non-JSON data."""
        if self.data == "[DONE]":
            return None
        try:
            return json.loads(self.data)
        except ValueError:
            return None


async def iter_sse(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """Yield events as they arrive; a bare JSON line (NDJSON) counts as one event."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SSEEvent(event, "\n".join(data))
            event, data = "", []
        elif line.startswith(":"):
            continue
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.lstrip().startswith("{") and not data:
            yield SSEEvent("", line)
    if data:
        yield SSEEvent(event, "\n".join(data))
