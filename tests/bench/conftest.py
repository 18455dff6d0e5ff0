"""A tiny suite written by the tests: other problems and other models than shared/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

HIDDEN_ADD = """
def check(candidate):
    assert candidate(2, 3) == 5
    assert candidate(-1, 1) == 0
    assert candidate(10, 5) == 15
"""

HIDDEN_REV = """
def check(candidate):
    assert candidate("abc") == "cba"
    assert candidate("") == ""
    assert candidate("ab cd") == "dc ba"
"""

HIDDEN_CLAMP = """
import numpy as np
def check(candidate):
    assert np.allclose(candidate(5.0, 0.0, 1.0), 1.0)
    assert np.allclose(candidate(-5.0, 0.0, 1.0), 0.0)
    assert np.allclose(candidate(0.5, 0.0, 1.0), 0.5)
"""

PROBLEMS: list[dict[str, Any]] = [
    {
        "id": "Tiny/add",
        "language": "python",
        "entry_point": "add_numbers",
        "prompt": 'def add_numbers(a: int, b: int) -> int:\n    """Return a plus b.\n'
        '    >>> add_numbers(2, 3)\n    5\n    """\n',
        "context": "",
        "visible_tests": ["assert add_numbers(2, 3) == 5"],
        "hidden_test": HIDDEN_ADD,
        "canonical_solution": "def add_numbers(a: int, b: int) -> int:\n    return a + b\n",
    },
    {
        "id": "Tiny/rev",
        "language": "python",
        "entry_point": "reverse_text",
        "prompt": "from typing import Optional\n\n\ndef reverse_text(s: str) -> str:\n"
        '    """Reverse the string s.\n    >>> reverse_text("abc")\n    \'cba\'\n    """\n',
        "context": "from typing import Optional",
        "visible_tests": ["assert reverse_text('abc') == 'cba'"],
        "hidden_test": HIDDEN_REV,
        "canonical_solution": "def reverse_text(s):\n    return s[::-1]\n",
    },
    {
        "id": "Tiny/clamp",
        "language": "python",
        "entry_point": "clamp_value",
        "prompt": 'def clamp_value(x: float, lo: float, hi: float) -> float:\n    """Clamp x'
        ' into [lo, hi].\n    >>> clamp_value(5.0, 0.0, 1.0)\n    1.0\n    """\n',
        "context": "",
        "visible_tests": ["assert clamp_value(5.0, 0.0, 1.0) == 1.0"],
        "hidden_test": HIDDEN_CLAMP,
        "canonical_solution": "def clamp_value(x, lo, hi):\n    return max(lo, min(hi, x))\n",
    },
]

# free-weak: right on add; passes clamp's visible test but fails hidden (false accept).
# free-multi: two samples; wrong then right on rev.
# paid-strong: right everywhere.
GENERATIONS: dict[str, list[dict[str, Any]]] = {
    "free-weak": [
        {"id": "Tiny/add", "sample": 0, "code": "def add_numbers(a, b):\n    return a + b\n"},
        {"id": "Tiny/rev", "sample": 0, "code": "def reverse_text(s):\n    return s\n"},
        {"id": "Tiny/clamp", "sample": 0, "code": "def clamp_value(x, lo, hi):\n    return hi\n"},
    ],
    "free-multi": [
        {"id": "Tiny/add", "sample": 0, "code": "def add_numbers(a, b):\n    return a - b\n"},
        {"id": "Tiny/rev", "sample": 0, "code": "def reverse_text(s):\n    return s.upper()\n"},
        {"id": "Tiny/rev", "sample": 1, "code": "def reverse_text(s):\n    return s[::-1]\n"},
    ],
    "paid-strong": [
        {"id": "Tiny/add", "sample": 0, "code": "def add_numbers(a, b):\n    return a + b\n"},
        {
            "id": "Tiny/rev",
            "sample": 0,
            "code": "def reverse_text(s):\n    return ''.join(reversed(s))\n",
        },
        {
            "id": "Tiny/clamp",
            "sample": 0,
            "code": "def clamp_value(x, lo, hi):\n    return max(lo, min(hi, x))\n",
        },
    ],
}

MODELS: list[dict[str, Any]] = [
    {
        "slug": "paid-strong",
        "price_in_per_mtok": 3.0,
        "price_out_per_mtok": 15.0,
        "samples_per_problem": 1,
        "visible_pass_rate": 1.0,
    },
    {
        "slug": "free-weak",
        "price_in_per_mtok": 0.0,
        "price_out_per_mtok": 0.0,
        "samples_per_problem": 1,
        "visible_pass_rate": 0.7,
    },
    {
        "slug": "free-multi",
        "price_in_per_mtok": 0.0,
        "price_out_per_mtok": 0.0,
        "samples_per_problem": 2,
        "visible_pass_rate": 0.3,
    },
]


def write_suite(root: Path) -> Path:
    """Write the tiny suite under ``root`` and return its folder."""
    folder = root / "tiny"
    (folder / "generations").mkdir(parents=True)
    with (folder / "problems.jsonl").open("w") as fh:
        for p in PROBLEMS:
            fh.write(json.dumps(p) + "\n")
    (folder / "models.json").write_text(json.dumps(MODELS))
    for slug, rows in GENERATIONS.items():
        with (folder / "generations" / f"{slug}.jsonl").open("w") as fh:
            for row in rows:
                fh.write(json.dumps(row) + "\n")
    return folder


@pytest.fixture
def tiny_suite_dir(tmp_path: Path) -> Path:
    return write_suite(tmp_path)
