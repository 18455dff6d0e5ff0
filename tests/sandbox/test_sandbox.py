"""The sandbox against real git, real subprocesses and the real kernel's namespaces."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from escalator.errors import InputError
from escalator.sandbox import (
    Sandbox,
    SandboxLimits,
    detect_isolation,
    list_workspace_files,
)
from tests.processes import still_running

needs_namespaces = pytest.mark.skipif(
    not detect_isolation().namespaces, reason=detect_isolation().note
)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    _write(ws, {"app.py": "x = 1\n", "pkg/mod.py": "y = 2\n", "README.md": "hello"})
    return ws


def test_git_workspace_copies_tracked_and_untracked_but_not_ignored(tmp_path: Path) -> None:
    ws = tmp_path / "repo"
    _write(
        ws,
        {
            ".gitignore": "build/\n*.log\n",
            "src/a.py": "a = 1\n",
            "new.py": "untracked = True\n",
            "build/out.txt": "ignored",
            "debug.log": "ignored",
            ".venv/lib.py": "skip",
            "node_modules/x/index.js": "skip",
        },
    )
    _git(ws, "init", "-q")
    _git(ws, "add", "src/a.py", ".gitignore")
    assert list_workspace_files(ws) == [".gitignore", "new.py", "src/a.py"]


def test_plain_dir_honours_gitignore_roughly_and_skips_tool_dirs(tmp_path: Path) -> None:
    ws = tmp_path / "plain"
    _write(
        ws,
        {
            ".gitignore": "# comment\ndist/\n*.tmp\n/top_only.txt\n",
            "a.py": "",
            "dist/x.js": "",
            "b.tmp": "",
            "top_only.txt": "",
            "sub/top_only.txt": "",
            "__pycache__/a.pyc": "",
            ".git/HEAD": "",
        },
    )
    assert list_workspace_files(ws) == [".gitignore", "a.py", "sub/top_only.txt"]


def test_create_copies_and_close_deletes(workspace: Path) -> None:
    box = Sandbox.create(workspace)
    assert box.root != workspace
    assert box.read_text("pkg/mod.py") == "y = 2\n"
    assert box.read_text("missing.py") is None
    base = box.root.parent
    box.close()
    assert not base.exists()
    box.close()  # idempotent


def test_missing_workspace_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        Sandbox.create(tmp_path / "nope")


def test_write_delete_diff_and_changed_files(workspace: Path) -> None:
    with Sandbox.create(workspace) as box:
        box.write_text("app.py", "x = 2\n")
        box.write_text("new/file.py", "z = 3")
        box.delete("README.md")
        (box.root / "cache.tmp").write_text("made by a validator, not an edit")
        changed = box.changed_files()
        diff = box.diff()
        assert changed == {"app.py": "x = 2\n", "new/file.py": "z = 3", "README.md": None}
        assert "--- a/app.py\n+++ b/app.py\n" in diff
        assert "-x = 1\n+x = 2\n" in diff
        assert "--- /dev/null\n+++ b/new/file.py\n" in diff
        assert "\\ No newline at end of file" in diff
        assert "--- a/README.md\n+++ /dev/null\n" in diff
        assert "cache.tmp" not in diff
    assert (workspace / "app.py").read_text() == "x = 1\n", "the workspace is never touched"


def test_diff_applies_with_git_apply(workspace: Path, tmp_path: Path) -> None:
    with Sandbox.create(workspace) as box:
        box.write_text("app.py", "x = 2\nprint(x)\n")
        box.write_text("added.py", "new = 1\n")
        box.delete("pkg/mod.py")
        diff = box.diff()
    patch = tmp_path / "p.diff"
    patch.write_text(diff)
    subprocess.run(["git", "apply", str(patch)], cwd=workspace, check=True)
    assert (workspace / "app.py").read_text() == "x = 2\nprint(x)\n"
    assert (workspace / "added.py").read_text() == "new = 1\n"
    assert not (workspace / "pkg/mod.py").exists()


@pytest.mark.parametrize("bad", ["../outside.py", "/etc/passwd", "a/../../x", ""])
def test_paths_escaping_the_root_are_refused(workspace: Path, bad: str) -> None:
    with Sandbox.create(workspace) as box, pytest.raises(InputError):
        box.write_text(bad, "boom")


def test_symlink_escape_is_refused(workspace: Path, tmp_path: Path) -> None:
    with Sandbox.create(workspace) as box:
        (box.root / "link").symlink_to(tmp_path, target_is_directory=True)
        with pytest.raises(InputError, match="outside the sandbox"):
            box.write_text("link/evil.py", "boom")


def test_original_hashes_and_workspace_changes(workspace: Path) -> None:
    with Sandbox.create(workspace) as box:
        hashes = box.original_hashes()
        assert set(hashes) == {"app.py", "pkg/mod.py", "README.md"}
        assert box.workspace_changes() == []
        (workspace / "app.py").write_text("x = 99\n")
        (workspace / "extra.py").write_text("")
        assert box.workspace_changes() == ["app.py", "extra.py"]


def test_run_reports_exit_code_and_output(workspace: Path) -> None:
    with Sandbox.create(workspace) as box:
        result = box.run("echo out; echo err >&2; exit 3")
        assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
        assert not result.timed_out and not result.ok
        argv = box.run([sys.executable, "-c", "import os; print(os.getcwd())"])
        assert argv.stdout.strip() == str(box.root)


def test_environment_is_scrubbed(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-fake-secret")
    monkeypatch.setenv("MY_PASSWORD", "hunter2")
    with Sandbox.create(workspace) as box:
        result = box.run("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'")
        assert "fake-secret" not in result.stdout
        assert "hunter2" not in result.stdout
        assert f"HOME={box.home}" in result.stdout
        assert "PATH=" in result.stdout


def test_timeout_kills_the_command(workspace: Path) -> None:
    with Sandbox.create(workspace, SandboxLimits(timeout_s=0.5)) as box:
        start = time.monotonic()
        result = box.run("sleep 30")
        assert result.timed_out
        assert result.exit_code != 0
        assert time.monotonic() - start < 10


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_forked_children_are_killed_on_timeout(workspace: Path, tmp_path: Path) -> None:
    box = Sandbox.create(workspace, SandboxLimits(timeout_s=1.5))
    marker = box.tmp / "child.pid"  # the only place outside the copy it may write
    script = (
        "import os, time, sys\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(60)\n"
        "    sys.exit(0)\n"
        f"open({str(marker)!r}, 'w').write(str(pid))\n"
        "time.sleep(60)\n"
    )
    with box:
        result = box.run([sys.executable, "-c", script])
        assert result.timed_out
        assert marker.exists(), result.stderr
        _assert_child_gone(result, marker)


def _assert_child_gone(result: object, marker: Path) -> None:
    if detect_isolation().namespaces:
        # Inside a PID namespace the child's pid means nothing here; the namespace died
        # with its init, so nothing of the run is left: no sleeper in our namespace.
        out = subprocess.run(["pgrep", "-f", "time.sleep\\(60\\)"], capture_output=True)
        assert out.stdout.strip() == b"", out.stdout
    else:
        deadline = time.monotonic() + 5
        while _alive(int(marker.read_text())) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(int(marker.read_text()))


def test_background_child_outliving_the_command_is_killed(workspace: Path) -> None:
    with Sandbox.create(workspace) as box:
        result = box.run("sleep 45.5 & echo started")
        assert result.ok and result.stdout == "started\n"
    assert still_running("sleep 45.5") == b""


def test_memory_limit_applies(workspace: Path) -> None:
    with Sandbox.create(workspace, SandboxLimits(memory_mb=256)) as box:
        result = box.run([sys.executable, "-c", "b = bytearray(600 * 1024 * 1024)"])
        assert result.exit_code != 0
        assert "MemoryError" in result.stderr
        assert "memory 256 MB" in result.limits_note


def test_cpu_limit_applies(workspace: Path) -> None:
    with Sandbox.create(workspace, SandboxLimits(cpu_s=1, timeout_s=30)) as box:
        result = box.run([sys.executable, "-c", "while True: pass"])
    assert not result.timed_out
    assert result.exit_code != 0  # SIGXCPU/SIGKILL from RLIMIT_CPU


@needs_namespaces
def test_no_network_inside(workspace: Path) -> None:
    code = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(2)\n"
        "try:\n"
        "    s.connect(('1.1.1.1', 80))\n"
        "    print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('blocked', e.errno)\n"
    )
    with Sandbox.create(workspace) as box:
        result = box.run([sys.executable, "-c", code])
        assert result.stdout.startswith("blocked"), result
        assert "no network" in result.limits_note


@needs_namespaces
def test_workspace_is_hidden_inside(workspace: Path) -> None:
    target = workspace / "evil.txt"
    with Sandbox.create(workspace) as box:
        result = box.run(f"ls {workspace}; echo pwned > {target}; echo pwned > ~/in_home.txt")
        assert "app.py" not in result.stdout
        assert "Directory nonexistent" in result.stderr or "Read-only" in result.stderr
        assert (box.home / "in_home.txt").exists(), "HOME is the sandbox's own"
    assert not target.exists()


def test_limits_from_config() -> None:
    from escalator.config import ValidationConfig

    limits = SandboxLimits.from_config(ValidationConfig(timeout_s=5, memory_mb=64, cpu_s=7))
    assert (limits.timeout_s, limits.memory_mb, limits.cpu_s, limits.network) == (5, 64, 7, False)


def test_degraded_mode_still_kills_the_group_and_says_why(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import escalator.sandbox as sandbox_module

    why = "not isolated: testing the fallback"
    monkeypatch.setattr(
        sandbox_module, "detect_isolation", lambda: sandbox_module.Isolation("none", why)
    )
    with Sandbox.create(workspace, SandboxLimits(timeout_s=0.5)) as box:
        result = box.run("sleep 41.5 & sleep 42.5")
    assert result.timed_out
    assert why in result.limits_note
    assert still_running("sleep 4[12].5") == b""
