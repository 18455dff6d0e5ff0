"""Reading one TOML table: typed getters that name the key and what it accepts, and
rejection of unknown keys; the merge of a user's file over the defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from escalator.errors import ConfigError

__all__ = ["Section", "merge"]


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class Section:
    """Reads one TOML table, checking types and rejecting unknown keys."""

    def __init__(self, path: str, table: Any, source: str) -> None:
        self.path = path
        self.source = source
        if not isinstance(table, Mapping):
            self.fail(path, table, "must be a table")
        self.table: Mapping[str, Any] = table
        self.used: set[str] = set()

    def fail(self, key: str, value: Any, allowed: str) -> None:
        raise ConfigError(key, f"value {value!r} is invalid: {allowed}", source=self.source)

    def _get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        return self.table.get(key, default)

    def text(self, key: str, default: Any = None, *, choices: tuple[str, ...] = ()) -> Any:
        value = self._get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or (choices and value not in choices):
            allowed = f"one of {', '.join(choices)}" if choices else "a string"
            self.fail(f"{self.path}.{key}", value, f"must be {allowed}")
        return value

    def number(self, key: str, default: Any, *, minimum: float = 0.0, integer: bool = False) -> Any:
        value = self._get(key, default)
        if value is None:
            return None
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or value < minimum:
            kind = "an integer" if integer else "a number"
            self.fail(f"{self.path}.{key}", value, f"must be {kind} >= {minimum:g}")
        return int(value) if integer else float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{self.path}.{key}", value, "must be true or false")
        return bool(value)

    def texts(
        self,
        key: str,
        default: Any,
        *,
        check: Callable[[str], bool] | None = None,
        allowed: str = "",
    ) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{self.path}.{key}", value, "must be a list of strings")
        for item in value:
            if check is not None and not check(item):
                self.fail(f"{self.path}.{key}", item, allowed)
        return tuple(value)

    def table_of(self, key: str) -> Mapping[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, Mapping):
            self.fail(f"{self.path}.{key}", value, "must be a table")
        table: Mapping[str, Any] = value
        return table

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise ConfigError(
                f"{self.path}.{unknown[0]}",
                f"is not a known key (known keys here: {known})",
                source=self.source,
            )
