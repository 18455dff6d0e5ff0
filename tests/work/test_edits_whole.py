"""Whole-file answers as real models write them: thinking, chatter, fences, paths."""

from __future__ import annotations

import pytest

from escalator.registry import EditFormat
from escalator.work.edits import (
    EditParseError,
    EditSet,
    ParseFailure,
    normalise_output,
    parse_edits,
    strip_thinking,
)

APP = (
    'def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    """Multiply."""\n    return a * b\n'
)
FIXED = APP.replace("a - b", "a + b")
TESTS = "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def parse(text: str, files: dict[str, str | None]) -> EditSet:
    return parse_edits(text, edit_format=EditFormat.WHOLE, files=files)


def fenced(body: str, info: str = "python") -> str:
    return f"```{info}\n{body}```"


def failure(text: str, files: dict[str, str | None]) -> EditParseError:
    with pytest.raises(EditParseError) as caught:
        parse(text, files)
    return caught.value


def test_qwen3_answer_with_think_block_and_path_line() -> None:
    answer = (
        "<think>\nThe user wants add fixed. It subtracts; I should return a + b.\n"
        "Maybe:\n```python\nreturn a + b\n```\nYes.\n</think>\n\n"
        "Here is the corrected file:\n\nsrc/app.py\n"
        + fenced(FIXED)
        + "\n\nThe bug was the operator."
    )
    edits = parse(answer, {"src/app.py": APP})
    assert edits.files == {"src/app.py": FIXED}


def test_orphan_closing_think_tag_is_dropped() -> None:
    # LM Studio's Qwen3 template opens <think> in the prompt; the answer holds only the close.
    answer = "Okay, subtraction is wrong.\n</think>\n\nsrc/app.py\n" + fenced(FIXED)
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_answer_still_thinking_is_truncated() -> None:
    err = failure("<think>\nLet me consider the options. First", {"src/app.py": APP})
    assert err.reason is ParseFailure.TRUNCATED
    assert "</think>" in str(err)


@pytest.mark.parametrize(
    "label",
    [
        "src/app.py",
        "**src/app.py**",
        "`src/app.py`:",
        "### src/app.py",
        "File: src/app.py",
        "Updated `src/app.py`:",
        "./src/app.py",
        "app.py",  # unique suffix of a known path
        "Here is the updated version of `src/app.py`:",
    ],
)
def test_path_on_the_line_before_the_fence(label: str) -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    answer = f"I fixed the operator.\n\n{label}\n{fenced(FIXED)}\n"
    assert parse(answer, files).files == {"src/app.py": FIXED}


@pytest.mark.parametrize(
    "info", ["python src/app.py", "src/app.py", "python:src/app.py", 'python title="src/app.py"']
)
def test_path_in_the_fence_info_string(info: str) -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    assert parse(fenced(FIXED, info), files).files == {"src/app.py": FIXED}


def test_new_file_named_in_backticks_within_a_heading() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    answer = "## `src/util.py` (new file)\n" + fenced("X = 1\n") + "\nsrc/app.py\n" + fenced(FIXED)
    assert parse(answer, files).files == {"src/util.py": "X = 1\n", "src/app.py": FIXED}


def test_delete_with_a_truncated_block_is_still_truncated() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "src/old.py": "X = 1\n"}
    err = failure("DELETE src/old.py\n\nsrc/app.py\n```python\ndef add(", files)
    assert err.reason is ParseFailure.TRUNCATED


def test_path_as_first_line_comment_is_removed_from_the_file() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    answer = fenced("# src/app.py\n" + FIXED)
    assert parse(answer, files).files == {"src/app.py": FIXED}


def test_first_line_comment_that_the_file_really_starts_with_is_kept() -> None:
    original = "# app.py\nX = 1\n"
    answer = fenced("# app.py\nX = 2\n")
    assert parse(answer, {"app.py": original, "b.py": "Y = 1\n"}).files == {
        "app.py": "# app.py\nX = 2\n"
    }


