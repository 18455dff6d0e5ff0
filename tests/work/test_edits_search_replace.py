"""SEARCH/REPLACE answers: exact, whitespace-tolerant, ambiguous, missing, new files."""

from __future__ import annotations

import pytest

from escalator.registry import EditFormat
from escalator.work.edits import EditParseError, EditSet, ParseFailure, parse_edits

SERVICE = """\
import logging

log = logging.getLogger(__name__)


class Service:
    def __init__(self, repo):
        self.repo = repo

    def get(self, key):
        item = self.repo.find(key)
        if item is None:
            return None
        return item

    def put(self, key, value):
        self.repo.save(key, value)
        return None
"""


def parse(text: str, files: dict[str, str | None]) -> EditSet:
    return parse_edits(text, edit_format=EditFormat.SEARCH_REPLACE, files=files)


def block(search: str, replace: str, path: str | None = "app/service.py") -> str:
    head = f"{path}\n" if path else ""
    return f"{head}<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def failure(text: str, files: dict[str, str | None]) -> EditParseError:
    with pytest.raises(EditParseError) as caught:
        parse(text, files)
    return caught.value


FILES: dict[str, str | None] = {"app/service.py": SERVICE, "app/__init__.py": ""}


def test_exact_block_inside_a_fence_with_chatter() -> None:
    answer = (
        "I'll raise KeyError instead of returning None.\n\n"
        "app/service.py\n```python\n"
        + block(
            "        if item is None:\n            return None\n",
            "        if item is None:\n            raise KeyError(key)\n",
            path=None,
        )
        + "```\nThis makes missing keys explicit."
    )
    edits = parse(answer, FILES)
    expected = SERVICE.replace(
        "if item is None:\n            return None",
        "if item is None:\n            raise KeyError(key)",
    )
    assert edits.files == {"app/service.py": expected}


def test_aider_style_path_inside_the_fence() -> None:
    answer = (
        "```python\napp/service.py\n"
        + block(
            "        self.repo.save(key, value)\n",
            "        self.repo.save(key, value, sync=True)\n",
            None,
        )
        + "```\n"
    )
    assert parse(answer, FILES).files["app/service.py"] == SERVICE.replace(
        "save(key, value)", "save(key, value, sync=True)"
    )


def test_several_blocks_for_one_file_apply_in_order() -> None:
    answer = (
        block("import logging\n", "import logging\nimport time\n")
        + "\n"
        + block(
            "        self.repo.save(key, value)\n",
            "        started = time.monotonic()\n        self.repo.save(key, value)\n"
            "        log.debug('put took %s', time.monotonic() - started)\n",
            path=None,  # the previous block's path carries over
        )
    )
    new = parse(answer, FILES).files["app/service.py"]
    assert new is not None
    assert new.startswith("import logging\nimport time\n")
    assert "started = time.monotonic()\n        self.repo.save" in new


def test_trailing_whitespace_and_indentation_differences_are_tolerated() -> None:
    # The model dropped the class indentation and added trailing spaces.
    search = "def get(self, key):   \n    item = self.repo.find(key)\n"
    replace = "def get(self, key):\n    item = self.repo.find(key.lower())\n"
    new = parse(block(search, replace), FILES).files["app/service.py"]
    assert new == SERVICE.replace("find(key)", "find(key.lower())")


def test_leading_and_trailing_blank_lines_in_search_are_tolerated() -> None:
    search = "\n    def put(self, key, value):\n        self.repo.save(key, value)\n\n\n"
    replace = "    def put(self, key, value):\n        self.repo.store(key, value)\n"
    new = parse(block(search, replace), FILES).files["app/service.py"]
    assert new == SERVICE.replace("self.repo.save(key, value)", "self.repo.store(key, value)")


def test_whole_line_match_wins_over_a_match_inside_a_longer_line() -> None:
    # "        return None" is also the tail of line 13's deeper-indented "return None".
    new = parse(block("        return None\n", "        return True\n"), FILES).files
    head, tail = SERVICE.rsplit("        return None\n", 1)
    assert new["app/service.py"] == head + "        return True\n" + tail
    assert "            return None\n" in head  # line 13 untouched


def test_ambiguous_search_names_the_lines_and_asks_for_context() -> None:
    err = failure(block("return None\n", "return 0\n"), FILES)
    assert err.reason is ParseFailure.SEARCH_AMBIGUOUS
    message = str(err)
    assert "app/service.py" in message and "2 places" in message
    assert "lines 13, 18" in message
    assert "surrounding lines" in message


