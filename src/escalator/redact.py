"""The redactor: secrets are cut out of text before it reaches a prompt, a log or an output.

Defence in depth behind the sandbox: whatever flows from a sandboxed run into feedback
for a model, the task log, a report or an MCP answer passes ``redact``. It removes

* the values of the environment variables the sandbox scrubs (names matching
  ``SECRET_NAME``: ``*KEY*``, ``*TOKEN*``, ``*SECRET*``, ``*PASSW*`` ...), read from the
  environment at each call so a key set later is still caught;
* private-key blocks (PEM, OpenSSH, PGP; also with ``\\n`` escapes inside JSON, and a
  block cut short by a size cap);
* common token shapes: AWS access key ids and ``aws_secret_access_key`` values, bearer
  and basic ``Authorization`` values, GitHub, Anthropic, OpenAI, Google API and OAuth,
  Slack and Hugging Face tokens, JWTs, passwords in URLs and ``.netrc`` ``password``
  entries.

Each is replaced by ``[REDACTED]`` (a key block by ``[REDACTED PRIVATE KEY]``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["MARK", "SECRET_NAME", "redact", "redact_data", "secret_values"]

MARK = "[REDACTED]"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
_MIN_SECRET_LEN = 8  # shorter values ("1", "true") would redact ordinary text

_KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:.*?-----END \1-----|[A-Za-z0-9+/=\s\\:,-]*)",
    re.DOTALL,
)
_TOKENS = [
    re.compile(p)
    for p in (
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",  # AWS access key id
        r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub
        r"\bgithub_pat_[A-Za-z0-9_]{20,}",
        r"\bsk-ant-[A-Za-z0-9_-]{16,}",  # Anthropic
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",  # OpenAI
        r"\bAIza[0-9A-Za-z_-]{30,}",  # Google API key
        r"\bya29\.[0-9A-Za-z_-]{20,}",  # Google OAuth access token
        r"\bxox[abposr]-[0-9A-Za-z-]{10,}",  # Slack
        r"\bhf_[A-Za-z0-9]{30,}\b",  # Hugging Face
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
    )
]
# Keep the label, cut the value.
_LABELLED = [
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        r"(\b(?:authorization|proxy-authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)?\s*)"
        r"[^\s\"',;]+",
        r"(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}",
        r"(\baws_secret_access_key\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{16,}",
        r"(\baws_session_token\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{16,}",
        r"(\b(?:machine|login|default)\b[^\n]*?\bpassword\s+)\S+",  # .netrc, one line
        r"(^[ \t]*password[ \t]+)\S+(?=[ \t]*$)",  # .netrc, a line of its own
        r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)",  # https://user:pass@host
    )
]

T = TypeVar("T")


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment's secret-looking variables, longest first."""
    env = os.environ if environ is None else environ
    values = {
        v.strip()
        for k, v in env.items()
        if SECRET_NAME.search(k) and len(v.strip()) >= _MIN_SECRET_LEN
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with every secret the module docstring lists replaced."""
    if not text:
        return text
    for value in secret_values(environ):
        if value in text:
            text = text.replace(value, MARK)
    text = _KEY_BLOCK.sub("[REDACTED PRIVATE KEY]", text)
    for pattern in _TOKENS:
        text = pattern.sub(MARK, text)
    for pattern in _LABELLED:
        text = pattern.sub(lambda m: m.group(1) + MARK, text)
    return text


def redact_data(value: T, environ: Mapping[str, str] | None = None) -> T:
    """``redact`` applied to every string inside nested dicts, lists and tuples."""
    return _walk(value, environ)  # type: ignore[no-any-return]


def _walk(value: Any, environ: Mapping[str, str] | None) -> Any:
    if isinstance(value, str):
        return redact(value, environ)
    if isinstance(value, dict):
        return {k: _walk(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, environ) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v, environ) for v in value)
    return value
