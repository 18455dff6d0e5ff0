"""Suite loading: the format, and clear errors naming what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalator.bench.suite import load_suite
from escalator.errors import InputError


def test_loads_tiny_suite(tiny_suite_dir: Path) -> None:
    suite = load_suite(tiny_suite_dir)
    assert [p.id for p in suite.problems] == ["Tiny/add", "Tiny/rev", "Tiny/clamp"]
    assert [m.slug for m in suite.models_by_price()] == ["free-weak", "free-multi", "paid-strong"]
    assert len(suite.samples("free-multi", "Tiny/rev")) == 2
    assert not suite.covers("free-multi", "Tiny/clamp")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_suite(tmp_path / "nope")


@pytest.mark.parametrize("name", ["problems.jsonl", "models.json", "generations/free-weak.jsonl"])
def test_missing_file_is_named(tiny_suite_dir: Path, name: str) -> None:
    (tiny_suite_dir / name).unlink()
    with pytest.raises(InputError, match=name.split("/")[-1]):
        load_suite(tiny_suite_dir)


def _rewrite_problems(folder: Path, edit: str, value: object) -> None:
    path = folder / "problems.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    if value is None:
        del rows[1][edit]
    else:
        rows[1][edit] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_missing_problem_field_names_line_and_field(tiny_suite_dir: Path) -> None:
    _rewrite_problems(tiny_suite_dir, "hidden_test", None)
    with pytest.raises(InputError, match=r"problems.jsonl:2: field 'hidden_test' is missing"):
        load_suite(tiny_suite_dir)


def test_bad_visible_tests_type(tiny_suite_dir: Path) -> None:
    _rewrite_problems(tiny_suite_dir, "visible_tests", "assert x")
    with pytest.raises(InputError, match="visible_tests"):
        load_suite(tiny_suite_dir)


def test_unsupported_language(tiny_suite_dir: Path) -> None:
    _rewrite_problems(tiny_suite_dir, "language", "rust")
    with pytest.raises(InputError, match="language 'rust'"):
        load_suite(tiny_suite_dir)


def test_model_missing_price(tiny_suite_dir: Path) -> None:
    models = json.loads((tiny_suite_dir / "models.json").read_text())
    del models[0]["price_out_per_mtok"]
    (tiny_suite_dir / "models.json").write_text(json.dumps(models))
    with pytest.raises(InputError, match="price_out_per_mtok"):
        load_suite(tiny_suite_dir)


def test_generation_for_unknown_problem(tiny_suite_dir: Path) -> None:
    with (tiny_suite_dir / "generations" / "free-weak.jsonl").open("a") as fh:
        fh.write(json.dumps({"id": "Other/1", "sample": 0, "code": "x = 1"}) + "\n")
    with pytest.raises(InputError, match=r"'Other/1' is not in problems\.jsonl"):
        load_suite(tiny_suite_dir)


def test_invalid_json_line(tiny_suite_dir: Path) -> None:
    with (tiny_suite_dir / "problems.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(InputError, match=r"problems.jsonl:4: not valid JSON"):
        load_suite(tiny_suite_dir)
