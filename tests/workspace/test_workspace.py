"""The one listing of a project's files, the skip set and the test-file rule."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from escalator.workspace import SKIP_DIRS, gather_files, is_test_file, project_files, walk_files


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "rel",
    [
        "test_app.py",
        "pkg/app_test.py",
        "conftest.py",
        "sub/conftest.py",
        "tests/helpers.py",
        "tests/__init__.py",
        "test/fixtures/data.json",
        "src/test/java/AppTest.java",
        "web/__tests__/app.js",
        "spec/app_spec.rb",
        "app_spec.rb",
        "server_test.go",
        "web/app.test.ts",
        "web/app.spec.jsx",
        "tests\\windows.py",
    ],
)
def test_test_files_by_every_usual_convention(rel: str) -> None:
    assert is_test_file(rel)


@pytest.mark.parametrize(
    "rel",
    ["app.py", "pkg/contest.py", "testing.py", "src/latest.py", "attest/app.py", "test.py"],
)
def test_code_under_test_is_not_a_test_file(rel: str) -> None:
    assert not is_test_file(rel)


def test_walk_skips_tool_folders_but_not_build_or_hidden(tmp_path: Path) -> None:
    names = [f"{d}/x.py" for d in sorted(SKIP_DIRS)]
    _write(tmp_path, dict.fromkeys([*names, "src/build/a.py", ".github/ci.py", "b.py"], ""))
    assert sorted(walk_files(tmp_path)) == [".github/ci.py", "b.py", "src/build/a.py"]


def test_walk_prunes_what_the_predicate_ignores(tmp_path: Path) -> None:
    _write(tmp_path, dict.fromkeys(["keep/a.py", "drop/b.py", "keep/c.log"], ""))
    out = walk_files(tmp_path, lambda rel, name, is_dir: rel == "drop" or name.endswith(".log"))
    assert list(out) == ["keep/a.py"]


def test_project_files_in_git_lists_tracked_and_untracked_not_ignored(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {".gitignore": "out/\n", "a.py": "", "out/gen.py": "", ".venv/x.py": "", "new.txt": ""},
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert project_files(tmp_path) == [".gitignore", "a.py", "new.txt"]


def test_gather_shows_text_sources_outside_hidden_folders_smallest_first(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "big.py": "x" * 50,
            "small.py": "y",
            "notes.md": "zz",
            "logo.png": "p",
            ".idea/conf.xml": "h",
            ".config/settings.toml": "h",
            "node_modules/m/index.js": "n",
        },
    )
    assert list(gather_files(tmp_path, ())) == ["small.py", "notes.md", "big.py"]
    assert list(gather_files(tmp_path, (), budget_chars=3)) == ["small.py", "notes.md"]
    assert gather_files(tmp_path, ("small.py", "new.py")) == {"small.py": "y", "new.py": None}
