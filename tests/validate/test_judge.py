"""The judge's decision on its own: which changes would rewrite the tests or how they run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from escalator.validate.judge import review_changes

PYPROJECT = '[project]\nname = "x"\nversion = "1"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'


def _rule(
    changes: Mapping[str, str | None],
    originals: Mapping[str, str | None] | None = None,
    **kw: Any,
) -> tuple[list[str], list[str]]:
    ruling = review_changes(changes, originals or {}, **kw)
    return [p for p, _ in ruling.rejected], list(ruling.new_tests)


@pytest.mark.parametrize(
    "path",
    [
        "conftest.py",
        "tests/conftest.py",
        "deep/pkg/conftest.py",
        "pytest.ini",
        "noxfile.py",
        "sitecustomize.py",
        "lib/usercustomize.py",
        "evil.pth",
        "jest.config.js",
        "vitest.config.ts",
        ".mocharc.yml",
        ".cargo/config.toml",
        "build.rs",
    ],
)
def test_new_or_changed_test_configuration_is_rejected(path: str) -> None:
    assert _rule({path: "x"}) == ([path], [])
    assert _rule({path: "y"}, {path: "x"}) == ([path], [])


def test_handed_over_files_may_change() -> None:
    assert _rule({"conftest.py": "x", "tests/test_a.py": "y"}, handed_over=["./conftest.py"]) == (
        [],
        ["tests/test_a.py"],
    )
    assert _rule({"test_a.py": "new"}, {"test_a.py": "old"}, handed_over=["test_a.py"]) == (
        [],
        [],
    )


def test_existing_tests_may_not_change_or_go_new_tests_are_set_apart() -> None:
    originals: dict[str, str | None] = {"test_calc.py": "old", "tests/test_b.py": "old"}
    changes: dict[str, str | None] = {
        "test_calc.py": "new",
        "tests/test_b.py": None,
        "tests/test_new.py": "def test_x(): pass",
        "calc.py": "def add(a, b): return a + b",
    }
    rejected, new = _rule(changes, originals)
    assert rejected == ["test_calc.py", "tests/test_b.py"]
    assert new == ["tests/test_new.py"]


def test_pyproject_only_its_pytest_tables_count() -> None:
    other = PYPROJECT.replace('version = "1"', 'version = "2"')
    assert _rule({"pyproject.toml": other}, {"pyproject.toml": PYPROJECT}) == ([], [])
    deselect = PYPROJECT.replace('"-q"', '"-q --deselect test_calc.py::test_add"')
    assert _rule({"pyproject.toml": deselect}, {"pyproject.toml": PYPROJECT})[0] == [
        "pyproject.toml"
    ]
    added = '[project]\nname = "x"\n'
    assert _rule({"pyproject.toml": PYPROJECT}, {"pyproject.toml": added})[0] == ["pyproject.toml"]
    assert _rule({"pyproject.toml": "not [toml"}, {"pyproject.toml": PYPROJECT})[0] == [
        "pyproject.toml"
    ]


@pytest.mark.parametrize(
    "name, before, after",
    [
        (
            "setup.cfg",
            "[metadata]\nname = x\n",
            "[metadata]\nname = x\n[tool:pytest]\naddopts=-x\n",
        ),
        ("tox.ini", "[tox]\nenvlist = py\n", "[tox]\nenvlist = py\n[pytest]\naddopts = -p no\n"),
        (
            "package.json",
            '{"name": "a", "scripts": {"test": "jest"}}',
            '{"name": "a", "scripts": {"test": "true"}}',
        ),
        (
            "Cargo.toml",
            '[package]\nname = "t"\n',
            '[package]\nname = "t"\n[lib]\nharness = false\n',
        ),
    ],
)
def test_test_sections_of_shared_files(name: str, before: str, after: str) -> None:
    assert _rule({name: after}, {name: before})[0] == [name]


def test_shared_files_outside_their_test_sections_may_change() -> None:
    pkg = '{"name": "a", "scripts": {"test": "jest"}, "dependencies": {}}'
    more = pkg.replace('"dependencies": {}', '"dependencies": {"left-pad": "1"}')
    cfg = "[metadata]\nname = x\n[tool:pytest]\naddopts = -q\n"
    assert _rule(
        {"package.json": more, "setup.cfg": cfg.replace("x", "y")},
        {"package.json": pkg, "setup.cfg": cfg},
    ) == ([], [])


def test_the_test_commands_own_files() -> None:
    script = {"scripts/run_tests.sh": "exit 0", "Makefile": "test:\n\ttrue\n"}
    originals: dict[str, str | None] = {"scripts/run_tests.sh": "pytest", "Makefile": "x"}
    rejected, _ = _rule(script, originals, test_command="bash ./scripts/run_tests.sh")
    assert rejected == ["scripts/run_tests.sh"]
    rejected, _ = _rule(script, originals, test_command="make test")
    assert rejected == ["Makefile"]


@pytest.mark.parametrize("path", ["pytest.py", "src/json.py", "_pytest/__init__.py", "re.py"])
def test_new_modules_shadowing_the_runner_or_stdlib(path: str) -> None:
    assert _rule({path: "import os; os._exit(0)"})[0] == [path]


def test_ordinary_code_passes_and_feedback_names_each_file() -> None:
    assert _rule({"calc.py": "x", "pkg/json_utils.py": "y", "src/app/main.py": "z"}) == ([], [])
    ruling = review_changes({"conftest.py": "x", "pytest.ini": "y"}, {})
    assert not ruling.allowed
    text = ruling.feedback()
    assert "conftest.py: test configuration" in text and "pytest.ini" in text
    assert "Change the code under test instead" in text
