"""Real HTTP fakes of every provider Escalator talks to, for tests anywhere in the suite.

Each fake is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) speaking one dialect
faithfully (see PROVIDERS.md): ``LMStudioFake`` (OpenAI ``/v1`` plus ``/api/v0`` and
``/api/v1`` with ``state``, ``max_context_length``, ``stats``), ``OllamaFake``,
``AnthropicFake`` (``/v1/messages``) and ``GeminiFake`` (``generateContent``). Every
request is recorded (``fake.requests``: method, path, lower-cased headers, JSON body,
``model``). Replies are scripted per model id; an unscripted request gets ``default``
(or what ``responder(request)`` returns). Streams are SSE, with usage where the dialect
sends it.

Example::

    from tests.fakes import AnthropicFake, LMStudioFake, Reply, config_for

    def test_escalates(monkeypatch):
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        with LMStudioFake() as lms, AnthropicFake() as claude:
            lms.script("qwen/qwen3-30b-a3b", "first answer", "second answer")
            lms.script("qwen2.5-coder-32b-instruct",
                       Reply.error(400, {"error": "No models loaded. Please load a model"}))
            claude.script("claude-haiku-5-5", Reply("fixed", tokens_in=120, tokens_out=40))
            cfg = config_for(lmstudio_url=lms.url, anthropic_url=claude.url)
            ...  # run the engine with cfg
            assert lms.requests_for("qwen/qwen3-30b-a3b")[1].body["messages"]

Reply kinds: ``Reply("text", finish_reason="length", tokens_in=.., tokens_out=..,
delay_s=..)``, ``Reply.error(status, body, headers)``, ``Reply.empty_stream()``,
``Reply.disconnect()``; ``finish_reason`` is "stop", "length" (the output cap) or "window"
(the context window, in each dialect's words). ``SilentServer`` accepts connections and
never answers (a hung server or dead SSH tunnel). Model ids of the default config:
``qwen2.5-14b-instruct``,
``qwen/qwen3-30b-a3b``, ``qwen2.5-coder-32b-instruct`` (LM Studio), ``gemini-3.8-flash``,
``gemini-3.1-pro-preview`` (Gemini), ``claude-haiku-5-5``, ``claude-sonnet-5-5``,
``claude-opus-5-5`` (Anthropic). Paid providers need their key in the environment
(``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY``): set any value with ``monkeypatch.setenv``.
Pytest fixtures that start the fakes live in ``tests.fakes.fixtures``. For a subprocess,
``write_config(tmp_path / "escalator.toml", lmstudio_url=lms.url)`` writes the same
config as TOML (pass it with ``--config`` or ``ESCALATOR_CONFIG``).
"""

from tests.fakes._cloud import AnthropicFake, GeminiFake
from tests.fakes._config import (
    UNREACHABLE_URL,
    config_data_for,
    config_for,
    to_toml,
    write_config,
)
from tests.fakes._openai import DEFAULT_LMSTUDIO_MODELS, LMStudioFake, LocalModel, OllamaFake
from tests.fakes._server import FakeServer, RecordedRequest, Reply, Responder
from tests.fakes._silent import SilentServer

__all__ = [
    "DEFAULT_LMSTUDIO_MODELS",
    "UNREACHABLE_URL",
    "AnthropicFake",
    "FakeServer",
    "GeminiFake",
    "LMStudioFake",
    "LocalModel",
    "OllamaFake",
    "RecordedRequest",
    "Reply",
    "Responder",
    "SilentServer",
    "config_data_for",
    "config_for",
    "to_toml",
    "write_config",
]
