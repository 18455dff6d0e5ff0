"""How a command that runs model-written code is confined: filesystem view, namespaces, limits.

One view for everything that runs untrusted code (tests, compile, benchmark, agreement):

* writable: only the sandbox copy, its private home and its private temp dir;
* readable, not writable: the toolchains (the interpreter, the virtual environment, the
  ``PATH`` directories and ``RUSTUP_HOME``-style installs), even when they live under a
  hidden directory (a venv in ``~/``), and the system directories;
* hidden (an empty read-only directory in their place): ``/home``, ``/root``, ``$HOME``,
  the real workspace, ``/tmp``, ``/var/tmp``, ``/run``, ``/mnt``, ``/media``, and the
  credential locations (``~/.ssh``, ``~/.aws``, ``~/.config/gcloud``, ``~/.netrc``,
  keyrings ...) even inside a directory that was bound back.

The strongest mode the machine permits is used, detected once per process:

``bwrap``   bubblewrap: user, pid, net, ipc, uts and cgroup namespaces; ``/`` read-only;
            the view above; dies with Escalator (``--die-with-parent``).
``unshare`` util-linux ``unshare``: the same namespaces and view built by a mount script;
            capabilities dropped before the command; system directories rely on their
            permissions (not remounted read-only); dies with Escalator (parent-death
            signal, ``--kill-child``).
``none``    no namespaces (macOS, containers without user namespaces): only the limits.

In every mode: RLIMIT_AS, RLIMIT_CPU, RLIMIT_NPROC (per user namespace, so it bounds
the sandbox's own processes) and no core dumps, set by ``prlimit``; a scrubbed
environment (``escalator.sandbox``). Running as root, the command runs as the
unprivileged uid 65534: root-only files stay unreadable, and the kernel would ignore
RLIMIT_NPROC for root.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CREDENTIAL_PATHS",
    "NOBODY",
    "FsView",
    "Isolation",
    "Launch",
    "RunLimits",
    "build_view",
    "detect_isolation",
    "launch",
    "run_as",
]

Mode = Literal["bwrap", "unshare", "none"]
NOBODY = 65534
# Relative to a home directory: hidden even inside a directory bound back into the view.
CREDENTIAL_PATHS = (
    ".ssh",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".config/gh",
    ".netrc",
    ".git-credentials",
    ".gnupg",
    ".password-store",
    ".docker",
    ".kube",
    ".pypirc",
    ".npmrc",
    ".local/share/keyrings",
    "Library/Keychains",
)
_SYSTEM_HIDDEN = ("/home", "/root", "/tmp", "/var/tmp", "/run", "/mnt", "/media", "/Users")
_TOOLCHAIN_VARS = ("RUSTUP_HOME", "CARGO_HOME", "GOROOT", "GOPATH", "GOMODCACHE", "JAVA_HOME")
_ALL_ENFORCED = (
    "filesystem view (home, /root, workspace, /tmp and credentials hidden; toolchains read-only)",
    "no network",
    "pid namespace",
    "all processes die with escalator",
)


@dataclass(frozen=True)
class RunLimits:
    """Per-run limits the launcher sets: memory (MB), CPU seconds, process count."""

    memory_mb: int = 2048
    cpu_s: int = 300
    max_processes: int = 256
    network: bool = False


@dataclass(frozen=True)
class Isolation:
    """What this machine lets Escalator enforce, and exactly what it does not."""

    mode: Mode
    note: str
    not_enforced: tuple[str, ...] = ()

    @property
    def namespaces(self) -> bool:
        return self.mode != "none"

    def describe(self, network_allowed: bool) -> str:
        """One line for ``limits_note``: the mode, then what is not enforced."""
        parts = [self.note]
        if self.namespaces:
            parts.append("network allowed by config" if network_allowed else "no network")
        if self.not_enforced:
            parts.append("NOT enforced: " + "; ".join(self.not_enforced))
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "note": self.note, "not_enforced": list(self.not_enforced)}


@dataclass(frozen=True)
class FsView:
    """Paths of the filesystem view; every path absolute and resolved."""

    writable: tuple[Path, ...]
    keep: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()
    secrets: tuple[Path, ...] = ()

    def under_hidden(self, path: Path) -> bool:
        return any(path.is_relative_to(h) for h in self.hidden)


@dataclass
class Launch:
    """How to start the confined command: argv plus the ``Popen`` arguments it needs."""

    argv: list[str]
    user: int | None = None

    def popen_kwargs(self) -> dict[str, Any]:
        """``user``/``group``/``start_new_session`` for ``subprocess.Popen`` or asyncio."""
        kwargs: dict[str, Any] = {"start_new_session": True}
        if self.user is not None:
            kwargs.update(user=self.user, group=self.user, extra_groups=[])
        return kwargs


def run_as() -> int | None:
    """The uid sandboxed commands run as: nobody when Escalator is root, else unchanged."""
    return NOBODY if hasattr(os, "geteuid") and os.geteuid() == 0 else None


# ----------------------------------------------------------------------- detection


@functools.cache
def detect_isolation() -> Isolation:
    """The strongest mode that works here (probed once per process)."""
    if not sys.platform.startswith("linux"):
        return _none(f"{sys.platform} has no unprivileged namespaces")
    bwrap = shutil.which("bwrap")
    if bwrap is not None:
        why = _probe([bwrap, *_bwrap_base(False), "--", *_drop_root(), "/bin/true"])
        if why is None:
            return Isolation("bwrap", "bubblewrap: user+net+mount+pid namespace")
    else:
        why = "bubblewrap (bwrap) is not installed"
    unshare = shutil.which("unshare")
    if unshare is None:
        return _none(f"{why}; 'unshare' (util-linux) is not installed either")
    why2 = _probe([unshare, *_unshare_flags(False), "--", *_drop_root(), "/bin/true"])
    if why2 is None:
        return Isolation(
            "unshare",
            f"unshare: user+net+mount+pid namespace ({why})",
            ("system directories are read-only only by their permissions",),
        )
    return _none(f"{why}; unprivileged user namespaces are not permitted ({why2})")


def _none(reason: str) -> Isolation:
    return Isolation(
        "none",
        f"not isolated: {reason}",
        (*_ALL_ENFORCED, *_degraded_gaps()),
    )


def _degraded_gaps() -> tuple[str, ...]:
    if _degraded_user() is not None:
        return ()
    if run_as() is None:
        return ("processes outside the direct child after escalator dies (reaped at next start)",)
    return (
        "runs as root (the toolchain is not readable by nobody): root-only files readable, "
        "process-count limit ignored by the kernel",
        "processes outside the direct child after escalator dies (reaped at next start)",
    )


def _probe(argv: list[str]) -> str | None:
    """None when ``argv`` runs, else the last line it printed about why not."""
    try:
        probe = subprocess.run(argv, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if probe.returncode == 0:
        return None
    lines = probe.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit {probe.returncode}"


def _bwrap_base(network: bool) -> list[str]:
    """Namespaces and the read-only root. As root no user namespace: the command drops to
    nobody itself (``_drop_root``), so the kernel sees a non-root uid (RLIMIT_NPROC,
    root-only files) while bubblewrap, as root, can still reach a toolchain under /root."""
    if run_as() is None:
        spaces = ["--unshare-all", *(["--share-net"] if network else [])]
    else:
        spaces = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        spaces += [] if network else ["--unshare-net"]
        spaces += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [
        "--die-with-parent",
        "--new-session",
        *spaces,
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]


def _unshare_flags(network: bool) -> list[str]:
    user = ["-r"] if run_as() is None else []
    return [
        *user,
        "-m",
        "-p",
        "--fork",
        "--kill-child",
        "--mount-proc",
        *([] if network else ["-n"]),
    ]


def _drop_root() -> list[str]:
    """The prefix that leaves root (and every capability) before the untrusted command."""
    setpriv = shutil.which("setpriv") or "setpriv"
    caps = ["--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]
    user = run_as()
    if user is None:
        return [setpriv, *caps, "--"]
    ids = [f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    return [setpriv, *ids, *caps, "--"]


# ----------------------------------------------------------------------- the view


def build_view(
    writable: Sequence[Path], workspace: Path | None, keep: Sequence[Path] = ()
) -> FsView:
    """The view for a run writing only ``writable``, hiding ``workspace``; ``keep`` (and
    the toolchains) stay readable."""
    rw = tuple(_real(p) for p in writable)
    home = _real(Path(os.environ.get("HOME") or Path.home()))
    candidates = [Path(p) for p in _SYSTEM_HIDDEN] + [home, Path(tempfile.gettempdir())]
    if workspace is not None:
        candidates.append(workspace)
    hidden = _outermost(p for p in (_real(c) for c in candidates) if _hideable(p))
    needed = [*_toolchain_paths(), *(_real(k) for k in keep if k.is_dir())]
    kept = tuple(k for k in _outermost(needed) if any(k.is_relative_to(h) for h in hidden))
    homes = {home, *(_children(Path("/home"))), Path("/root")}
    exposed = kept + rw
    secrets = tuple(
        sorted(
            s
            for h in homes
            for s in (h / rel for rel in CREDENTIAL_PATHS)
            if any(s.is_relative_to(e) for e in exposed) and (s.is_dir() or s.is_file())
        )
    )
    return FsView(writable=rw, keep=kept, hidden=hidden, secrets=secrets)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _hideable(path: Path) -> bool:
    return path != Path("/") and path.is_dir()


def _children(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []


def _outermost(paths: Iterable[Path]) -> tuple[Path, ...]:
    """Drop duplicates and paths nested inside another of ``paths``."""
    out: list[Path] = []
    for p in sorted(set(paths), key=lambda q: len(q.parts)):
        if not any(p.is_relative_to(o) for o in out):
            out.append(p)
    return tuple(sorted(out))


def _toolchain_paths() -> list[Path]:
    """What a run needs to read: the interpreter, its venv, PATH dirs, toolchain installs."""
    raw = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)]
    raw.append(str(Path(__file__).resolve().parent))  # escalator's own modules (harnesses)
    raw += [os.environ[v] for v in _TOOLCHAIN_VARS if os.environ.get(v)]
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and os.path.isabs(entry):
            raw.append(entry)
            parent = os.path.dirname(entry)
            # ~/.cargo/bin -> ~/.cargo; not ~/bin -> ~ nor ~/.local/bin -> ~/.local;
            # x/node_modules/.bin -> x/node_modules (its entries link into the packages)
            if os.path.basename(entry) in ("bin", ".bin") and os.path.basename(parent) != ".local":
                raw.append(parent)
    home = _real(Path(os.environ.get("HOME") or Path.home()))
    paths = {_real(Path(p)) for p in raw}
    return [p for p in paths if p.is_dir() and p != home and not home.is_relative_to(p)]


# ----------------------------------------------------------------------- launching


def launch(
    argv: Sequence[str],
    *,
    cwd: Path,
    view: FsView,
    limits: RunLimits,
    isolation: Isolation | None = None,
) -> Launch:
    """The argv (and Popen arguments) that run ``argv`` confined by ``view`` and ``limits``."""
    isolation = isolation or detect_isolation()
    inner = [*_limit_prefix(limits), *argv]
    if isolation.mode == "bwrap":
        return _bwrap_launch(view, limits, cwd, inner)
    if isolation.mode == "unshare":
        return _unshare_launch(view, limits, cwd, inner)
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
    return Launch([*prefix, *inner], user=_degraded_user())


@functools.cache
def _degraded_user() -> int | None:
    """Without a view, nobody can only run toolchains it can reach: else stay as is."""
    user = run_as()
    if user is None or all(_reachable(k) for k in _toolchain_paths()):
        return user
    return None


def _reachable(path: Path) -> bool:
    """Whether any user (the 'other' permission bits) can reach and read ``path``."""
    try:
        for p in [*reversed(path.parents), path]:
            mode = p.stat().st_mode
            if not mode & 0o001:
                return False
        return bool(path.stat().st_mode & 0o004)
    except OSError:
        return False


def _limit_prefix(limits: RunLimits) -> list[str]:
    prlimit = shutil.which("prlimit")
    mem = limits.memory_mb * 1024 * 1024
    if prlimit is not None:
        nproc = limits.max_processes
        return [
            prlimit,
            f"--as={mem}",
            f"--cpu={limits.cpu_s}",
            f"--nproc={nproc}",
            "--core=0",
            "--",
        ]
    wrapper = 'ulimit -v "$1" 2>/dev/null; ulimit -t "$2" 2>/dev/null; shift 2; exec "$@"'
    return ["/bin/sh", "-c", wrapper, "sh", str(mem // 1024), str(limits.cpu_s)]


def _bwrap_launch(view: FsView, limits: RunLimits, cwd: Path, inner: list[str]) -> Launch:
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, *_bwrap_base(limits.network)]
    for h in view.hidden:
        args += ["--tmpfs", str(h)]
    for d in _between(view):  # else bubblewrap makes them 0700 and nobody cannot pass
        args += ["--perms", "0755", "--dir", str(d)]
    for k in view.keep:
        args += ["--ro-bind", str(k), str(k)]
    for w in view.writable:
        args += ["--bind", str(w), str(w)]
    for h in view.hidden:
        args += ["--remount-ro", str(h)]
    for s in view.secrets:
        args += ["--tmpfs", str(s), "--remount-ro", str(s)] if s.is_dir() else []
        args += [] if s.is_dir() else ["--ro-bind", "/dev/null", str(s)]
    return Launch([*args, "--chdir", str(cwd), "--", *_drop_root(), *inner])


def _between(view: FsView) -> list[Path]:
    """Directories between a hidden root and a path bound back inside it, outermost first."""
    out: set[Path] = set()
    for path in (*view.keep, *view.writable):
        for h in view.hidden:
            if path.is_relative_to(h) and path != h:
                out.update(p for p in path.parents if p.is_relative_to(h) and p != h)
    return sorted(out, key=lambda p: len(p.parts))


def _unshare_launch(view: FsView, limits: RunLimits, cwd: Path, inner: list[str]) -> Launch:
    """unshare + a mount script. The dirs to bind back are first bound into a staging
    tmpfs on /dev/shm (their paths are under a hidden dir afterwards), which is then
    covered by an empty read-only tmpfs (hiding the host's /dev/shm as well)."""
    paths = [(k, True) for k in view.keep] + [(w, False) for w in view.writable]
    lines = ["set -e", f"mount -t tmpfs -o mode=0700 escalator {_STAGE}"]
    for i, (path, _) in enumerate(paths):
        lines.append(f"mkdir {_STAGE}/{i} && mount --bind {_q(path)} {_STAGE}/{i}")
    for h in view.hidden:
        lines.append(f"mount -t tmpfs -o mode=0755 escalator {_q(h)}")
    for i, (path, ro) in enumerate(paths):
        lines.append(f"mkdir -p {_q(path)} && mount --bind {_STAGE}/{i} {_q(path)}")
        if ro:
            lines.append(f"mount -o remount,bind,ro {_q(path)}")
    for h in view.hidden:
        lines.append(f"mount -o remount,ro {_q(h)}")
    for s in view.secrets:
        what = "-t tmpfs -o ro escalator" if s.is_dir() else "--bind /dev/null"
        lines.append(f"mount {what} {_q(s)}")
    lines += [f"mount -t tmpfs -o ro escalator {_STAGE}", f"cd {_q(cwd)}", 'exec "$@"']
    setpriv = shutil.which("setpriv") or "setpriv"
    unshare = shutil.which("unshare") or "unshare"
    argv = [setpriv, "--pdeathsig", "KILL", "--", unshare, *_unshare_flags(limits.network)]
    argv += ["--", "/bin/sh", "-c", "\n".join(lines), "sh", *_drop_root(), *inner]
    return Launch(argv)


_STAGE = "/dev/shm"


def _q(path: Path) -> str:
    text = str(path)
    return "'" + text.replace("'", "'\"'\"'") + "'"
