"""Two real llama.cpp servers behind one provider; one is killed in the middle of a run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from escalator.providers import ChatRequest, open_fleet
from tests.fakes import config_for
from tests.llama.server import LlamaServer

pytestmark = [pytest.mark.llama, pytest.mark.anyio]


async def test_the_pool_survives_a_host_killed_mid_run(
    llama_server_factory: Callable[..., LlamaServer],
) -> None:
    first, second = llama_server_factory(), llama_server_factory()
    provider = {"extra_urls": [second.url], "max_retries": 0, "circuit_failures": 1}
    cfg = config_for(llamacpp_url=first.url, extra={"providers": {"llamacpp": provider}})
    served: list[str] = []
    async with open_fleet(cfg) as fleet:
        model = fleet.model("tiny")
        for n in range(6):
            if n == 3:
                first.kill()
            answer = await model.chat(ChatRequest.of(f"print {n}", max_tokens=4))
            assert answer.text
            served.append(answer.stats["endpoint"])
        status = await fleet.check("tiny")
    assert served[:3] == [first.url] * 3, "an idle pool uses its first host"
    assert served[3:] == [second.url] * 3, "after the kill every call goes to the live host"
    hosts = {h.url: h.reachable for h in status.hosts}
    assert hosts == {first.url: False, second.url: True}
