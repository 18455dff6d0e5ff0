"""Writes the three prompt-shape suites beside this file (run it after editing them).

``python tests/bench/shapes/make_suites.py`` rewrites ``stubs/``, ``described/`` and
``helpers/``: problems.jsonl, models.json, generations/<slug>.jsonl and outcomes.csv,
where outcomes.csv is measured with the suite recipe (``escalator.bench.scoring``).
Every problem is written for these tests (no third-party text). Models: ``local-a`` and
``local-b`` are free, ``cloud-x`` is paid; which answers are right is chosen so that the
cascade has something to decide on each shape (see the comments per suite).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from escalator.bench.scoring import hidden_program, run_program, syntax_ok, visible_program
from escalator.bench.suite import load_suite

HERE = Path(__file__).resolve().parent

MODELS: list[dict[str, Any]] = [
    {
        "slug": "local-a",
        "name": "Local A (fake)",
        "price_in_per_mtok": 0.0,
        "price_out_per_mtok": 0.0,
        "samples_per_problem": 2,
    },
    {
        "slug": "local-b",
        "name": "Local B (fake)",
        "price_in_per_mtok": 0.0,
        "price_out_per_mtok": 0.0,
        "samples_per_problem": 1,
    },
    {
        "slug": "cloud-x",
        "name": "Cloud X (fake)",
        "price_in_per_mtok": 3.0,
        "price_out_per_mtok": 15.0,
        "samples_per_problem": 1,
    },
]


def _problem(
    pid: str,
    entry: str,
    prompt: str,
    context: str,
    visible: list[str],
    hidden: list[str],
    canonical: str,
) -> dict[str, Any]:
    body = "\n".join(f"    {line}" for line in hidden)
    return {
        "id": pid,
        "language": "python",
        "entry_point": entry,
        "prompt": prompt,
        "context": context,
        "visible_tests": visible,
        "hidden_test": f"def check(candidate):\n{body}\n",
        "canonical_solution": canonical,
    }


# ----------------------------------------------------------------- HumanEval-style stubs
STUBS = [
    _problem(
        "Stub/0",
        "running_max",
        "from typing import List\n\n\ndef running_max(xs: List[int]) -> List[int]:\n"
        '    """Return the running maximum of xs.\n    >>> running_max([1, 3, 2, 5])\n'
        '    [1, 3, 3, 5]\n    """\n',
        "from typing import List",
        ["assert running_max([1, 3, 2, 5]) == [1, 3, 3, 5]"],
        [
            "assert candidate([]) == []",
            "assert candidate([-1, -3]) == [-1, -1]",
            "assert candidate([2, 2, 1, 7]) == [2, 2, 2, 7]",
        ],
        "from typing import List\n\n\ndef running_max(xs: List[int]) -> List[int]:\n"
        "    out = []\n    for x in xs:\n        out.append(x if not out else max(out[-1], x))\n"
        "    return out\n",
    ),
    _problem(
        "Stub/1",
        "middle_char",
        'def middle_char(s: str) -> str:\n    """Return the middle character of s, or the two'
        " middle characters when len(s) is even.\n    >>> middle_char(\"abc\")\n    'b'\n"
        '    """\n',
        "",
        ["assert middle_char('abc') == 'b'"],
        [
            "assert candidate('abcd') == 'bc'",
            "assert candidate('x') == 'x'",
            "assert candidate('hello') == 'l'",
        ],
        "def middle_char(s: str) -> str:\n    n = len(s)\n"
        "    return s[(n - 1) // 2 : n // 2 + 1]\n",
    ),
    _problem(
        "Stub/2",
        "digit_sum",
        'def digit_sum(n: int) -> int:\n    """Sum of the decimal digits of n (sign ignored).'
        '\n    >>> digit_sum(123)\n    6\n    """\n',
        "",
        ["assert digit_sum(123) == 6"],
        ["assert candidate(-45) == 9", "assert candidate(0) == 0", "assert candidate(9999) == 36"],
        "def digit_sum(n: int) -> int:\n    return sum(int(c) for c in str(abs(n)))\n",
    ),
]
# local-a: right on 0 and 2, wrong on 1 (sample 1 right); local-b: right on 0, misses the
# sign on 2 (passes visible, fails hidden); cloud-x: right everywhere.
STUB_GENERATIONS = {
    "local-a": [
        (
            "Stub/0",
            0,
            "def running_max(xs):\n    out, best = [], None\n    for x in xs:\n"
            "        best = x if best is None else max(best, x)\n        out.append(best)\n"
            "    return out\n",
        ),
        ("Stub/1", 0, "def middle_char(s):\n    return s[len(s) // 2]\n"),
        (
            "Stub/1",
            1,
            "def middle_char(s):\n    n = len(s)\n    return s[(n - 1) // 2 : n // 2 + 1]\n",
        ),
        ("Stub/2", 0, "def digit_sum(n):\n    return sum(map(int, str(abs(n))))\n"),
    ],
    "local-b": [
        (
            "Stub/0",
            0,
            "from typing import List\n\ndef running_max(xs: List[int]) -> List[int]:"
            "\n    import itertools\n    return list(itertools.accumulate(xs, max))\n",
        ),
        ("Stub/1", 0, "def middle_char(s):\n    return s[len(s) // 2 - 1 : len(s) // 2 + 1]\n"),
        ("Stub/2", 0, "def digit_sum(n):\n    return sum(int(c) for c in str(n))\n"),
    ],
    "cloud-x": [
        (
            "Stub/0",
            0,
            "def running_max(xs):\n    import itertools\n"
            "    return list(itertools.accumulate(xs, max))\n",
        ),
        (
            "Stub/1",
            0,
            "def middle_char(s):\n    n = len(s)\n    if n % 2:\n"
            "        return s[n // 2]\n    return s[n // 2 - 1 : n // 2 + 1]\n",
        ),
        (
            "Stub/2",
            0,
            "def digit_sum(n):\n    n = abs(n)\n    total = 0\n    while n:\n"
            "        total += n % 10\n        n //= 10\n    return total\n",
        ),
    ],
}

