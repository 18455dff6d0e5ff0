"""Hostile code through the real sandbox: each attack must fail, whatever mode is in force.

Runs as root on CI: "other users' files" are root-owned 0600 files that the sandbox's
unprivileged user cannot read, and the home directory is hidden rather than protected
by permissions. A fake ``$HOME`` lives outside the temp dir (which is hidden anyway), so
hiding ``$HOME`` itself is what is tested.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.confine import build_view, detect_isolation
from escalator.sandbox import Sandbox, SandboxLimits

REPO = Path(__file__).resolve().parents[2]
needs_view = pytest.mark.skipif(not detect_isolation().namespaces, reason=detect_isolation().note)


@pytest.fixture
def fake_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A $HOME outside /tmp with a canary private key in .ssh; yields (home, canary)."""
    home = Path(tempfile.mkdtemp(prefix=".hostile-home-", dir=REPO))
    canary = "canary-" + secrets.token_hex(16)
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_text(canary + "\n")
    (home / ".netrc").write_text(f"machine x login y password {canary}\n")
    monkeypatch.setenv("HOME", str(home))
    try:
        yield home, canary
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "app.py").write_text("x = 1\n")
    return ws


def _run(box: Sandbox, code: str) -> str:
    result = box.run([sys.executable, "-c", code])
    return result.output


def test_view_hides_home_workspace_and_temp(fake_home: tuple[Path, str], workspace: Path) -> None:
    home, _ = fake_home
    view = build_view([workspace.parent / "box"], workspace)
    # hidden itself, or inside a hidden directory (a checkout under /tmp or /home)
    assert any(home.is_relative_to(h) for h in view.hidden) and Path("/root") in view.hidden
    assert Path(tempfile.gettempdir()).resolve() in view.hidden


@needs_view
def test_canary_in_fake_home_is_not_readable(fake_home: tuple[Path, str], workspace: Path) -> None:
    home, canary = fake_home
    code = (
        "import pathlib\n"
        f"for p in [{str(home / '.ssh/id_ed25519')!r}, {str(home / '.netrc')!r}]:\n"
        "    try:\n"
        "        print(pathlib.Path(p).read_text())\n"
        "    except OSError as e:\n"
        "        print('blocked', type(e).__name__)\n"
    )
    with Sandbox.create(workspace) as box:
        out = _run(box, code)
        shell = box.run(f"cat {home}/.ssh/*; ls -la {home}; grep -r canary- {home}")
    assert canary not in out and out.count("blocked") == 2, out
    assert canary not in shell.output


@pytest.mark.skipif(os.geteuid() != 0, reason="a root-only file needs root to create it")
def test_root_only_files_are_not_readable(workspace: Path) -> None:
    secret_dir = Path(tempfile.mkdtemp(prefix=".hostile-root-", dir=REPO))
    canary = "root-only-" + secrets.token_hex(8)
    target = secret_dir / "shadow"
    target.write_text(canary)
    target.chmod(0o600)
    secret_dir.chmod(0o755)
    try:
        with Sandbox.create(workspace) as box:
            out = box.run(f"cat {target} /etc/shadow; id -u").output
        assert canary not in out
        assert "Permission denied" in out
        shadow = Path("/etc/shadow")
        if shadow.exists():
            first = shadow.read_text().splitlines()[0]
            assert first not in out
    finally:
        shutil.rmtree(secret_dir, ignore_errors=True)


@needs_view
def test_writes_outside_the_sandbox_fail(
    fake_home: tuple[Path, str], workspace: Path, tmp_path: Path
) -> None:
    home, _ = fake_home
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    loose_tmp = Path(tempfile.gettempdir()) / f"hostile-{secrets.token_hex(6)}"
    targets = [home / "pwned", sibling / "pwned", loose_tmp, workspace / "pwned"]
    code = (
        "import sys\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        open(p, 'w').write('pwned')\n"
        "        print('WROTE', p)\n"
        "    except OSError as e:\n"
        "        print('blocked', p, type(e).__name__)\n"
        "open('in_copy.txt', 'w').write('ok')\n"
        "import os, tempfile\n"
        "open(os.path.join(tempfile.gettempdir(), 'private.txt'), 'w').write('ok')\n"
    )
    try:
        with Sandbox.create(workspace) as box:
            result = box.run([sys.executable, "-c", code, *map(str, targets)])
            assert "WROTE" not in result.stdout, result.output
            assert (box.root / "in_copy.txt").read_text() == "ok", result.output
            assert (box.tmp / "private.txt").read_text() == "ok"
        assert not any(t.exists() for t in targets)
    finally:
        loose_tmp.unlink(missing_ok=True)


