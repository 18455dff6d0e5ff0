"""A configuration that follows its file: reloaded on SIGHUP or when the file changes.

The long-lived MCP server must pick up a changed model id or price without a restart
that would drop running tasks. ``LiveConfig.current()`` is asked at the start of every
tool call: a task keeps the ``Config`` object it started with, new tasks get the newest.
A change is noticed by the file's modification time and size (one ``stat`` per call) or
by ``request_reload()`` (the SIGHUP handler only sets a flag). A new file that does not
parse or validate is refused: the error is logged and the old configuration stays.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from escalator.config import Config, load_config
from escalator.errors import ConfigError

__all__ = ["LiveConfig"]

log = logging.getLogger("escalator.config")

_Stamp = tuple[int, int] | None


def _file_of(config: Config) -> Path | None:
    """The file a configuration came from; None for the built-in defaults."""
    path = Path(config.source)
    return path if path.is_file() else None


def _stamp(path: Path | None) -> _Stamp:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class LiveConfig:
    """The current configuration of a long-lived process."""

    def __init__(
        self,
        initial: Config,
        *,
        explicit: str | os.PathLike[str] | None = None,
        loader: Callable[[str | os.PathLike[str] | None], Config] = load_config,
    ) -> None:
        self._config = initial
        self._explicit = explicit
        self._loader = loader
        self._path = _file_of(initial)
        self._stamp = _stamp(self._path)
        self._requested = False
        self._lock = threading.Lock()
        self.generation = 0
        self.last_error: str | None = None

    def request_reload(self) -> None:
        """Ask for a reload at the next ``current()`` (safe from a signal handler)."""
        self._requested = True

    def current(self) -> Config:
        """The configuration new work should use, reloading first if it changed."""
        with self._lock:
            stamp = _stamp(self._path)
            if self._requested or stamp != self._stamp:
                self._requested = False
                self._stamp = stamp
                self._reload()
            return self._config

    def _reload(self) -> None:
        try:
            fresh = self._loader(self._explicit or self._path)
        except ConfigError as exc:
            self.last_error = str(exc)
            log.error("config reload refused, keeping the running configuration: %s", exc)
            return
        self._config = fresh
        self._path = _file_of(fresh)
        self._stamp = _stamp(self._path)
        self.generation += 1
        self.last_error = None
        log.warning("config reloaded from %s (generation %d)", fresh.source, self.generation)
