"""The public names of the work modules are exactly the intended ones."""

from __future__ import annotations

from escalator.errors import EscalatorError
from escalator.work import edits, prompts


def test_public_names() -> None:
    assert sorted(edits.__all__) == [
        "EditParseError",
        "EditSet",
        "ParseFailure",
        "fence_for",
        "fence_language",
        "format_reminder",
        "normalise_output",
        "parse_edits",
        "strip_thinking",
    ]
    assert sorted(prompts.__all__) == [
        "Brief",
        "DEFAULT_BRIEF_TOKENS",
        "DISAGREED",
        "FileSelection",
        "PriorAttempt",
        "build_worker_request",
        "escalation_brief",
        "estimate_prompt_tokens",
        "select_files",
    ]
    for module in (edits, prompts):
        for name in module.__all__:
            assert hasattr(module, name)


def test_edit_parse_error_is_an_escalator_error_but_not_a_user_error() -> None:
    err = edits.EditParseError("x", reason=edits.ParseFailure.EMPTY)
    assert isinstance(err, EscalatorError)
    assert err.reason.value == "empty"
