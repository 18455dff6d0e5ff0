"""The benchmark validator running real commands in a sandbox."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from escalator.config import ValidationConfig
from escalator.validate.benchmark import check_benchmark, parse_measurement
from escalator.validate.verdict import Status
from tests.validate.conftest import MakeBox

BENCH = "import json, sys\nprint('warming up')\nprint(json.dumps({'ms': {'p50': 12.5}}))\n"


def _cfg(**kw: object) -> ValidationConfig:
    return replace(ValidationConfig(), **kw)  # type: ignore[arg-type]


def test_last_line_number_lower_is_better(make_box: MakeBox) -> None:
    box = make_box({"b.sh": "echo 'run 1'\necho 'time: 42.5 ms'\n"})
    ok = check_benchmark(box, _cfg(benchmark_command="sh b.sh", benchmark_target=50.0))
    assert ok.status is Status.PASSED
    assert ok.details["value"] == 42.5
    slow = check_benchmark(box, _cfg(benchmark_command="sh b.sh", benchmark_target=40.0))
    assert slow.status is Status.FAILED
    assert "measured 42.5, target 40" in slow.feedback


def test_json_field_higher_is_better(make_box: MakeBox) -> None:
    box = make_box({"bench.py": BENCH})
    cfg = _cfg(
        benchmark_command=f"{sys.executable} bench.py",
        benchmark_field="ms.p50",
        benchmark_target=10.0,
        benchmark_direction="higher",
    )
    verdict = check_benchmark(box, cfg)
    assert verdict.status is Status.PASSED
    assert verdict.details["value"] == 12.5


def test_unconfigured_is_skipped_and_no_target_only_measures(make_box: MakeBox) -> None:
    box = make_box({"b.sh": "echo 3\n"})
    assert check_benchmark(box, _cfg()).status is Status.SKIPPED
    measured = check_benchmark(box, _cfg(benchmark_command="sh b.sh"))
    assert measured.status is Status.SKIPPED
    assert measured.details["value"] == 3.0


def test_no_number_is_error_and_crash_is_failure(make_box: MakeBox) -> None:
    box = make_box({"b.sh": "echo done\n"})
    no_number = check_benchmark(box, _cfg(benchmark_command="sh b.sh", benchmark_target=1.0))
    assert no_number.status is Status.ERROR
    crash = check_benchmark(
        box, _cfg(benchmark_command="echo Traceback boom >&2; exit 2", benchmark_target=1.0)
    )
    assert crash.status is Status.FAILED
    assert "Traceback boom" in crash.feedback


def test_parse_measurement() -> None:
    assert parse_measurement("a\n\nscore=1.5e3\n") == 1500.0
    assert parse_measurement('{"a": 1}\n{"a": 2}\n', "a") == 2.0
    with pytest.raises(ValueError):
        parse_measurement('{"a": "x"}', "a")
    with pytest.raises(ValueError):
        parse_measurement("")
