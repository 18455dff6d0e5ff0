"""Run in its own process: N concurrent chats against the config's LM Studio, then exit.

``python -m tests.providers.shared_limit_driver CONFIG N`` prints nothing on success.
"""

from __future__ import annotations

import asyncio
import sys

from escalator.config import load_config
from escalator.providers import ChatRequest, open_fleet


async def main(config_path: str, n: int) -> None:
    config = load_config(config_path)
    async with open_fleet(config) as fleet:
        model = fleet.model("qwen3-30b")
        await asyncio.gather(*(model.chat(ChatRequest.of(f"call {i}")) for i in range(n)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