# --------------------------------------------- MBPP-style: a description and an assert
DESCRIBED = [
    _problem(
        "Desc/1",
        "shared_elements",
        "Write a function to find the elements shared by two lists, as a sorted list "
        "without repeats.\nassert shared_elements([3, 4, 5, 6], [5, 7, 4, 10]) == [4, 5]",
        "",
        ["assert shared_elements([3, 4, 5, 6], [5, 7, 4, 10]) == [4, 5]"],
        [
            "assert candidate([1, 1, 2], [1, 3]) == [1]",
            "assert candidate([], [1]) == []",
            "assert candidate([9, 2, 5], [5, 2, 9]) == [2, 5, 9]",
        ],
        "def shared_elements(a, b):\n    return sorted(set(a) & set(b))\n",
    ),
    _problem(
        "Desc/2",
        "count_vowels",
        "Write a function that counts the vowels (a, e, i, o, u, in either case) in a "
        'string.\nassert count_vowels("Hello World") == 3',
        "",
        ['assert count_vowels("Hello World") == 3'],
        [
            'assert candidate("AEIOU") == 5',
            'assert candidate("xyz") == 0',
            'assert candidate("Queue") == 4',
        ],
        "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n",
    ),
    _problem(
        "Desc/3",
        "count_consonants",
        "Write a function that counts the consonants (letters that are not a, e, i, o, u, "
        'in either case) in a string.\nassert count_consonants("Hello World") == 7',
        "",
        ['assert count_consonants("Hello World") == 7'],
        [
            'assert candidate("AEIOU") == 0',
            'assert candidate("xyz") == 3',
            'assert candidate("a-b c!") == 2',
        ],
        "def count_consonants(s):\n    return sum(c.isalpha() and c.lower() not in 'aeiou'"
        " for c in s)\n",
    ),
    _problem(
        "Desc/4",
        "sphere_volume",
        "Write a function to find the volume of a sphere of radius r.\n"
        "assert math.isclose(sphere_volume(10), 4188.790204786391, rel_tol=0.001)",
        "import math",
        ["assert math.isclose(sphere_volume(10), 4188.790204786391, rel_tol=0.001)"],
        [
            "assert abs(candidate(1) - 4.1887902047863905) < 1e-6",
            "assert candidate(0) == 0",
            "assert abs(candidate(2.5) - 65.44984694978736) < 1e-6",
        ],
        "import math\n\n\ndef sphere_volume(r):\n    return 4 / 3 * math.pi * r ** 3\n",
    ),
    _problem(
        "Desc/5",
        "test_duplicate",
        "Write a function to find whether a given list of integers contains any "
        "duplicate element.\nassert test_duplicate([1, 2, 3, 4, 5]) == False",
        "",
        [
            "assert test_duplicate([1, 2, 3, 4, 5]) == False",
            "assert test_duplicate([1, 2, 3, 4, 4]) == True",
        ],
        [
            "assert candidate([]) is False",
            "assert candidate([7, 7]) is True",
            "assert candidate([1, 2, 1, 3]) is True",
        ],
        "def test_duplicate(nums):\n    return len(set(nums)) != len(nums)\n",
    ),
]
# local-a and local-b agree on 1, 2 and 5; local-a counts 'y' as a vowel on 3 (visible
# passes, hidden fails), local-b is right on 3; on 4 only cloud-x imports nothing and uses
# the context's math, local-a uses 3.14 (visible passes at rel_tol 0.001, hidden fails).
DESCRIBED_GENERATIONS = {
    "local-a": [
        ("Desc/1", 0, "def shared_elements(a, b):\n    return sorted(set(a).intersection(b))\n"),
        (
            "Desc/2",
            0,
            "def count_vowels(s):\n    return len([c for c in s.lower() if c in 'aeiou'])\n",
        ),
        (
            "Desc/3",
            0,
            "def count_consonants(s):\n    return sum(1 for c in s.lower() "
            "if c.isalpha() and c not in 'aeiouy')\n",
        ),
        ("Desc/4", 0, "def sphere_volume(r):\n    return 4 / 3 * 3.14 * r ** 3\n"),
        (
            "Desc/5",
            0,
            "def test_duplicate(arraynums):\n    return len(arraynums) != len(set(arraynums))\n",
        ),
    ],
    "local-b": [
        (
            "Desc/1",
            0,
            "def shared_elements(list1, list2):\n    out = []\n    for x in list1:\n"
            "        if x in list2 and x not in out:\n            out.append(x)\n"
            "    return sorted(out)\n",
        ),
        (
            "Desc/2",
            0,
            "def count_vowels(text):\n    return sum(1 for ch in text if ch.lower() in 'aeiou')\n",
        ),
        (
            "Desc/3",
            0,
            "def count_consonants(text):\n    return sum(1 for ch in text "
            "if ch.isalpha() and ch.lower() not in 'aeiou')\n",
        ),
        (
            "Desc/5",
            0,
            "def test_duplicate(nums):\n    seen = set()\n    for n in nums:\n"
            "        if n in seen:\n            return True\n        seen.add(n)\n"
            "    return False\n",
        ),
    ],
    "cloud-x": [
        ("Desc/1", 0, "def shared_elements(a, b):\n    return sorted(set(a) & set(b))\n"),
        ("Desc/2", 0, "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n"),
        (
            "Desc/3",
            0,
            "def count_consonants(s):\n    return sum(c.isalpha() and "
            "c.lower() not in 'aeiou' for c in s)\n",
        ),
        ("Desc/4", 0, "def sphere_volume(r):\n    return (4.0 / 3.0) * math.pi * r ** 3\n"),
        ("Desc/5", 0, "def test_duplicate(nums):\n    return len(set(nums)) < len(nums)\n"),
    ],
}