def test_chatty_answer_with_several_files_and_a_new_one() -> None:
    files: dict[str, str | None] = {
        "src/app.py": APP,
        "tests/test_app.py": TESTS,
        "src/util.py": None,
    }
    new_tests = TESTS + "\n\ndef test_add_negative():\n    assert add(-1, -2) == -3\n"
    util = "def clamp(x, lo, hi):\n    return max(lo, min(hi, x))\n"
    answer = (
        "Sure! I'll make three changes.\n\n"
        "1. `src/app.py`: fix the operator\n\n"
        "**src/app.py**\n" + fenced(FIXED) + "\n\n"
        "2. Add a test.\n\n"
        "tests/test_app.py\n" + fenced(new_tests) + "\n\n"
        "3. A helper:\n\n"
        "src/util.py\n" + fenced(util) + "\n\n"
        "You can run the tests with:\n```bash\npytest -q\n```\n"
        "Let me know if you need anything else!"
    )
    edits = parse(answer, files)
    assert edits.files == {"src/app.py": FIXED, "tests/test_app.py": new_tests, "src/util.py": util}


def test_single_file_without_path_or_language() -> None:
    answer = "Here you go:\n" + fenced(FIXED, info="")
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_single_file_picks_the_program_over_a_usage_example() -> None:
    answer = "Fixed:\n" + fenced(FIXED) + "\nExample:\n" + fenced("print(add(1, 2))\n") + "\nDone."
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_single_python_file_unfenced_complete_program_is_accepted() -> None:
    assert parse(FIXED, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_windows_newlines_in_the_answer() -> None:
    answer = ("src/app.py\n" + fenced(FIXED)).replace("\n", "\r\n")
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_crlf_file_keeps_crlf_and_missing_final_newline_stays_missing() -> None:
    crlf = APP.replace("\n", "\r\n")
    assert parse(fenced(FIXED), {"a.py": crlf}).files == {"a.py": FIXED.replace("\n", "\r\n")}
    bare = "X = 1"
    assert parse(fenced("X = 2\n"), {"x.py": bare}).files == {"x.py": "X = 2"}


def test_indented_fence_inside_a_list_is_dedented() -> None:
    body = "\n".join("   " + ln if ln else "" for ln in FIXED.split("\n"))
    answer = "1. Fix it:\n\n   src/app.py\n   ```python\n" + body + "```\n"
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_later_block_for_the_same_file_wins() -> None:
    answer = "src/app.py\n" + fenced(APP.replace("a - b", "b + a")) + "\nBetter:\n"
    answer += "src/app.py\n" + fenced(FIXED)
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_four_backtick_fence_holds_a_markdown_file_with_fences() -> None:
    readme = "# Demo\n\n```sh\npip install demo\n```\n"
    new = readme + "\nMore text.\n"
    answer = "README.md\n````markdown\n" + new + "````\n"
    assert parse(answer, {"README.md": readme}).files == {"README.md": new}


def test_unclosed_fence_is_a_truncated_answer() -> None:
    answer = "src/app.py\n```python\ndef add(a, b):\n    return a +"
    err = failure(answer, {"src/app.py": APP})
    assert err.reason is ParseFailure.TRUNCATED
    assert "cut off" in str(err)


def test_stray_fence_at_the_very_end_is_ignored() -> None:
    answer = "src/app.py\n" + fenced(FIXED) + "\n```\n"
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_prose_only_answer_is_rejected_with_the_format() -> None:
    err = failure("The bug is that add subtracts. Change the minus to a plus.", {"src/app.py": APP})
    assert err.reason is ParseFailure.PROSE_ONLY
    assert "```python" in str(err)  # the feedback shows the exact format


def test_unfenced_chatter_for_a_non_python_file_is_rejected() -> None:
    err = failure("const x = 1;\n", {"src/app.js": "const x = 0;\n"})
    assert err.reason is ParseFailure.PROSE_ONLY


def test_blocks_without_paths_for_several_files_name_the_files() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    err = failure("Fixed:\n" + fenced(FIXED), files)
    assert err.reason is ParseFailure.NO_PATH
    assert "src/app.py" in str(err) and "tests/test_app.py" in str(err)


def test_elided_code_is_rejected() -> None:
    lazy = "def add(a, b):\n    return a + b\n\n\n# ... rest of the code unchanged ...\n"
    err = failure("src/app.py\n" + fenced(lazy), {"src/app.py": APP})
    assert err.reason is ParseFailure.ELIDED
    assert "every" in str(err)


def test_function_body_only_is_rejected() -> None:
    err = failure(fenced("    return a + b\n"), {"src/app.py": APP})
    assert err.reason is ParseFailure.ELIDED
    assert "function body" in str(err)


def test_unfenced_function_body_is_called_a_body() -> None:
    err = failure("    return a + b\n", {"src/app.py": APP})
    assert err.reason is ParseFailure.WRONG_FORMAT
    assert "function body" in str(err)


def test_snippet_that_drops_most_definitions_is_rejected() -> None:
    original = "\n\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(6))
    snippet = "def f0(x):\n    return x - 1\n"
    err = failure(fenced(snippet), {"m.py": original})
    assert err.reason is ParseFailure.ELIDED
    assert "f1" in str(err)


def test_diff_in_whole_format_is_rejected() -> None:
    diff = (
        "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,2 +1,2 @@\n"
        "-    return a - b\n+    return a + b\n"
    )
    err = failure("src/app.py\n" + fenced(diff, "diff"), {"src/app.py": APP})
    assert err.reason is ParseFailure.WRONG_FORMAT


def test_unchanged_answer_is_a_failure() -> None:
    err = failure("src/app.py\n" + fenced(APP), {"src/app.py": APP})
    assert err.reason is ParseFailure.UNCHANGED


def test_empty_answer() -> None:
    assert failure("  \n", {"src/app.py": APP}).reason is ParseFailure.EMPTY


def test_unchanged_files_are_left_out_of_the_edit_set() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "tests/test_app.py": TESTS}
    answer = "src/app.py\n" + fenced(FIXED) + "\ntests/test_app.py\n" + fenced(TESTS)
    assert parse(answer, files).paths == ("src/app.py",)


