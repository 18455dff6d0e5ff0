"""Properties of the edit parsers, checked with hypothesis."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalator.registry import EditFormat
from escalator.work.edits import parse_edits

# Everything but the characters that make up the format's own markers and fences.
TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="<>=`~\r"
    )
    | st.sampled_from(["\n", "\t", " ", "=", "<", ">"]),
    max_size=300,
)
MARKER = re.compile(r"^\s*(<{5,9} ?SEARCH|={5,9}|>{5,9} ?REPLACE)\s*$", re.M)


def _occurrences(text: str, needle: str) -> int:
    """How often ``needle`` occurs in ``text``, overlaps included."""
    return sum(1 for i in range(len(text)) if text.startswith(needle, i))


@st.composite
def unique_substring(draw: st.DrawFn) -> tuple[str, str]:
    """A file and a non-blank substring of it that occurs exactly once."""
    content = draw(TEXT)
    assume(content.strip())
    start = draw(st.integers(0, len(content) - 1))
    end = draw(st.integers(start + 1, len(content)))
    needle = content[start:end]
    assume(needle.strip() and _occurrences(content, needle) == 1)
    return content, needle


@settings(max_examples=300, deadline=None)
@given(case=unique_substring(), replacement=TEXT)
def test_single_block_replaces_the_unique_substring(
    case: tuple[str, str], replacement: str
) -> None:
    content, needle = case
    assume(not MARKER.search(needle) and not MARKER.search(replacement))
    answer = f"f.txt\n<<<<<<< SEARCH\n{needle}\n=======\n{replacement}\n>>>>>>> REPLACE\n"
    expected = content.replace(needle, replacement, 1)
    assume(expected != content)
    edits = parse_edits(answer, edit_format=EditFormat.SEARCH_REPLACE, files={"f.txt": content})
    assert edits.files == {"f.txt": expected}


LINE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="`~"),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(old=st.lists(LINE, min_size=1, max_size=30), new=st.lists(LINE, min_size=1, max_size=30))
def test_whole_file_answer_round_trips_any_text_file(old: list[str], new: list[str]) -> None:
    original, updated = "\n".join(old) + "\n", "\n".join(new) + "\n"
    assume(original != updated and updated.strip())
    assume(not MARKER.search(updated) and not updated.lstrip().startswith(("#", "--- ", "@@")))
    answer = f"notes.txt\n```\n{updated}```\n"
    edits = parse_edits(answer, edit_format=EditFormat.WHOLE, files={"notes.txt": original})
    assert edits.files == {"notes.txt": updated}