@needs_view
def test_no_socket_reaches_a_listening_server(workspace: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    code = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(3)\n"
        "try:\n"
        f"    s.connect(('127.0.0.1', {port}))\n"
        "    print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('blocked', e.errno)\n"
    )
    try:
        with Sandbox.create(workspace) as box:
            out = _run(box, code)
    finally:
        server.close()
    assert out.startswith("blocked"), out


def test_fork_bomb_is_bounded_by_the_process_limit(workspace: Path) -> None:
    limit = 40
    code = (
        "import os, time\n"
        "n = 0\n"
        "while n < 1000:\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError as e:\n"
        "        print('limited after', n, e.errno)\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    n += 1\n"
        "else:\n"
        "    print('UNBOUNDED')\n"
    )
    with Sandbox.create(workspace, SandboxLimits(timeout_s=60, max_processes=limit)) as box:
        result = box.run([sys.executable, "-c", code])
        bomb = box.run(":(){ :|:& };:; sleep 1; echo survived", timeout_s=5)
    assert "limited after" in result.stdout, result.output
    forked = int(result.stdout.split("limited after")[1].split()[0])
    assert forked < limit
    assert f"{limit} processes" in result.limits_note
    assert bomb.exit_code is not None  # the shell bomb ended (limit, then timeout kill)


def test_memory_bomb_is_stopped(workspace: Path) -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))\n"
    with Sandbox.create(workspace, SandboxLimits(memory_mb=256, timeout_s=60)) as box:
        result = box.run([sys.executable, "-c", code])
    assert not result.timed_out
    assert result.exit_code != 0
    assert "MemoryError" in result.stderr


def _unshare_works() -> bool:
    import shutil as sh

    from escalator import confine

    unshare = sh.which("unshare")
    if not sys.platform.startswith("linux") or unshare is None:
        return False
    probe = [unshare, *confine._unshare_flags(False), "--", *confine._drop_root(), "/bin/true"]
    return confine._probe(probe) is None


@pytest.mark.skipif(not _unshare_works(), reason="unprivileged user namespaces not permitted")
def test_unshare_mode_builds_the_same_view(
    fake_home: tuple[Path, str], workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import escalator.sandbox as sandbox_module
    from escalator.confine import Isolation

    forced = Isolation("unshare", "unshare (forced by the test)")
    monkeypatch.setattr(sandbox_module, "detect_isolation", lambda: forced)
    home, canary = fake_home
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    script = (
        f"cat {home}/.ssh/id_ed25519; echo x > {home}/pwned; echo x > {sibling}/pwned; "
        f"echo x > {workspace}/pwned; umount {home}; mount -o remount,rw /tmp; "
        f"echo ok > in_copy.txt; {sys.executable} -c 'print(6 * 7)'"
    )
    with Sandbox.create(workspace) as box:
        result = box.run(script)
        assert (box.root / "in_copy.txt").read_text() == "ok\n", result.output
    assert "unshare" in result.limits_note
    assert canary not in result.output
    assert "42" in result.stdout, result.output
    assert not any(p.exists() for p in (home / "pwned", sibling / "pwned", workspace / "pwned"))


def test_a_degraded_run_says_what_is_not_enforced_in_the_verdict(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import escalator.sandbox as sandbox_module
    import escalator.validate.strategy as strategy_module
    from escalator.confine import Isolation
    from escalator.validate import ValidationSpec, run_validation

    degraded = Isolation("none", "not isolated: forced by the test", ("no network",))
    monkeypatch.setattr(sandbox_module, "detect_isolation", lambda: degraded)
    monkeypatch.setattr(strategy_module, "detect_isolation", lambda: degraded)
    test = "from app import x\n\n\ndef test_x():\n    assert x == 1\n"
    (workspace / "test_app.py").write_text(test)
    spec = ValidationSpec(validators=("tests",), test_command=f"{sys.executable} -m pytest")
    with Sandbox.create(workspace) as box:
        report = asyncio.run(run_validation(box, spec))
    verdict = report.verdict("tests")
    assert verdict is not None and verdict.passed, verdict
    notes = [f.message for f in verdict.findings if f.severity == "note"]
    assert notes and "NOT enforced: no network" in notes[0]


def test_a_node_modules_bin_on_path_keeps_its_packages_readable(
    fake_home: tuple[Path, str], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``node_modules/.bin`` entries are links into ``node_modules``: with such a dir on
    PATH inside a hidden directory (a checkout under ~ or /tmp), the whole node_modules
    stays readable, or ``tsc`` exits 127 in the sandbox."""
    home, _ = fake_home
    bin_dir = home / "proj" / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    view = build_view([workspace.parent / "box"], workspace)
    assert any(home.is_relative_to(h) for h in view.hidden)
    assert (home / "proj" / "node_modules").resolve() in view.keep