def test_missing_search_quotes_it_and_shows_the_closest_lines() -> None:
    err = failure(block("        item = self.repo.lookup(key)\n", "        item = None\n"), FILES)
    assert err.reason is ParseFailure.SEARCH_NOT_FOUND
    message = str(err)
    assert "item = self.repo.lookup(key)" in message  # quotes the SEARCH text
    assert "item = self.repo.find(key)" in message  # and what the file really says
    assert "exactly" in message
    assert "<<<<<<< SEARCH" in message  # and the format to use


def test_one_bad_block_fails_the_whole_answer_and_lists_each_problem() -> None:
    answer = block("import logging\n", "import logging\nimport os\n") + block(
        "    def delete(self, key):\n", "    def remove(self, key):\n"
    )
    err = failure(answer, FILES)
    assert "SEARCH block 2" in str(err)
    assert "None of your blocks were applied" in str(err)


def test_empty_search_creates_a_new_file() -> None:
    files: dict[str, str | None] = {**FILES, "app/cache.py": None}
    answer = block("", "CACHE: dict[str, str] = {}\n", path="app/cache.py")
    assert parse(answer, files).files == {"app/cache.py": "CACHE: dict[str, str] = {}\n"}


def test_empty_search_on_an_existing_file_appends() -> None:
    answer = block("", "\n\ndef helper():\n    return 1\n")
    new = parse(answer, FILES).files["app/service.py"]
    assert new == SERVICE + "\n\ndef helper():\n    return 1\n"


def test_search_in_a_file_that_does_not_exist_says_how_to_create_it() -> None:
    err = failure(block("x = 1\n", "x = 2\n", path="app/missing.py"), FILES)
    assert err.reason is ParseFailure.MISSING_FILE
    assert "empty" in str(err)


def test_empty_replace_deletes_the_lines() -> None:
    answer = block(
        "    def put(self, key, value):\n        self.repo.save(key, value)\n        return None\n",
        "",
    )
    new = parse(answer, FILES).files["app/service.py"]
    assert new is not None
    assert "def put" not in new and new.endswith("        return item\n\n")


def test_delete_directive_removes_a_file() -> None:
    answer = "The module is unused.\n\nDELETE app/__init__.py\n"
    assert parse(answer, FILES).files == {"app/__init__.py": None}


def test_block_without_path_when_several_files_are_in_play() -> None:
    err = failure(block("import logging\n", "import os\n", path=None), FILES)
    assert err.reason is ParseFailure.NO_PATH
    assert "app/service.py" in str(err)


def test_block_without_path_for_a_single_file() -> None:
    files: dict[str, str | None] = {"app/service.py": SERVICE}
    edits = parse(block("import logging\n", "import logging as lg\n", path=None), files)
    assert edits.files["app/service.py"] == SERVICE.replace(
        "import logging", "import logging as lg"
    )


def test_truncated_block_is_reported() -> None:
    answer = "app/service.py\n<<<<<<< SEARCH\nimport logging\n=======\nimport logging\nimpo"
    err = failure(answer, FILES)
    assert err.reason is ParseFailure.TRUNCATED
    assert ">>>>>>> REPLACE" in str(err)


def test_qwen_thinking_mentions_markers_but_only_the_answer_counts() -> None:
    answer = (
        "<think>I could use\n<<<<<<< SEARCH\nfoo\n=======\nbar\n>>>>>>> REPLACE\n"
        "but the real edit is below.</think>\n"
        + block("import logging\n", "import logging\nimport sys\n")
    )
    new = parse(answer, FILES).files["app/service.py"]
    assert new is not None and new.startswith("import logging\nimport sys\n")


def test_crlf_file_is_matched_and_keeps_crlf() -> None:
    files: dict[str, str | None] = {"app/service.py": SERVICE.replace("\n", "\r\n")}
    answer = block("import logging\n", "import logging  # noqa\n").replace("\n", "\r\n")
    new = parse(answer, files).files["app/service.py"]
    assert new == SERVICE.replace("import logging", "import logging  # noqa").replace("\n", "\r\n")


def test_whole_file_answer_to_a_search_replace_model_is_accepted() -> None:
    files: dict[str, str | None] = {"app/__init__.py": ""}
    answer = "app/__init__.py\n```python\n__version__ = '1.0'\n```\n"
    assert parse(answer, files).files == {"app/__init__.py": "__version__ = '1.0'\n"}


def test_prose_answer_to_a_search_replace_model_gets_the_format() -> None:
    err = failure("You should raise KeyError in get().", FILES)
    assert err.reason is ParseFailure.PROSE_ONLY
    assert "<<<<<<< SEARCH" in str(err)
