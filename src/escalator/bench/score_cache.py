"""A persistent cache of scoring runs, so a second bench run re-runs nothing it scored.

A scoring run's result is a function of the program text (tests included), its time
limit, the scoring recipe and the interpreter: the key is a digest of exactly those
(``scoring.recipe_fingerprint`` covers the boot script, the limits, the child's
environment, the Python and numpy versions), so a change to any of them misses. Only
conclusive results are stored (``scoring.is_conclusive``): a run the wall-clock backstop
stopped, or one a signal from outside ended (SIGTERM, SIGKILL ...), says more about the
machine than about the program, and is run again next time.

The file is SQLite in WAL mode with a busy timeout (several bench runs may share it),
marked with its own application id. A file of ours that SQLite finds damaged is rebuilt
(it holds nothing but re-computable scores); a file that is not ours is never touched:
opening it is a clear error.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import platformdirs

from escalator.bench.scoring import ScoredRun, is_conclusive, recipe_fingerprint
from escalator.errors import InputError
from escalator.store.sql import remove_sqlite_files

__all__ = ["ScoreCache", "default_score_cache_path"]

APPLICATION_ID = 0x45534331  # "ESC1" in the SQLite header: this file is a score cache
BUSY_TIMEOUT_S = 30.0
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA = """
create table if not exists scores (
    key text primary key,
    passed integer not null,
    timed_out integer not null,
    over_limit integer not null,
    seconds real not null,
    returncode integer,
    cpu_s real,
    created real not null
)
"""


def default_score_cache_path() -> Path:
    """``escalator/scores.sqlite`` under the user's cache dir (XDG_CACHE_HOME or ~/.cache)."""
    return Path(platformdirs.user_cache_dir("escalator", appauthor=False)) / "scores.sqlite"


class ScoreCache:
    """Conclusive scoring results by (program text, limit, recipe); safe across threads."""

    def __init__(self, path: Path, *, fingerprint: str | None = None) -> None:
        self.path = path
        self._fingerprint = fingerprint if fingerprint is not None else recipe_fingerprint()
        self._lock = threading.Lock()
        self.errors = 0  # reads or writes that failed (a busy or damaged file): not fatal
        self._conn = _open(path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def key(self, text: str, timeout_s: float) -> str:
        digest = hashlib.sha256()
        for part in (self._fingerprint, repr(float(timeout_s)), text):
            digest.update(part.encode("utf-8", errors="surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def get(self, text: str, timeout_s: float) -> ScoredRun | None:
        """The stored result of running ``text`` under ``timeout_s``; None on a miss."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "select passed, timed_out, over_limit, seconds, returncode, cpu_s "
                    "from scores where key = ?",
                    (self.key(text, timeout_s),),
                ).fetchone()
        except sqlite3.Error:
            self._failed()
            return None
        if row is None:
            return None
        passed, timed_out, over_limit, seconds, returncode, cpu_s = row
        run = ScoredRun(bool(passed), bool(timed_out), seconds, returncode, cpu_s, bool(over_limit))
        return run if is_conclusive(run) else None  # stored by an older, laxer rule

    def put(self, text: str, timeout_s: float, run: ScoredRun) -> None:
        """Store ``run`` when it is conclusive (``scoring.is_conclusive``), in one
        transaction: a reader sees all of it or none."""
        if not is_conclusive(run):
            return
        values = (
            self.key(text, timeout_s),
            int(run.passed),
            int(run.timed_out),
            int(run.over_limit),
            run.seconds,
            run.returncode,
            run.cpu_s,
            time.time(),
        )
        try:
            with self._lock, self._conn:
                self._conn.execute(
                    "insert or replace into scores values (?, ?, ?, ?, ?, ?, ?, ?)", values
                )
        except sqlite3.Error:
            self._failed()

    def _failed(self) -> None:
        with self._lock:
            self.errors += 1


def _open(path: Path) -> sqlite3.Connection:
    """Open (creating or rebuilding where it is ours) the cache at ``path``."""
    if path.is_dir():
        raise InputError(f"--score-cache {path} is a directory; pass a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the score cache's folder {path.parent} ({exc}); "
            "pass --score-cache PATH or --no-score-cache"
        ) from None
    ours = _header_is_ours(path)
    try:
        return _connect(path)
    except sqlite3.OperationalError as exc:  # locked past the busy timeout, unwritable
        raise _unusable(path, str(exc)) from None
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        if not ours:
            raise _not_ours(path, str(exc)) from None
    remove_sqlite_files(path)  # a damaged cache of ours: it only held re-computable scores
    try:
        return _connect(path)
    except sqlite3.DatabaseError as exc:
        raise _unusable(path, str(exc)) from None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        app_id = conn.execute("pragma application_id").fetchone()[0]
        tables = conn.execute("select count(*) from sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and tables:
            raise _not_ours(path, "an SQLite database of something else")
        if conn.execute("pragma quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")  # WAL stays consistent; no fsync a put
        conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        with conn:
            conn.execute(f"pragma application_id = {APPLICATION_ID}")
            conn.execute(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def _header_is_ours(path: Path) -> bool:
    """Whether the file starts as an SQLite database with the cache's application id."""
    try:
        with path.open("rb") as fh:
            header = fh.read(72)
    except OSError:
        return False
    app_id = int.from_bytes(header[68:72], "big") if len(header) >= 72 else None
    return header.startswith(_SQLITE_MAGIC) and app_id == APPLICATION_ID


def _unusable(path: Path, why: str) -> InputError:
    return InputError(
        f"cannot use the score cache {path} ({why}); pass another --score-cache PATH, "
        "or --no-score-cache"
    )


def _not_ours(path: Path, why: str) -> InputError:
    return InputError(
        f"--score-cache {path} is not a score cache ({why}); pass another path, or --no-score-cache"
    )
