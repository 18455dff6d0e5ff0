"""Edit formats: turn a worker model's answer into the new content of each file.

Two formats, chosen per model (``ModelSpec.edit_format``):

- ``WHOLE``: one fenced block per changed file holding the complete new file. Local
  models handle it best. The path may sit on the line before the fence, in the fence's
  info string (```` ```python src/app.py ````) or in a first-line comment.
- ``SEARCH_REPLACE`` (aider style): the path, then ``<<<<<<< SEARCH`` / ``=======`` /
  ``>>>>>>> REPLACE`` blocks applied to the current text: exact match first, then a
  match that ignores trailing whitespace and uniform indentation.

Either parser tolerates chatter, fences with or without language tags, Qwen3
``<think>`` blocks and Windows newlines, and falls back to the other format when the
model used it. A line ``DELETE path`` outside code blocks deletes a given file. An
answer that cannot be used raises ``EditParseError`` whose message is feedback written
for the model: what was wrong and the exact format to use. Everything here is pure:
edits are applied to the ``files`` mapping passed in, never to a disk.

Modules: ``parse`` (the entry point), ``whole`` and ``search_replace`` (the two formats),
``answer`` (thinking, normalising), ``paths``, ``fences``, ``formats`` (shared types and
the format reminders).
"""

from escalator.languages import fence_language
from escalator.work.edits.answer import normalise_output, strip_thinking
from escalator.work.edits.fences import fence_for
from escalator.work.edits.formats import EditParseError, EditSet, ParseFailure, format_reminder
from escalator.work.edits.parse import parse_edits

__all__ = [
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
