"""``escalator.__all__`` is the public API: each name resolves to the object its home module
exports, and no other public name leaks (httpx tests the same way)."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

import pytest

import escalator


def test_all_has_no_duplicates() -> None:
    assert len(escalator.__all__) == len(set(escalator.__all__))


def test_every_exported_name_is_its_home_modules_public_object() -> None:
    for name in escalator.__all__:
        value = getattr(escalator, name)
        if name == "__version__":
            assert isinstance(value, str)
            continue
        home = import_module(escalator._HOMES[name])
        assert name in getattr(home, "__all__", ()), f"{home.__name__} does not export {name}"
        assert getattr(home, name) is value, f"escalator.{name} is not {home.__name__}.{name}"


def test_no_public_name_is_left_out_of_all() -> None:
    for name in escalator.__all__:
        getattr(escalator, name)
    public = {
        name
        for name, value in vars(escalator).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public <= set(escalator.__all__), (
        f"public but not in __all__: {public - set(escalator.__all__)}"
    )
    assert set(escalator._HOMES) | {"__version__"} == set(escalator.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        escalator.no_such_name  # noqa: B018
