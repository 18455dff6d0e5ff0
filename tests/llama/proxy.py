"""A counting reverse proxy: forwards to a real server and records requests in flight."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes import FakeServer
from tests.fakes._server import Exchange

__all__ = ["CountingProxy"]


class CountingProxy(FakeServer):
    """Forwards each request (non-streaming) to ``target``; ``max_in_flight`` is the most
    requests that were open at the proxy at once."""

    dialect = "proxy"

    def __init__(self, target: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.target = target

    def handle(self, ex: Exchange) -> None:
        req = ex.request
        headers = {"content-type": "application/json"} if req.raw else {}
        with httpx.Client(timeout=60) as client:
            upstream = client.request(
                req.method, self.target + req.path, content=req.raw, headers=headers
            )
        ctype = upstream.headers.get("content-type", "application/json")
        ex.send_raw(upstream.status_code, upstream.content, {"Content-Type": ctype})
