"""The redactor on its own: each secret shape goes, ordinary text and code stay."""

from __future__ import annotations

import json

import pytest

from escalator.redact import MARK, redact, redact_data, secret_values

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDcanaryCANARYcanaryCANARYcanaryCANARYcanaryAAAAAAAAAA==\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
FAKE = {
    "aws id": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_" + "a1B2c3D4e5" * 4,
    "github pat": "github_pat_11ABCDEFG0" + "x" * 40,
    "anthropic": "sk-ant-api03-" + "Zx9_" * 12,
    "openai": "sk-proj-" + "Q7w8E9r0" * 5,
    "google": "AIzaSyA-" + "1234567890abcdefghijklmnopqrstu",
    "google oauth": "ya29.a0AfH6SM" + "Bx" * 20,
    "slack": "xoxb-123456789012-abcdefghijkl",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36",
}


def test_private_key_block_is_removed_whole() -> None:
    text = f"AssertionError: key was\n{PEM}and then more output"
    out = redact(text)
    assert "canaryCANARY" not in out and "BEGIN OPENSSH" not in out
    assert out.startswith("AssertionError: key was\n") and out.endswith("and then more output")


def test_private_key_block_inside_json_and_cut_short() -> None:
    body = json.dumps({"private_key": PEM.replace("OPENSSH ", "")})
    assert "canaryCANARY" not in redact(body)
    truncated = PEM[: len(PEM) // 2] + "\n[... 4000 chars cut ...]"
    assert "canaryCANARY" not in redact(truncated)


@pytest.mark.parametrize("kind", sorted(FAKE))
def test_token_shapes(kind: str) -> None:
    secret = FAKE[kind]
    out = redact(f"failed with token={secret} in request")
    assert secret not in out
    assert MARK in out


@pytest.mark.parametrize(
    "text, secret",
    [
        ("Authorization: Bearer abcdefghijklmnop.qrstuv", "abcdefghijklmnop.qrstuv"),
        ("headers={'authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "dXNlcjpwYXNzd29yZA=="),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("machine example.com login me password s3cr3t-pw", "s3cr3t-pw"),
        ("machine example.com\n  login me\n  password hunter2hunter2\n", "hunter2hunter2"),
        ("cloning https://me:tok3n-value@github.com/x/y.git", "tok3n-value"),
    ],
)
def test_labelled_values(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out, out
    assert MARK in out


def test_environment_secret_values_go_and_short_values_stay() -> None:
    env = {"MY_SERVICE_TOKEN": "plain-looking-value-42", "DB_PASSWORD": "1", "PATH": "/usr/bin"}
    assert secret_values(env) == ["plain-looking-value-42"]
    out = redact("connect(plain-looking-value-42) for user 1 at /usr/bin", env)
    assert out == f"connect({MARK}) for user 1 at /usr/bin"


def test_environment_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATE_API_KEY", "set-after-import-xyz")
    assert "set-after-import-xyz" not in redact("value set-after-import-xyz")


def test_ordinary_feedback_and_code_are_untouched() -> None:
    text = (
        "FAILED test_calc.py::test_add - assert -1 == 5\n"
        "> 3 | def check(password):\n"
        "      if password == expected: return token\n"
        "tokens = tokenize(source)  # sk-short\n"
        "AKIA is a prefix; ghp_ too short\n"
    )
    assert redact(text) == text


def test_redact_data_walks_nested_values() -> None:
    data = {"a": [FAKE["github"], {"b": (FAKE["aws id"], 3)}], "n": None}
    out = redact_data(data)
    assert out == {"a": [MARK, {"b": (MARK, 3)}], "n": None}
