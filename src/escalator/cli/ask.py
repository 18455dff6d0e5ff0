"""``escalator ask MODEL PROMPT``: one prompt to one configured model, with its figures."""

from __future__ import annotations

import asyncio
import sys

import click

from escalator.cli.common import emit_json, get_config, handle_errors, json_option
from escalator.config import Config
from escalator.errors import InputError, ProviderError
from escalator.providers import ChatRequest, ChatResponse, open_fleet
from escalator.providers.profiles import profile_of

__all__ = ["ask_command"]


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


@click.command("ask")
@click.argument("model")
@click.argument("prompt")
@click.option("--stream", is_flag=True, help="Print tokens as they arrive.")
@click.option("--max-tokens", type=click.IntRange(1), default=None, help="Cap the answer length.")
@click.option("--system", default=None, help="A system prompt.")
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.2, show_default=True)
@json_option
@click.pass_context
@handle_errors
def ask_command(
    ctx: click.Context,
    model: str,
    prompt: str,
    stream: bool,
    max_tokens: int | None,
    system: str | None,
    temperature: float,
    as_json: bool,
) -> None:
    """Send PROMPT ('-' reads stdin) to MODEL (a key from 'escalator models').

    \b
    escalator ask qwen3-30b "Explain Python's GIL in one sentence"
    escalator ask haiku - --json < prompt.txt
    """
    config = get_config(ctx)
    config.registry.get(model)  # unknown model: exit 2 naming the configured ones
    require_key(config, model)
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        raise InputError("the prompt is empty; pass the text, or '-' to read it from stdin")
    request = ChatRequest.of(
        text, system=system, max_tokens=max_tokens, temperature=temperature, stream=stream
    )
    stream_to = ("stderr" if as_json else "stdout") if stream else None
    try:
        resp = asyncio.run(_ask(config, model, request, stream_to))
    except ProviderError as exc:
        if as_json:
            emit_json({"model": model, "error": str(exc), "error_kind": exc.kind})
            sys.exit(1)
        raise
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