# ------------------------------------------------- prompts whose context defines helpers
_SHIFT = (
    'def encode_shift(s: str):\n    """Shift every lowercase letter by 5 in the '
    'alphabet."""\n    return "".join(chr((ord(c) - 97 + 5) % 26 + 97) for c in s)'
)
_POLY = (
    "import math\n\n\ndef _poly(xs: list, x: float):\n"
    '    """Evaluate the polynomial with coefficients xs at x."""\n'
    "    return sum(c * math.pow(x, i) for i, c in enumerate(xs))"
)
HELPERS = [
    _problem(
        "Help/shift",
        "decode_shift",
        _SHIFT + '\n\n\ndef decode_shift(s: str):\n    """Take a string encoded with '
        'encode_shift and return the decoded string.\n    >>> decode_shift("fgh")\n'
        '    \'abc\'\n    """\n',
        _SHIFT,
        [
            "assert decode_shift('fgh') == 'abc'",
            "assert decode_shift(encode_shift('hello')) == 'hello'",
        ],
        [
            "assert candidate(encode_shift('xyz')) == 'xyz'",
            "assert candidate('') == ''",
            "assert candidate('abc') == 'vwx'",
        ],
        _SHIFT + "\n\n\ndef decode_shift(s: str):\n"
        '    return "".join(chr((ord(c) - 97 - 5) % 26 + 97) for c in s)\n',
    ),
    _problem(
        "Help/root",
        "linear_root",
        _POLY + '\n\n\ndef linear_root(xs: list):\n    """xs are the coefficients of a '
        "linear polynomial (xs[1] != 0); return x such that _poly(xs, x) == 0.\n"
        '    >>> round(linear_root([1, 2]), 2)\n    -0.5\n    """\n',
        _POLY,
        ["assert abs(_poly([1, 2], linear_root([1, 2]))) < 1e-6"],
        [
            "assert abs(_poly([4, -2], candidate([4, -2]))) < 1e-6",
            "assert abs(candidate([0, 5])) < 1e-9",
            "assert abs(candidate([3, 1]) + 3) < 1e-9",
        ],
        _POLY + "\n\n\ndef linear_root(xs: list):\n    return -xs[0] / xs[1]\n",
    ),
    _problem(
        "Help/strip",
        "strip_vowels",
        "Using the helper is_vowel(c), which is already defined, write a function "
        "strip_vowels(s) that removes every vowel from s.\n"
        "assert strip_vowels('banana') == 'bnn'",
        "def is_vowel(c):\n    return c.lower() in 'aeiou'",
        ["assert strip_vowels('banana') == 'bnn'"],
        [
            "assert candidate('AEIOUx') == 'x'",
            "assert candidate('') == ''",
            "assert candidate('rhythm') == 'rhythm'",
        ],
        "def is_vowel(c):\n    return c.lower() in 'aeiou'\n\n\n"
        "def strip_vowels(s):\n    return ''.join(c for c in s if not is_vowel(c))\n",
    ),
]
# local-a: right on shift and strip (uses the helper); local-b: right on root only (uses
# _poly from the context), returns a list on strip; cloud-x: right everywhere.
HELPER_GENERATIONS = {
    "local-a": [
        (
            "Help/shift",
            0,
            'def decode_shift(s: str):\n    return "".join(chr((ord(c) - 97 - 5)'
            " % 26 + 97) for c in s)\n",
        ),
        ("Help/root", 0, "def linear_root(xs):\n    return xs[0] / xs[1]\n"),
        (
            "Help/strip",
            0,
            "def strip_vowels(s):\n    return ''.join(c for c in s if not is_vowel(c))\n",
        ),
    ],
    "local-b": [
        ("Help/shift", 0, 'def decode_shift(s):\n    return "".join(chr(ord(c) - 5) for c in s)\n'),
        (
            "Help/root",
            0,
            "def linear_root(xs):\n    x = -xs[0] / xs[1]\n"
            "    assert abs(_poly(xs, x)) < 1e-6\n    return x\n",
        ),
        ("Help/strip", 0, "def strip_vowels(s):\n    return [c for c in s if not is_vowel(c)]\n"),
    ],
    "cloud-x": [
        (
            "Help/shift",
            0,
            "def decode_shift(s: str):\n    return ''.join(chr((ord(c) - 102)"
            " % 26 + 97) for c in s)\n",
        ),
        ("Help/root", 0, "def linear_root(xs: list):\n    return -xs[0] / xs[1]\n"),
        (
            "Help/strip",
            0,
            "def strip_vowels(s):\n    return ''.join(filter(lambda c: not is_vowel(c), s))\n",
        ),
    ],
}

