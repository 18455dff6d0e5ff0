"""``max_concurrent`` holds across OS processes (flock slots), not only within one."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from escalator.providers.slots import SharedSlots
from tests.fakes import LMStudioFake, Reply, write_config

ROOT = Path(__file__).resolve().parents[2]


def _run_two_processes(tmp_path: Path, *, shared: bool) -> int:
    """Two processes, 4 concurrent calls each, limit 2: the most requests seen at once."""
    with LMStudioFake(default=Reply("ok", delay_s=0.5)) as lms:
        config = write_config(
            tmp_path / f"escalator-{shared}.toml",
            lmstudio_url=lms.url,
            extra={"providers": {"lmstudio": {"max_concurrent": 2, "shared_limit": shared}}},
        )
        env = {**os.environ, "ESCALATOR_LOCK_DIR": str(tmp_path / "locks")}
        go = tmp_path / f"go-{shared}"
        argv = [sys.executable, "-m", "tests.providers.shared_limit_driver", str(config), "4"]
        procs = [
            subprocess.Popen([*argv, str(go)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        codes = [p.wait(timeout=120) for p in procs]
        assert codes == [0, 0]
        assert len(lms.requests_to("chat")) == 8
        return int(lms.max_in_flight)


def test_two_processes_share_one_limit(tmp_path: Path) -> None:
    assert _run_two_processes(tmp_path, shared=True) <= 2


def test_without_sharing_each_process_uses_its_full_limit(tmp_path: Path) -> None:
    """The control: the same load without the shared limit goes over 2 at once."""
    assert _run_two_processes(tmp_path, shared=False) > 2


@pytest.mark.anyio
async def test_a_slot_frees_when_its_holder_dies(tmp_path: Path) -> None:
    """flock is released by the kernel: a killed holder never leaks its slot."""
    slots = SharedSlots("http://127.0.0.1:1234", 1, root=tmp_path)
    slots.dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(slots.dir / 'slot-0')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert slots._try() is None
    holder.kill()
    holder.wait()
    async with asyncio.timeout(10):
        async with slots.hold():
            pass
