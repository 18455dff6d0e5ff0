"""The sandbox: a private copy of a workspace where edits are applied and validators run.

Validators never run in the user's workspace. ``Sandbox.create`` copies the workspace
(``escalator.workspace.project_files``: tracked plus untracked-not-ignored files of a git
repo, otherwise every file honouring the root ``.gitignore`` roughly, never ``SKIP_DIRS``)
into a temp dir, keeps a
pristine second copy for ``diff()``, and records each original file's SHA-256 so the
engine can tell later whether the user's workspace changed meanwhile.

``Sandbox.run`` executes a command in the copy with:

* a wall-clock timeout; the command gets its own session, killed entirely (forked
  children too) on timeout and after it exits;
* the confinement of ``escalator.confine``: a filesystem view where only the copy, a
  private home and a private temp dir are writable and the user's home, the real
  workspace and credential locations are hidden; no network; a pid namespace that dies
  with Escalator; memory, CPU and process-count limits. Where the machine does not
  permit it, the run degrades and ``limits_note`` says exactly what is not enforced;
* a scrubbed environment (an allow-list; nothing that looks like a key, token or secret;
  ``HOME`` and ``TMPDIR`` point inside the sandbox);
* output passed through the redactor before anyone reads it.

Sandboxes whose Escalator process died are removed by the next one (``escalator.reaper``).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

from escalator import confine, reaper
from escalator.config import ValidationConfig
from escalator.confine import Isolation, detect_isolation
from escalator.errors import InputError, SandboxError
from escalator.redact import SECRET_NAME, redact
from escalator.workspace import SKIP_DIRS, project_files

__all__ = [
    "PROJECT_ENVS",
    "SKIP_DIRS",
    "Isolation",
    "RunResult",
    "Sandbox",
    "SandboxLimits",
    "detect_isolation",
    "list_workspace_files",
]

# Environment variables passed through to sandboxed commands (others are dropped).
_ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "SHELL")
_ENV_ALLOW_PREFIX = ("LC_",)
# Toolchain locations kept (or defaulted from the real home) so rustup, cargo, Go and the
# JDK still find their installs once HOME points inside the sandbox.
_TOOLCHAIN_ENV = {
    "RUSTUP_HOME": ".rustup",
    "CARGO_HOME": ".cargo",
    "GOPATH": "go",
    "GOMODCACHE": "",
    "GOROOT": "",
    "JAVA_HOME": "",
}
# A project's own environments (not copied): kept readable in the runs' view.
PROJECT_ENVS = (".venv", "venv", "env")
# Heavy dependency folders that are linked (not copied) into the sandbox when present.
_LINKED_DIRS = ("node_modules",)


@dataclass(frozen=True)
class SandboxLimits:
    """What a sandboxed command may use: wall clock, CPU, memory, network, output."""

    timeout_s: float = 120.0
    cpu_s: int = 300
    memory_mb: int = 2048
    network: bool = False
    max_output_chars: int = 200_000
    max_processes: int = 256

    @classmethod
    def from_config(cls, cfg: ValidationConfig) -> SandboxLimits:
        return cls(
            timeout_s=cfg.timeout_s, cpu_s=cfg.cpu_s, memory_mb=cfg.memory_mb, network=cfg.network
        )


@dataclass(frozen=True)
class RunResult:
    """How a sandboxed command ended. ``exit_code`` is negative for a signal."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_ms: float
    limits_note: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout then stderr, for parsers that do not care which stream said what."""
        if self.stdout and self.stderr:
            return self.stdout.rstrip("\n") + "\n" + self.stderr
        return self.stdout or self.stderr


def list_workspace_files(workspace: Path) -> list[str]:
    """Relative POSIX paths of the workspace's files worth copying (``project_files``)."""
    return project_files(workspace)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_hash(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


class Sandbox:
    """A disposable copy of a workspace. Use as a context manager or call ``close()``."""

    def __init__(self, workspace: Path, limits: SandboxLimits, base_dir: Path) -> None:
        self.workspace = workspace
        self.limits = limits
        self._dir = base_dir
        self.root = base_dir / "work"
        self._pristine = base_dir / "base"
        self.home = base_dir / "home"
        self.tmp = base_dir / "tmp"
        self._io = base_dir / "io"
        self._hashes: dict[str, str] = {}
        self._touched: set[str] = set()
        self._runs = 0
        self._user = confine.run_as()
        self._linked: list[Path] = []
        self._view: confine.FsView | None = None
        self._kept: list[Path] = []
        self.closed = False

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, workspace: Path, limits: SandboxLimits | None = None) -> Sandbox:
        """Copy ``workspace`` into a fresh temp dir; InputError when it is not a directory."""
        workspace = Path(workspace).expanduser()
        if not workspace.is_dir():
            raise InputError(
                f"workspace {str(workspace)!r} is not a directory; pass an existing project dir"
            )
        workspace = workspace.resolve()
        _reap_once()
        try:
            base = Path(tempfile.mkdtemp(prefix=reaper.PREFIX))
            reaper.write_owner(base)
        except OSError as exc:
            raise SandboxError(f"cannot create a sandbox temp dir: {exc}") from exc
        box = cls(workspace, limits or SandboxLimits(), base)
        try:
            box._populate()
        except BaseException:
            box.close()
            raise
        return box

    def _populate(self) -> None:
        for d in (self.root, self._pristine, self.home, self.tmp, self._io):
            d.mkdir(parents=True)
        if self._user is not None:  # the unprivileged user must reach and own its dirs
            self._dir.chmod(0o711)
            for d in (self.root, self.home, self.tmp):
                os.chown(d, self._user, self._user)
        try:
            files = list_workspace_files(self.workspace)
            for rel in files:
                data = (self.workspace / rel).read_bytes()
                for dest_root in (self.root, self._pristine):
                    dest = dest_root / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
                    shutil.copymode(self.workspace / rel, dest)
                self._own(self.root / rel)
                self._hashes[rel] = _sha256(data)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SandboxError(f"cannot copy workspace {self.workspace}: {exc}") from exc
        for name in _LINKED_DIRS:
            if (self.workspace / name).is_dir() and not (self.root / name).exists():
                (self.root / name).symlink_to(self.workspace / name, target_is_directory=True)
                self._linked.append(self.workspace / name)

    def _own(self, path: Path) -> None:
        """Hand a file of the copy (and its new parent dirs) to the unprivileged user."""
        if self._user is None:
            return
        for p in (path, *path.parents):
            if p == self.root or not p.is_relative_to(self.root):
                break
            with contextlib.suppress(OSError):
                os.chown(p, self._user, self._user, follow_symlinks=False)

    def view(self) -> confine.FsView:
        """The filesystem view of this sandbox's runs (built once)."""
        if self._view is None:
            envs = [self.workspace / name for name in PROJECT_ENVS]
            keep = [*self._linked, *envs, *self._kept, *map(Path, _toolchain_env().values())]
            self._view = confine.build_view([self.root, self.home, self.tmp], self.workspace, keep)
        return self._view

    def keep_environment(self, python: Path) -> None:
        """Keep a project environment readable (its interpreter's venv and base Python),
        wherever it lives: the runs' view hides the workspace and the home."""
        env = python.parent.parent
        self._kept.append(env)
        try:
            cfg = (env / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cfg = ""
        for line in cfg.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                self._kept.append(Path(value.strip()).parent)
        self._view = None

    def close(self) -> None:
        """Delete the sandbox and everything in it (idempotent)."""
        if self.closed:
            return
        self.closed = True

        def _retry(func: object, path: str, _exc: object) -> None:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o700)
                os.chmod(os.path.dirname(path), 0o700)
                if callable(func):
                    func(path)

        shutil.rmtree(self._dir, onerror=_retry)
        if self._dir.exists():
            raise SandboxError(f"could not delete sandbox {self._dir}")

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- files

    def path(self, rel: str) -> Path:
        """The sandbox path of ``rel``; InputError when it would escape the sandbox."""
        pure = PurePosixPath(rel.replace("\\", "/"))
        if not rel or pure.is_absolute() or ".." in pure.parts:
            raise InputError(f"path {rel!r} must be relative to the workspace, without '..'")
        target = self.root / pure
        resolved = target.resolve()
        if resolved != self.root.resolve() and not resolved.is_relative_to(self.root.resolve()):
            raise InputError(f"path {rel!r} leads outside the sandbox (through a symlink)")
        return target

    def read_text(self, rel: str) -> str | None:
        """The file's text (UTF-8, undecodable bytes replaced) or None when it is absent."""
        path = self.path(rel)
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    def write_text(self, rel: str, text: str) -> None:
        """Create or replace a file in the sandbox (never in the workspace)."""
        path = self.path(rel)
        if path.is_dir():
            raise InputError(f"path {rel!r} is a directory, not a file")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self._own(path)
        self._touched.add(self._norm(rel))

    def delete(self, rel: str) -> None:
        """Delete a file from the sandbox; deleting an absent file is a no-op."""
        path = self.path(rel)
        if path.is_dir():
            raise InputError(f"path {rel!r} is a directory; delete files one by one")
        path.unlink(missing_ok=True)
        self._touched.add(self._norm(rel))

    @staticmethod
    def _norm(rel: str) -> str:
        return PurePosixPath(rel.replace("\\", "/")).as_posix()

    def original_text(self, rel: str) -> str | None:
        """The file's text as copied from the workspace, or None when it was not there."""
        self.path(rel)
        if self._norm(rel) not in self._hashes:
            return None
        return (self._pristine / rel).read_text(encoding="utf-8", errors="replace")

    @contextlib.contextmanager
    def swapped(self, files: Mapping[str, str | None]) -> Iterator[None]:
        """Temporarily set ``files`` (text, or None for absent); put the copy back after.

        The judge runs the tests this way with the original configuration restored and
        the answer's new test files set aside."""
        saved: dict[Path, bytes | None] = {}
        try:
            for rel, text in files.items():
                path = self.path(rel)
                saved[path] = path.read_bytes() if path.is_file() else None
                if text is None:
                    path.unlink(missing_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
                    self._own(path)
            yield
        finally:
            for path, data in saved.items():
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_bytes(data)

    def files(self) -> list[str]:
        """Relative paths of the sandbox's current files (original and written ones)."""
        return sorted(p for p in set(self._hashes) | self._touched if (self.root / p).is_file())

    def original_hashes(self) -> dict[str, str]:
        """SHA-256 of each original workspace file as copied, by relative path."""
        return dict(self._hashes)

    def workspace_changes(self) -> list[str]:
        """Files of the user's workspace that changed, appeared or vanished since the copy."""
        now = set(list_workspace_files(self.workspace))
        changed = [p for p in now | set(self._hashes) if p not in self._hashes or p not in now]
        changed += [
            p for p in now & set(self._hashes) if _file_hash(self.workspace / p) != self._hashes[p]
        ]
        return sorted(changed)

    def changed_files(self) -> dict[str, str | None]:
        """Changed or new files with their new text; None marks a deleted file."""
        out: dict[str, str | None] = {}
        for rel in self._candidates():
            new = self.root / rel
            if not new.is_file():
                if rel in self._hashes:
                    out[rel] = None
                continue
            if _file_hash(new) != self._hashes.get(rel):
                out[rel] = new.read_text(encoding="utf-8", errors="replace")
        return out

    def _candidates(self) -> list[str]:
        return sorted(set(self._hashes) | self._touched)

    def diff(self) -> str:
        """Unified diff, workspace as copied (a/) versus the sandbox now (b/)."""
        chunks = [self._diff_one(rel) for rel in self._candidates()]
        return "".join(c for c in chunks if c)

    def _diff_one(self, rel: str) -> str:
        old_path, new_path = self._pristine / rel, self.root / rel
        old = old_path.read_bytes() if rel in self._hashes and old_path.is_file() else None
        new = new_path.read_bytes() if new_path.is_file() else None
        if old == new:
            return ""
        header = f"diff --git a/{rel} b/{rel}\n"
        if old is None:
            header += "new file mode 100644\n"
        elif new is None:
            header += "deleted file mode 100644\n"
        if b"\0" in (old or b"") or b"\0" in (new or b""):
            return header + f"Binary files a/{rel} and b/{rel} differ\n"
        lines = difflib.unified_diff(
            _lines(old),
            _lines(new),
            fromfile=f"a/{rel}" if old is not None else "/dev/null",
            tofile=f"b/{rel}" if new is not None else "/dev/null",
        )
        body = "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines
        )
        return header + body

    # ----------------------------------------------------------------- running

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The scrubbed environment a sandboxed command sees."""
        env = {
            k: v
            for k, v in os.environ.items()
            if (k in _ENV_ALLOW or k.startswith(_ENV_ALLOW_PREFIX)) and not SECRET_NAME.search(k)
        }
        env.setdefault("PATH", os.defpath)
        env.update(_toolchain_env())
        env.update(
            HOME=str(self.home),
            TMPDIR=str(self.tmp),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=os.pathsep.join(self._python_path()),
            NO_COLOR="1",
        )
        env.update(extra or {})
        return env

    def _python_path(self) -> list[str]:
        # Put the copy's packages ahead of any editable install of the real workspace.
        paths = [str(self.root / "src")] if (self.root / "src").is_dir() else []
        return [*paths, str(self.root)]

    def run(
        self,
        command: str | Sequence[str],
        timeout_s: float | None = None,
        *,
        env: Mapping[str, str] | None = None,
        memory_mb: int | None = None,
        stdin: bytes | None = None,
    ) -> RunResult:
        """Run a shell string or an argv list in the sandbox root, confined and limited."""
        if self.closed:
            raise SandboxError("the sandbox is closed")
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        if not argv:
            raise InputError("empty command")
        timeout = self.limits.timeout_s if timeout_s is None else timeout_s
        limits = self._run_limits(memory_mb)
        isolation = detect_isolation()
        self._runs += 1
        out_path = self._io / f"{self._runs}.out"
        err_path = self._io / f"{self._runs}.err"
        start = time.monotonic()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            how = confine.launch(
                argv, cwd=self.root, view=self.view(), limits=limits, isolation=isolation
            )
            try:
                proc = subprocess.Popen(
                    how.argv,
                    cwd=self.root,
                    env=self.env(env),
                    stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                    stdout=out,
                    stderr=err,
                    **how.popen_kwargs(),
                )
            except OSError as exc:
                return self._failed_start(argv[0], exc, start, isolation)
            reaper.record_session(self._dir, proc.pid)
            code, timed_out = _wait(proc, timeout, stdin)
        note = (
            f"timeout {timeout:g}s, cpu {limits.cpu_s}s, memory {limits.memory_mb} MB, "
            f"{limits.max_processes} processes; " + isolation.describe(self.limits.network)
        )
        return RunResult(
            exit_code=code,
            stdout=self._read_capped(out_path),
            stderr=self._read_capped(err_path),
            timed_out=timed_out,
            duration_ms=(time.monotonic() - start) * 1000,
            limits_note=note,
        )

    def _run_limits(self, memory_mb: int | None) -> confine.RunLimits:
        return confine.RunLimits(
            memory_mb=self.limits.memory_mb if memory_mb is None else memory_mb,
            cpu_s=self.limits.cpu_s,
            max_processes=self.limits.max_processes,
            network=self.limits.network,
        )

    def _failed_start(
        self, program: str, exc: OSError, start: float, isolation: Isolation
    ) -> RunResult:
        return RunResult(
            exit_code=127,
            stdout="",
            stderr=f"cannot start {program}: {exc}",
            timed_out=False,
            duration_ms=(time.monotonic() - start) * 1000,
            limits_note=isolation.describe(self.limits.network),
        )

    def _read_capped(self, path: Path) -> str:
        text = path.read_bytes().decode("utf-8", errors="replace")
        cap = self.limits.max_output_chars
        if len(text) > cap:
            half = cap // 2
            text = f"{text[:half]}\n[... {len(text) - cap} chars cut ...]\n{text[-half:]}"
        return redact(text)

    def which(self, program: str) -> str | None:
        """Where ``program`` is on the sandbox's PATH (node_modules/.bin first)."""
        local = self.root / "node_modules" / ".bin" / program
        if local.exists():
            return str(local)
        return shutil.which(program, path=self.env().get("PATH"))


def _toolchain_env() -> dict[str, str]:
    out: dict[str, str] = {}
    real_home = Path.home()
    for name, default in _TOOLCHAIN_ENV.items():
        value = os.environ.get(name)
        if value:
            out[name] = value
        elif default and (real_home / default).is_dir():
            out[name] = str(real_home / default)
    return out


def _wait(proc: subprocess.Popen[bytes], timeout: float, stdin: bytes | None) -> tuple[int, bool]:
    """Wait for the command (feeding ``stdin``); kill its whole session after it ends."""
    timed_out = False
    try:
        proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        proc.wait()
    except BaseException:
        _kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        _kill_group(proc.pid)  # children that outlived the command
    return proc.returncode, timed_out


_REAPED: list[bool] = []


def _reap_once() -> None:
    """Remove sandboxes left by dead Escalator processes, once per process."""
    if not _REAPED:
        _REAPED.append(True)
        reaper.reap_stale()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def shell_join(parts: Iterable[str]) -> str:
    """Quote arguments for a ``/bin/sh -c`` command line."""
    return " ".join(shlex.quote(p) for p in parts)