SUITES = {
    "stubs": (STUBS, STUB_GENERATIONS),
    "described": (DESCRIBED, DESCRIBED_GENERATIONS),
    "helpers": (HELPERS, HELPER_GENERATIONS),
}


def _write(
    name: str, problems: list[dict[str, Any]], generations: dict[str, list[tuple[str, int, str]]]
) -> Path:
    folder = HERE / name
    (folder / "generations").mkdir(parents=True, exist_ok=True)
    with (folder / "problems.jsonl").open("w") as fh:
        for problem in problems:
            fh.write(json.dumps(problem) + "\n")
    for slug, rows in generations.items():
        with (folder / "generations" / f"{slug}.jsonl").open("w") as fh:
            for pid, sample, code in rows:
                fh.write(json.dumps({"id": pid, "sample": sample, "code": code, "raw": code}))
                fh.write("\n")
    covered = {slug: len({r[0] for r in rows}) for slug, rows in generations.items()}
    models = [m | {"problems_covered": covered[m["slug"]]} for m in MODELS]
    (folder / "models.json").write_text(json.dumps(models, indent=1) + "\n")
    return folder


def _outcomes(folder: Path) -> None:
    suite = load_suite(folder)
    rows = []
    for model in suite.models:
        for problem in suite.problems:
            for gen in suite.samples(model.slug, problem.id):
                program = problem.context + "\n" + gen.code
                ok = syntax_ok(program)
                visible = ok and run_program(visible_program(problem, program), 10).passed
                hidden = ok and run_program(hidden_program(problem, program), 20).passed
                rows.append(
                    [model.slug, problem.id, gen.sample, int(ok), int(visible), int(hidden)]
                )
    with (folder / "outcomes.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["model", "id", "sample", "syntax_ok", "visible_pass", "hidden_pass"])
        writer.writerows(rows)


if __name__ == "__main__":
    for suite_name, (suite_problems, suite_generations) in SUITES.items():
        _outcomes(_write(suite_name, suite_problems, suite_generations))