@pytest.mark.parametrize("label", ["../outside.py", "/etc/passwd.py"])
def test_paths_outside_the_workspace_are_refused(label: str) -> None:
    err = failure(f"{label}\n" + fenced("x = 1\n"), {"src/app.py": APP, "b.py": "y = 1\n"})
    assert err.reason is ParseFailure.UNSAFE_PATH


def test_delete_directive_removes_a_given_file() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "src/old.py": "X = 1\n"}
    answer = "src/old.py is unused.\n\nDELETE src/old.py\n\nsrc/app.py\n" + fenced(FIXED)
    assert parse(answer, files).files == {"src/app.py": FIXED, "src/old.py": None}
    assert parse("DELETE `src/old.py`", files).files == {"src/old.py": None}


def test_whole_format_answer_in_search_replace_is_still_applied() -> None:
    answer = (
        "src/app.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    )
    assert parse(answer, {"src/app.py": APP}).files == {"src/app.py": FIXED}


def test_diff_renders_changes_against_the_original() -> None:
    files: dict[str, str | None] = {"src/app.py": APP, "src/old.py": "X = 1\n", "n.py": None}
    edits = EditSet({"src/app.py": FIXED, "src/old.py": None, "n.py": "Y = 2\n"})
    diff = edits.diff(files)
    assert "-    return a - b\n+    return a + b\n" in diff
    assert "--- a/src/old.py\n+++ /dev/null" in diff
    assert "--- /dev/null\n+++ b/n.py" in diff and "+Y = 2" in diff


def test_strip_thinking_leaves_code_with_think_text_alone() -> None:
    code = 'src/p.py\n```python\nTAG = "</think>"\n```\n'
    assert strip_thinking(code) == code


def test_normalise_output_ignores_thinking_fences_and_whitespace() -> None:
    a = "<think>plan A</think>\nsrc/app.py\n```python\nx = 1   \n```\n"
    b = "<think>a different plan</think>\r\n\r\nsrc/app.py\r\n```\r\nx = 1\r\n```"
    assert normalise_output(a) == normalise_output(b) == "src/app.py\nx = 1"
    assert normalise_output(a) != normalise_output(a.replace("x = 1", "x = 2"))
