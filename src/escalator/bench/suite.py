"""Benchmark suites on disk: problems, recorded generations and model records.

The format is the one of ``shared/bench/<suite>/`` (see its README): ``problems.jsonl``,
``models.json`` and ``generations/<slug>.jsonl``. Loading validates everything a run
needs and raises ``InputError`` naming the file, line and field that is wrong.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalator.errors import InputError

__all__ = ["Generation", "ModelRecord", "Problem", "Suite", "load_outcomes", "load_suite"]

PROBLEM_FIELDS = ("id", "entry_point", "prompt", "context", "visible_tests", "hidden_test")
MODEL_FIELDS = ("slug", "price_in_per_mtok", "price_out_per_mtok")
GENERATION_FIELDS = ("id", "sample", "code")


@dataclass(frozen=True)
class Problem:
    """One problem: what a cascade may see (prompt, context, visible tests) and the rest."""

    id: str
    entry_point: str
    prompt: str
    context: str
    visible_tests: tuple[str, ...]
    hidden_test: str
    canonical_solution: str | None = None
    language: str = "python"


@dataclass(frozen=True)
class ModelRecord:
    """One recorded model: its slug, list prices and what the suite measured."""

    slug: str
    price_in_per_mtok: float
    price_out_per_mtok: float
    name: str = ""
    samples_per_problem: int = 1
    visible_pass_rate: float | None = None
    hidden_pass_rate: float | None = None

    @property
    def is_local(self) -> bool:
        return self.price_in_per_mtok == 0 and self.price_out_per_mtok == 0

    @property
    def price_key(self) -> float:
        return self.price_in_per_mtok + self.price_out_per_mtok

    def cost_usd(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.price_in_per_mtok + tokens_out * self.price_out_per_mtok) / 1e6


@dataclass(frozen=True)
class Generation:
    """One recorded answer: a full program defining the entry point, without the context."""

    problem_id: str
    sample: int
    code: str


@dataclass
class Suite:
    """A loaded suite. ``generations[slug][problem_id]`` lists samples in order."""

    name: str
    path: Path
    problems: list[Problem]
    models: list[ModelRecord]
    generations: dict[str, dict[str, list[Generation]]] = field(default_factory=dict)
    _by_id: dict[str, Problem] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.problems}

    def problem(self, problem_id: str) -> Problem:
        return self._by_id[problem_id]

    def model(self, slug: str) -> ModelRecord:
        for m in self.models:
            if m.slug == slug:
                return m
        known = ", ".join(m.slug for m in self.models)
        raise InputError(f"model {slug!r} is not in suite {self.name!r}; its models: {known}")

    def samples(self, slug: str, problem_id: str) -> list[Generation]:
        return self.generations.get(slug, {}).get(problem_id, [])

    def covers(self, slug: str, problem_id: str) -> bool:
        return bool(self.samples(slug, problem_id))

    def models_by_price(self) -> list[ModelRecord]:
        """Cheapest first (local first); equal prices: higher recorded visible pass first."""
        return sorted(
            self.models,
            key=lambda m: (m.price_key, -(m.visible_pass_rate or 0.0), m.slug),
        )

    def subset(self, limit: int | None) -> Suite:
        """The first ``limit`` problems (all when None)."""
        if limit is None or limit >= len(self.problems):
            return self
        return Suite(self.name, self.path, self.problems[:limit], self.models, self.generations)


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite folder; raises InputError naming what is missing."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"suite folder {root} does not exist: pass --suite DIR with a suite")
    problems = _load_problems(root / "problems.jsonl")
    models = _load_models(root / "models.json")
    ids = {p.id for p in problems}
    generations = {m.slug: _load_generations(root, m.slug, ids) for m in models}
    return Suite(root.name, root, problems, models, generations)


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(
            f"suite file {path} is missing: a suite folder needs problems.jsonl, models.json "
            "and generations/<slug>.jsonl for every model (see shared/bench/*/README.md)"
        )


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    _require_file(path)
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{number}: each line must be a JSON object")
            yield number, obj


def _check_fields(obj: Mapping[str, Any], names: tuple[str, ...], where: str) -> None:
    for name in names:
        if name not in obj:
            raise InputError(f"{where}: field {name!r} is missing")


def _text(obj: Mapping[str, Any], name: str, where: str) -> str:
    value = obj[name]
    if not isinstance(value, str):
        raise InputError(f"{where}: field {name!r} must be a string")
    return value


def _load_problems(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, obj in _jsonl(path):
        where = f"{path}:{number}"
        _check_fields(obj, PROBLEM_FIELDS, where)
        problem = _problem(obj, where)
        if problem.id in seen:
            raise InputError(f"{where}: problem id {problem.id!r} appears twice")
        seen.add(problem.id)
        problems.append(problem)
    if not problems:
        raise InputError(f"{path} holds no problems: add one JSON object per line")
    return problems


def _problem(obj: Mapping[str, Any], where: str) -> Problem:
    language = obj.get("language", "python")
    if language != "python":
        raise InputError(f"{where}: language {language!r} is not supported (only 'python')")
    tests = obj["visible_tests"]
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise InputError(f"{where}: field 'visible_tests' must be a list of strings")
    canonical = obj.get("canonical_solution")
    entry = _text(obj, "entry_point", where)
    if not entry.isidentifier():
        raise InputError(f"{where}: field 'entry_point' must be a Python name, not {entry!r}")
    return Problem(
        id=_text(obj, "id", where),
        entry_point=entry,
        prompt=_text(obj, "prompt", where),
        context=_text(obj, "context", where),
        visible_tests=tuple(tests),
        hidden_test=_text(obj, "hidden_test", where),
        canonical_solution=canonical if isinstance(canonical, str) else None,
    )


def _load_models(path: Path) -> list[ModelRecord]:
    _require_file(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: must be a non-empty JSON list of model records")
    models: list[ModelRecord] = []
    for index, obj in enumerate(data):
        where = f"{path}[{index}]"
        if not isinstance(obj, dict):
            raise InputError(f"{where}: each model record must be a JSON object")
        _check_fields(obj, MODEL_FIELDS, where)
        models.append(_model(obj, where))
    slugs = [m.slug for m in models]
    if len(set(slugs)) != len(slugs):
        raise InputError(f"{path}: a model slug appears twice")
    return models


def _number(obj: Mapping[str, Any], name: str, where: str) -> float:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"{where}: field {name!r} must be a number >= 0")
    return float(value)


def _optional_rate(obj: Mapping[str, Any], name: str) -> float | None:
    value = obj.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _model(obj: Mapping[str, Any], where: str) -> ModelRecord:
    slug = _text(obj, "slug", where)
    if not slug or "/" in slug or slug.startswith("."):
        raise InputError(f"{where}: field 'slug' must be a plain file name, not {slug!r}")
    samples = obj.get("samples_per_problem", 1)
    return ModelRecord(
        slug=slug,
        price_in_per_mtok=_number(obj, "price_in_per_mtok", where),
        price_out_per_mtok=_number(obj, "price_out_per_mtok", where),
        name=str(obj.get("name", slug)),
        samples_per_problem=samples if isinstance(samples, int) and samples > 0 else 1,
        visible_pass_rate=_optional_rate(obj, "visible_pass_rate"),
        hidden_pass_rate=_optional_rate(obj, "hidden_pass_rate"),
    )


def _load_generations(root: Path, slug: str, ids: set[str]) -> dict[str, list[Generation]]:
    path = root / "generations" / f"{slug}.jsonl"
    by_problem: dict[str, dict[int, Generation]] = {}
    for number, obj in _jsonl(path):
        where = f"{path}:{number}"
        _check_fields(obj, GENERATION_FIELDS, where)
        sample = obj["sample"]
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
            raise InputError(f"{where}: field 'sample' must be an integer >= 0")
        pid = _text(obj, "id", where)
        if pid not in ids:
            raise InputError(f"{where}: problem id {pid!r} is not in problems.jsonl")
        by_problem.setdefault(pid, {})[sample] = Generation(pid, sample, _text(obj, "code", where))
    return {pid: [s[k] for k in sorted(s)] for pid, s in by_problem.items()}


def load_outcomes(root: Path) -> dict[tuple[str, str, int], bool] | None:
    """``hidden_pass`` per (model, problem, sample) from the suite's outcomes.csv, if any."""
    path = root / "outcomes.csv"
    if not path.is_file():
        return None
    out: dict[tuple[str, str, int], bool] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), 2):
            try:
                key = (row["model"], row["id"], int(row["sample"]))
                out[key] = row["hidden_pass"].strip() == "1"
            except (KeyError, TypeError, ValueError, AttributeError):
                raise InputError(
                    f"{path}:{number}: needs model,id,sample,...,hidden_pass with an integer "
                    "sample; fix the row or remove outcomes.csv"
                ) from None
    return out
