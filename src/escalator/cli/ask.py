"""``escalator ask MODEL PROMPT``: one prompt to one configured model, with its figures."""

from __future__ import annotations

import asyncio
import dataclasses
import sys

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config
from escalator.errors import InputError
from escalator.providers import ChatRequest, ChatResponse, open_fleet
from escalator.providers.discover import discover
from escalator.providers.profiles import profile_of
from escalator.providers.status import same_model_id
from escalator.registry import ModelSpec, ModelTier, Registry
from escalator.task import TaskType

__all__ = ["ask_command", "default_model", "resolve_model"]


async def _ask(
    config: Config, model: str, request: ChatRequest, stream_to: str | None
) -> ChatResponse:
    def echo(piece: str) -> None:
        click.echo(piece, nl=False, err=stream_to == "stderr")

    async with open_fleet(config) as fleet:
        chat_model = fleet.model(model)
        return await chat_model.chat(request, on_token=echo if stream_to else None)


def require_key(config: Config, model: str) -> None:
    """A cloud model without its API key in the environment is bad input (exit 2)."""
    provider = config.provider_for(model)
    if profile_of(provider.kind).key_required and provider.api_key() is None:
        env = " or ".join(provider.api_key_env) or "the variable named by api_key_env"
        raise InputError(
            f"no API key for {provider.name} (model {model}): set {env} in the environment "
            "(keys are never read from escalator.toml)"
        )


def summary(resp: ChatResponse) -> str:
    """One line of figures: tokens, latency, speed, cost."""
    est = " (estimated)" if resp.usage.estimated else ""
    parts = [
        f"tokens in/out {resp.usage.tokens_in}/{resp.usage.tokens_out}{est}",
        f"latency {resp.latency_ms:.0f} ms",
    ]
    if resp.ttft_ms is not None:
        parts.append(f"ttft {resp.ttft_ms:.0f} ms")
    if resp.tokens_per_s is not None:
        parts.append(f"{resp.tokens_per_s:.1f} tok/s")
    parts.append(f"cost ${resp.cost_usd:.6f}")
    parts.append(f"finish {resp.finish_reason}")
    return f"[{resp.model}] " + ", ".join(parts)


def json_result(resp: ChatResponse) -> dict[str, object]:
    data = resp.to_json()
    keys = (
        "model",
        "text",
        "tokens_in",
        "tokens_out",
        "tokens_estimated",
        "latency_ms",
        "cost_usd",
        "ttft_ms",
        "tokens_per_s",
        "finish_reason",
        "truncated",
    )
    return {k: data[k] for k in keys} | {"model_id": resp.model_id}


def default_model(config: Config) -> str:
    """The model ``ask`` uses when none is named: standard_development's first."""
    return config.chain_for(TaskType.STANDARD_DEVELOPMENT).chain[0]


def resolve_model(config: Config, name: str) -> tuple[Config, str]:
    """A config and key for ``name``: a configured key, a configured model's provider id,
    or a model a local server serves (added for this call only, as a free local model)."""
    if name in config.models:
        return config, name
    by_id = [k for k, m in config.models.items() if same_model_id(m.model_id, name)]
    if by_id:
        return config, by_id[0]
    found = asyncio.run(discover(config))
    served = [m for m in found.new if same_model_id(m.model_id, name)]
    if not served:
        config.registry.get(name)  # raises InputError naming the configured models
    model = served[0]
    spec = ModelSpec(
        key=name,
        provider=model.provider,
        model_id=model.model_id,
        tier=ModelTier.LOCAL_BALANCED,
        context_window=model.context_length or 32768,
    )
    registry = Registry({**config.models, name: spec})
    return dataclasses.replace(config, registry=registry), name


@click.command("ask")
@click.argument("words", nargs=-1, required=True, metavar="[MODEL] PROMPT")
@click.option("--stream", is_flag=True, help="Print tokens as they arrive.")
@click.option("--max-tokens", type=click.IntRange(1), default=None, help="Cap the answer length.")
@click.option("--system", default=None, help="A system prompt.")
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.2, show_default=True)
@json_option
@click.pass_context
@handle_errors
def ask_command(
    ctx: click.Context,
    words: tuple[str, ...],
    stream: bool,
    max_tokens: int | None,
    system: str | None,
    temperature: float,
    as_json: bool,
) -> None:
    """Send PROMPT ('-' reads stdin) to MODEL: a key from 'escalator models', a model id
    a configured or local server knows (e.g. qwen/qwen3-30b-a3b), or, when left out, the
    first model of the standard_development chain.

    \b
    escalator ask qwen3-30b "Explain Python's GIL in one sentence"
    escalator ask qwen/qwen3-30b-a3b "hi"
    escalator ask "hi"
    escalator ask haiku - --json < prompt.txt
    """
    if len(words) > 2:
        raise InputError(
            f"ask takes [MODEL] PROMPT, got {len(words)} words; quote the prompt: "
            f'escalator ask {words[0]} "{" ".join(words[1:])}"'
        )
    config = get_config(ctx)
    name, prompt = (default_model(config), words[0]) if len(words) == 1 else words
    config, model = resolve_model(config, name)
    require_key(config, model)
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        raise InputError("the prompt is empty; pass the text, or '-' to read it from stdin")
    request = ChatRequest.of(
        text, system=system, max_tokens=max_tokens, temperature=temperature, stream=stream
    )
    stream_to = ("stderr" if as_json else "stdout") if stream else None
    resp = asyncio.run(_ask(config, model, request, stream_to))
    if as_json:
        if stream:
            click.echo("", err=True)
        emit_json(json_result(resp))
        return
    if stream:
        click.echo("")
    else:
        click.echo(resp.text)
    click.echo(summary(resp), err=True)
