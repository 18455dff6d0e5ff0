"""The one extension table, read by prompts, the edit parser and the validators."""

from __future__ import annotations

import pytest

from escalator.languages import (
    FILE_SUFFIXES,
    FILE_TYPES,
    TEXT_SUFFIXES,
    compile_language,
    compile_suffixes,
    fence_language,
    fence_tags,
    grammar_for,
    suffix_of,
)


@pytest.mark.parametrize(
    ("path", "suffix"),
    [("a/b.PY", ".py"), (".env", ""), ("Makefile", ""), ("x.tar.gz", ".gz"), ("a\\b.rs", ".rs")],
)
def test_suffix_of(path: str, suffix: str) -> None:
    assert suffix_of(path) == suffix


def test_one_row_answers_every_question() -> None:
    assert fence_language("src/app.tsx") == "tsx"
    assert grammar_for("src/app.tsx") == "tsx"
    assert compile_language("src/app.tsx") == "typescript"
    assert fence_tags("a.h") == ("c", "cpp")
    assert compile_language("a.h") is None  # headers are compiled through their sources
    assert fence_tags("a.unknown") is None
    assert fence_language("Makefile") == ""


def test_compile_suffixes_cover_exactly_the_compiled_rows() -> None:
    by_lang = compile_suffixes()
    flat = {ext for exts in by_lang.values() for ext in exts}
    assert flat == {ext for ext, row in FILE_TYPES.items() if row.compiler}
    assert by_lang["python"] == (".py",)


def test_text_and_file_suffixes_contain_every_typed_row() -> None:
    assert set(FILE_TYPES) <= TEXT_SUFFIXES <= FILE_SUFFIXES
    assert ".txt" in TEXT_SUFFIXES and ".csv" in FILE_SUFFIXES - TEXT_SUFFIXES
