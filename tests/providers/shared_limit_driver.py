"""Run in its own process: N concurrent chats against the config's LM Studio, then exit.

``python -m tests.providers.shared_limit_driver CONFIG N GO_FILE`` prints ``ready`` once
imported and configured, waits for GO_FILE to exist (so that several drivers start their
calls together however slowly each one started), then makes the calls.
"""

from __future__ import annotations

import asyncio
import os
import sys

from escalator.config import load_config
from escalator.providers import ChatRequest, open_fleet


async def main(config_path: str, n: int, go_file: str) -> None:
    config = load_config(config_path)
    print("ready", flush=True)
    while not os.path.exists(go_file):
        await asyncio.sleep(0.01)
    async with open_fleet(config) as fleet:
        model = fleet.model("qwen3-30b")
        await asyncio.gather(*(model.chat(ChatRequest.of(f"call {i}")) for i in range(n)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
