"""The commented ``escalator.toml`` that ``escalator init`` writes: the built-in defaults."""

from __future__ import annotations

import json
from typing import Any

from escalator.config import DEFAULTS

__all__ = ["render_default_toml", "render_toml", "render_values"]

HEADER = """\
# Escalator configuration. Every value below is a built-in default: delete what you do
# not change. Tables merge over the defaults key by key, so a file holding only
#   [models.qwen3-30b]
#   model_id = "qwen/qwen3-30b-a3b-2507"
# changes that one key. Unknown keys are errors.
#
# API keys are NEVER read from this file: set ANTHROPIC_API_KEY, GEMINI_API_KEY (or
# GOOGLE_API_KEY), OPENAI_API_KEY, LMSTUDIO_API_TOKEN in the environment (or name other
# variables with api_key_env = ["MY_VAR"] under a provider).
"""

SECTION_NOTES = {
    "providers": """\
# Endpoints. kind: lmstudio | ollama | llamacpp | vllm | openai | anthropic | gemini.
# LM Studio on another machine: keep base_url on localhost and open an SSH tunnel
#   ssh -L 1234:localhost:1234 you@your-mac
# max_concurrent: LM Studio serves about 4 requests at once (MLX models 1).
# Timeouts in seconds: connect_timeout_s (5), liveness_probe_s (10: a local server silent
# this long is asked for its model list and given up on at once if it does not answer:
# a hung server or SSH tunnel is found in seconds, 0 turns it off), first_token_timeout_s
# (300: first streamed chunk), idle_timeout_s (60: between stream chunks), timeout_s
# (the whole call: 1800 local, 600 cloud).
# Also settable: max_retries, backoff_base_s, backoff_max_s, circuit_failures
# (consecutive connection failures before the endpoint is marked down),
# circuit_cooloff_s, api_key_env.
# Several hosts serving the same models (two Macs, two tunnels): extra_urls = ["http://
#   localhost:1235"]; each request goes to the least-loaded host whose circuit is closed.
# shared_limit (default true): max_concurrent holds for every Escalator process on this
#   machine (lock files in the user cache dir), not just for one.
# load_wait_s (default 0): how long to wait for a model the server is still loading
#   (LM Studio swapping models) before escalating; 0 escalates at once.""",
    "models": """\
# Models. A model is local or paid by its price (USD per 1M tokens), not by its name.
# tier: LOCAL_FAST (-2), LOCAL_BALANCED (-1), LOCAL_QUALITY (-1), FLASH (0), PRO (0),
# HAIKU (1), SONNET (2), OPUS (3). edit_format: whole (safest for local models) or
# search_replace. context_window: LM Studio's loaded context length wins when reported.
# quality (optional, 0-1): your prior that the model's answers are right, e.g. a public
# benchmark's pass rate; the agreement validator prefers answers of better models.""",
    "matrix": """\
# The escalation matrix, one table per task type. chain: cheapest first. checkers: the
# checker candidates (complexity < 5: none; < 8: one of the worker's tier; else the next
# tier's). validators: syntax, compile, tests, semantic, benchmark, agreement.
# after_last: manual_review or skip. With the agreement validator: min_agreement (default
# 2) models must behave alike; confirm_agreement (default true) asks the next, paid model
# to confirm an agreement only free models stand behind (never parking a task for it).
# A/B within a tier: ab = { qwen3-30b = { qwen3-30b = 1, local-14b = 1 } } replaces a chain
# member, per task, by a weighted draw; 'escalator stats' compares the arms.""",
    "cost_guard": """\
# Before the first paid call: the CLI asks (--yes approves, --no-paid refuses); callers
# that cannot be asked (MCP, batch) follow policy: ask (park the task as
# awaiting_approval), allow_under_usd (allow calls whose worst case is under the
# threshold), deny.""",
    "budgets": """\
# Hard limits in USD, checked before each call against its worst-case cost.""",
}

TRAILER = """\
# [validation]
# timeout_s = 120           # wall clock per validator run in the sandbox
# memory_mb = 2048          # address-space limit for validator processes
# cpu_s = 300
# feedback_chars = 2500     # cap on the feedback handed back to a model
# semantic_min_confidence = 0.8
# checker_model = "sonnet"  # overrides the matrix's checker choice
# test_command = "pytest -q"
# stop_at_first_failure = true
# network = false           # validators run without network where the OS allows it
# benchmark_command = "python bench.py"
# benchmark_target = 1.5
# benchmark_direction = "lower"
# [validation.compile_commands]
# python = "mypy --strict src"
#
# [mcp]
# workspace_roots = ["~/src"]   # when set, MCP calls may only use workspaces under these
# token_env = "ESCALATOR_MCP_TOKEN"
# require_token = false
# agents_may_approve = false  # true: an agent may approve a parked paid step (budgets apply)
#
# [classify]
# method = "rules"          # rules (no network) | model (ask the local model) | auto
# model = "local-14b"       # the model that classifies for model/auto (default: the
#                           # first free local model)
# timeout_s = 10            # slower answers fall back to the rules
# unsure_below = 0.6        # auto: ask the model when the rules' confidence is below this
# under_cost = 1.5          # when unsure, under-calling a task costs this many times more
#                           # than over-calling it (1 = always the most probable type)
#
# [store]
# db_path = "~/.local/share/escalator/tasks.db"
#
# [policy]                  # how the next model is chosen (see `escalator tune`)
# mode = "learned"          # learned: from the task log once min_tasks of a type; static
# min_tasks = 5             # below this many logged tasks of a type: the matrix as written
# value_usd = 1.0           # a verified result's worth: dearer-per-success models are skipped
# usd_per_second = 0.0      # the price of a second of waiting (latency, model swaps)
# trust_precision = 0.9     # accept a lone uncontradicted answer above this precision
# trust_min_answers = 5
# explore = true            # Thompson sampling, so a skipped model can prove itself again
# explore_max_usd = 0.002   # the most one exploratory choice may add to a task's cost
# brief_tokens = 400        # cap of the brief about earlier attempts an escalated model gets
"""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {value!r}")


def _table(name: str, table: dict[str, Any], out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    out.append(f"[{name}]")
    out.extend(f"{k} = {_value(v)}" for k, v in scalars.items())
    out.append("")
    for key, sub in nested.items():
        _table(f"{name}.{key}", sub, out)


def render_toml(data: dict[str, Any], header: str = "") -> str:
    """A config document (tables of tables, as ``tomllib`` reads it) as TOML text."""
    out = [header] if header else []
    for section, value in data.items():
        if isinstance(value, dict):
            _table(section, value, out)
    return "\n".join(out)


def render_default_toml() -> str:
    """The defaults as a commented TOML document that loads back to the same config."""
    out = [HEADER]
    for section in ("providers", "models", "matrix", "cost_guard", "budgets"):
        out.append(SECTION_NOTES[section])
        value = DEFAULTS[section]
        if section in ("providers", "models", "matrix"):
            for key, table in value.items():
                _table(f"{section}.{key}", table, out)
        else:
            _table(section, value, out)
    out.append(TRAILER)
    return "\n".join(out)


def render_values(values: dict[str, Any]) -> str:
    """Config tables (``escalator config show``) as TOML; unset (None) values left out."""
    out: list[str] = []
    for section, value in values.items():
        if section in ("providers", "models", "matrix"):
            for key, table in value.items():
                _table(f"{section}.{key}", table, out)
        else:
            _table(section, value, out)
    return "\n".join(out)
