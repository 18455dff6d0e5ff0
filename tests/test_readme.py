"""The README's Python API example runs as written (against the LM Studio fake)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fakes import LMStudioFake
from tests.fakes.fixtures import lmstudio_fake  # noqa: F401

README = Path(__file__).resolve().parents[1] / "README.md"
LOCAL_MODELS = ("qwen2.5-14b-instruct", "qwen/qwen3-30b-a3b", "qwen2.5-coder-32b-instruct")

PAGINATE = (
    "def paginate(items, size):\n    return [items[i : i + size] for i in range(0, {}, size)]\n"
)
BUGGY = PAGINATE.format("len(items) - 1")
FIXED = PAGINATE.format("len(items)")
TESTS = (
    "from app.pages import paginate\n\n\n"
    "def test_last_page_is_kept():\n"
    "    assert paginate([1, 2, 3], 1) == [[1], [2], [3]]\n"
)


def _python_api_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Python API") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "README's Python API section has no python block"
    return match.group(1)


def test_the_readme_python_api_example_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lmstudio_fake: LMStudioFake,  # noqa: F811
) -> None:
    ws = tmp_path / "project"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "__init__.py").write_text("")
    (ws / "app" / "pages.py").write_text(BUGGY)
    (ws / "tests").mkdir()
    (ws / "tests" / "test_pages.py").write_text(TESTS)
    config = tmp_path / "escalator.toml"
    config.write_text(
        f'[providers.lmstudio]\nbase_url = "{lmstudio_fake.url}"\nbackoff_base_s = 0.0\n'
        f'[store]\ndb_path = "{tmp_path / "tasks.db"}"\n'
    )
    for model in LOCAL_MODELS:
        lmstudio_fake.script(model, f"Here is the fix.\n\n```python app/pages.py\n{FIXED}```\n")
    monkeypatch.setenv("ESCALATOR_CONFIG", str(config))
    monkeypatch.chdir(ws)
    exec(compile(_python_api_example(), str(README), "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.split()
    assert printed[0] == "passed", printed
    assert (ws / "app" / "pages.py").read_text() == FIXED
