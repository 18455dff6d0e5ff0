"""Worker prompts: task, files, retry feedback and escalation history."""

from __future__ import annotations

import re

from escalator.providers.base import ChatRequest
from escalator.registry import EditFormat
from escalator.work.edits import parse_edits
from escalator.work.prompts import (
    DISAGREED,
    LAST_FEEDBACK_CHARS,
    PriorAttempt,
    build_worker_request,
    escalation_brief,
    estimate_prompt_tokens,
    select_files,
)

APP = "def add(a, b):\n    return a - b\n"
FILES: dict[str, str | None] = {"src/app.py": APP, "src/new.py": None}
DIFF = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,2 +1,2 @@\n-    return a - b\n+    return b - a\n"
FEEDBACK = "tests failed:\nFAILED tests/test_app.py::test_add - assert -1 == 3\n"


def request(**kw: object) -> ChatRequest:
    args: dict[str, object] = {
        "description": "Make add() return the sum.",
        "files": FILES,
        "edit_format": EditFormat.WHOLE,
    }
    args.update(kw)
    return build_worker_request(**args)  # type: ignore[arg-type]


def parts(req: ChatRequest) -> tuple[str, str]:
    system, user = req.messages
    assert (system.role, user.role) == ("system", "user")
    return system.content, user.content


def test_first_attempt_has_format_task_and_files_verbatim() -> None:
    system, user = parts(request(max_tokens=2048))
    assert "complete new content" in system and "```python" in system
    assert "SEARCH" not in system
    assert user.index("# Task") < user.index("Make add() return the sum.") < user.index("# Files")
    assert "src/app.py\n```python\n" + APP + "```" in user
    assert "src/new.py: does not exist yet" in user
    assert "previous attempt" not in user and "cheaper model" not in user
    req = request(max_tokens=2048)
    assert req.max_tokens == 2048 and req.temperature == 0.2


def test_search_replace_format_is_explained_with_an_example() -> None:
    system, user = parts(request(edit_format=EditFormat.SEARCH_REPLACE))
    for marker in ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"):
        assert marker in system
    assert "exactly one place" in system
    assert "SEARCH/REPLACE blocks" in user


def test_retry_shows_the_last_diff_and_feedback_and_asks_for_a_fix() -> None:
    prior = [PriorAttempt("qwen3-30b", 1, DIFF, FEEDBACK)]
    req = request(prior=prior, same_model_retry=True)
    _, user = parts(req)
    assert "# Your previous attempt (attempt 1) failed" in user
    assert "```diff\n" + DIFF + "```" in user
    assert "assert -1 == 3" in user
    assert "Fix these errors" in user
    assert "cheaper model" not in user
    assert req.temperature is not None and req.temperature > 0.2
    assert user.index("# Files") < user.index("# Your previous attempt")


def test_escalation_says_what_the_cheaper_model_tried() -> None:
    prior = [PriorAttempt("local-14b", 2, DIFF, FEEDBACK)]
    _, user = parts(request(prior=prior, same_model_retry=False))
    assert "# Cheaper models tried this and failed" in user
    assert "local-14b (attempt 2)" in user
    assert "+    return b - a" in user and "assert -1 == 3" in user
    assert "avoids this failure" in user
    assert "Your previous attempt" not in user


def test_escalation_brief_keeps_only_the_most_informative_failure_within_its_cap() -> None:
    noise = "".join(f"noise line {i}\n" for i in range(400))
    prior = [
        PriorAttempt("local-14b", 1, DIFF, "FAILED test_visible_1 - assert f(1) == 2\n" + noise),
        PriorAttempt("local-14b", 2, "", "no code block", "edit_parse"),
        PriorAttempt(
            "local models",
            3,
            "",
            "they disagree: f(0): this gives 0, qwen3-30b gives 5\n" + noise,
            DISAGREED,
        ),
        PriorAttempt("qwen3-30b", 4, DIFF * 40, FEEDBACK + noise),
    ]
    brief = escalation_brief(prior, 120)
    assert brief.tokens <= 120
    assert "4 earlier attempts by local-14b, local models, qwen3-30b" in brief.text
    assert "f(0): this gives 0, qwen3-30b gives 5" in brief.text  # disagreement wins
    assert "test_visible_1" not in brief.text and "no code block" not in brief.text
    assert "```diff" not in brief.text  # no diff for a disagreement
    # without a disagreement: the latest failing tests, key lines before the noise
    tests_only = escalation_brief(prior[:2] + prior[3:], 120)
    assert "assert -1 == 3" in tests_only.text and "FAILED" in tests_only.text
    assert "```diff" not in tests_only.text  # a 40x diff does not fit the cap
    _, user = parts(request(prior=prior, same_model_retry=False, brief_tokens=120))
    assert "noise line 399" not in user


