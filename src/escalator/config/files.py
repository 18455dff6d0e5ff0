"""Which config file is in effect (the lookup order), and loading it."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from escalator.config.parse import parse_config
from escalator.config.schema import Config
from escalator.errors import ConfigError

__all__ = [
    "ConfigLocation",
    "default_config",
    "find_config_file",
    "load_config",
    "locate_config",
    "user_config_path",
]


def default_config() -> Config:
    """The built-in defaults: the seed plan's registry and matrix."""
    return parse_config({}, source="built-in defaults")


@dataclass(frozen=True)
class ConfigLocation:
    """Which config file is in effect and which step of the lookup order chose it.

    ``path`` is None when no file is found: the built-in defaults are in effect.
    ``searched`` lists the places looked at, in order.
    """

    path: Path | None
    via: str
    searched: tuple[str, ...]


def user_config_path() -> Path:
    """The per-user config file (``~/.config/escalator/config.toml`` on Linux)."""
    return Path(platformdirs.user_config_dir("escalator", appauthor=False)) / "config.toml"


def locate_config(explicit: str | os.PathLike[str] | None = None) -> ConfigLocation:
    """The config file to use, by the documented lookup order, with the step that chose it."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                "--config",
                f"file {str(path)!r} does not exist; "
                f"run 'escalator init --path {path}' to create it",
            )
        return ConfigLocation(path, "--config", (f"--config {path}",))
    env = os.environ.get("ESCALATOR_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(
                "ESCALATOR_CONFIG",
                f"points at {str(path)!r}, which does not exist; unset it or create the file",
            )
        return ConfigLocation(path, "$ESCALATOR_CONFIG", (f"$ESCALATOR_CONFIG={path}",))
    local = Path.cwd() / "escalator.toml"
    user = user_config_path()
    searched = ("--config (not given)", "$ESCALATOR_CONFIG (not set)", str(local), str(user))
    if local.is_file():
        return ConfigLocation(local, "./escalator.toml", searched)
    if user.is_file():
        return ConfigLocation(user, "user config dir", searched)
    return ConfigLocation(None, "built-in defaults", searched)


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use, by the documented lookup order, or None for defaults."""
    return locate_config(explicit).path


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Find, read, merge and validate the configuration."""
    path = find_config_file(explicit)
    if path is None:
        return default_config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", f"is not valid TOML: {exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "(file)",
            f"is not UTF-8 text (byte {exc.start} cannot be decoded); save it as UTF-8, "
            "or run 'escalator init --force' to write a fresh default",
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError("(file)", f"cannot be read: {exc}", source=str(path)) from None
    return parse_config(data, source=str(path))


# --------------------------------------------------------------------------- parsing
