from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.fixtures import anthropic_fake, gemini_fake, lmstudio_fake  # noqa: F401

BUGGY = '''def add(a, b):
    """Return the sum of a and b."""
    return a - b
'''

TESTS = """from calc import add


def test_add():
    assert add(2, 3) == 5


def test_add_negative():
    assert add(-1, 1) == 0
"""

FIXED = BUGGY.replace("return a - b", "return a + b")
BROKEN = BUGGY.replace("return a - b", "return (a + b")
WRONG = BUGGY.replace("return a - b", "return a * b")


def whole(text: str, path: str = "calc.py") -> str:
    return f"Here is the fix.\n\n```python {path}\n{text}```\n"


def search_replace(old: str, new: str, path: str = "calc.py") -> str:
    return f"{path}\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "proj"
    ws.mkdir()
    (ws / "calc.py").write_text(BUGGY)
    (ws / "test_calc.py").write_text(TESTS)
    return ws