def test_escalation_prompt_is_smaller_than_the_full_history() -> None:
    feedback = FEEDBACK + "".join(f"  File x.py, line {i}\n" for i in range(300))
    prior = [PriorAttempt(f"m{i}", i, DIFF * 5, feedback) for i in range(1, 9)]
    lean = estimate_prompt_tokens(request(prior=prior, brief_tokens=200))
    full = estimate_prompt_tokens(request(prior=prior, same_model_retry=True))
    first = estimate_prompt_tokens(request())
    assert lean <= first + 200 + 10 < full


def test_unusable_answer_is_reported_as_such() -> None:
    prior = [PriorAttempt("local-14b", 1, "", "Your answer contains no code block.", "edit_parse")]
    _, user = parts(request(prior=prior, same_model_retry=True))
    assert "could not be used (edit_parse)" in user
    assert "Your answer contains no code block." in user


def test_older_attempts_are_one_line_each_and_the_last_is_in_full() -> None:
    old_feedback = "syntax: line 3: unexpected indent\n" + "detail line\n" * 50
    prior = [
        PriorAttempt("local-14b", 1, DIFF, old_feedback),
        PriorAttempt("local-14b", 2, "", "no code block", "edit_parse"),
        PriorAttempt("qwen3-30b", 3, DIFF, FEEDBACK),
    ]
    _, user = parts(request(prior=prior, same_model_retry=True))
    history = user[user.index("# Earlier failed attempts") : user.index("# Your previous")]
    lines = [ln for ln in history.strip().split("\n")[1:] if ln]
    assert lines == [
        "- attempt 1 by local-14b (+1/-1 lines in 1 file): syntax: line 3: unexpected indent",
        "- attempt 2 by local-14b (no usable edit): edit_parse: no code block",
    ]
    assert "detail line" not in user
    assert user.count("assert -1 == 3") == 1


def test_long_feedback_is_clipped_keeping_head_and_tail() -> None:
    feedback = (
        "FIRST FAILURE\n" + "".join(f"noise {i}\n" for i in range(5000)) + "SUMMARY: 3 failed"
    )
    _, user = parts(request(prior=[PriorAttempt("m", 1, DIFF, feedback)], same_model_retry=True))
    assert "FIRST FAILURE" in user and "SUMMARY: 3 failed" in user
    assert "characters cut" in user
    assert len(user) < LAST_FEEDBACK_CHARS + 3000


def test_many_old_attempts_are_capped() -> None:
    prior = [PriorAttempt("m", i, DIFF, f"failure {i}") for i in range(1, 21)]
    _, user = parts(request(prior=prior, same_model_retry=True))
    assert "earlier attempts not listed" in user
    assert "failure 19" in user and "failure 2\n" not in user


def test_file_budget_names_but_omits_files_that_do_not_fit() -> None:
    big = "x = 1\n" * 5000
    files: dict[str, str | None] = {"src/app.py": APP, "src/big.py": big, "src/new.py": None}
    _, user = parts(request(files=files, file_budget_chars=1000))
    assert APP in user and big not in user
    assert "src/big.py: not shown (30,000 characters" in user
    selection = select_files(files, 1000)
    assert list(selection.shown) == ["src/app.py", "src/new.py"]
    assert selection.omitted == {"src/big.py": 30000}


def test_files_with_fences_get_a_longer_fence_and_a_rule() -> None:
    readme = "# Demo\n\n```sh\npip install demo\n```\n"
    system, user = parts(request(files={"README.md": readme}))
    assert "README.md\n````markdown\n" + readme + "````" in user
    assert "four" in system


def test_an_answer_shaped_like_the_prompt_parses_back() -> None:
    """A model that copies a file section from the prompt and edits it is understood."""
    files: dict[str, str | None] = {"src/app.py": APP, "README.md": "```\nx\n```\n"}
    _, user = parts(request(files=files))
    section = re.search(r"src/app.py\n```python\n.*?```", user, re.S)
    assert section is not None
    answer = "Fixed.\n\n" + section.group(0).replace("a - b", "a + b")
    edits = parse_edits(answer, edit_format=EditFormat.WHOLE, files=files)
    assert edits.files == {"src/app.py": APP.replace("a - b", "a + b")}


def test_token_estimate_tracks_the_prompt_size() -> None:
    small = estimate_prompt_tokens(request())
    large = estimate_prompt_tokens(request(files={"src/app.py": "value = 12345\n" * 400}))
    assert 50 < small < 1000
    assert large - small > 400 * 4  # each line is at least four cl100k tokens
