"""Classification by the user's fast local model, with the local classifier as fallback.

The model gets the type definitions, a few examples and a JSON-schema answer
(``{"task_type": ..., "complexity": ...}``). It has ``classify.timeout_s`` to answer; when
it is slow, unreachable or answers something that is not a type, the local classifier's
answer stands and the reasons say why. Each call's latency and cost are logged (logger
``escalator.classify``) and named in the reasons. ``auto`` asks the model only when the
local classifier's confidence is under ``classify.unsure_below``.

How accurate a real model is cannot be measured here (no model runs in this repository's
tests): ``escalator classify --eval --method model --file F`` measures it on your machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from escalator.classify._classifier import BANDS, Classification
from escalator.classify._learned import Learned
from escalator.config import ClassifyConfig, Config
from escalator.errors import InputError, ProviderError
from escalator.providers.base import ChatModel, ChatRequest
from escalator.task import TaskType

__all__ = ["ANSWER_SCHEMA", "ModelClassifier", "classifier_model_key", "prompt_for"]

log = logging.getLogger("escalator.classify")

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "task_type": {"type": "string", "enum": [t.value for t in TaskType]},
        "complexity": {"type": "integer", "minimum": 0, "maximum": 10},
    },
    "required": ["task_type", "complexity"],
    "additionalProperties": False,
}

SYSTEM = """You classify software development tasks. Types (complexity band):
- quick_edit (0-2): typos, comments, docstrings, renames, small config or doc tweaks, version bumps.
- standard_development (3-5): bug fixes, small features, unit tests, CLI options.
- complex_architecture (6-8): system or API design, multi-module refactoring, new
  subsystems, plugin systems, framework migrations.
- critical (9-10): security fixes, migrations or schema changes of live data, data loss
  or corruption bugs, performance work on hot paths.
Answer with JSON only: {"task_type": "...", "complexity": N}."""

EXAMPLES = (
    ("Fix typo in the installation guide", TaskType.QUICK_EDIT, 0),
    ("Handle an empty config file without crashing", TaskType.STANDARD_DEVELOPMENT, 3),
    ("Split the storage layer out into its own package", TaskType.COMPLEX_ARCHITECTURE, 7),
    ("Escape user input in the search page (stored XSS)", TaskType.CRITICAL, 10),
)


def prompt_for(text: str) -> ChatRequest:
    """The short prompt: definitions, four examples, the task, a JSON-schema answer."""
    shots = "\n".join(
        f'Task: {t}\n{{"task_type": "{k.value}", "complexity": {c}}}' for t, k, c in EXAMPLES
    )
    prompt = f"{shots}\nTask: {text.strip()[:1500]}\n"
    return ChatRequest.of(
        prompt, system=SYSTEM, max_tokens=60, temperature=0.0, json_schema=ANSWER_SCHEMA
    )


def classifier_model_key(config: Config) -> str:
    """``classify.model``, else the first free local model of the registry."""
    if config.classify.model:
        return config.classify.model
    free = [m for m in config.registry.by_price() if m.is_free]
    if not free:
        raise InputError(
            "classify.method uses a model, but no free local model is configured: "
            "set classify.model in escalator.toml"
        )
    return free[0].key


class _Nonsense(ValueError):
    """The model's answer is not a task type in the expected shape."""


def parse_answer(text: str) -> tuple[TaskType, int]:
    """The type and complexity in a model's answer; ``_Nonsense`` when there are none."""
    match = re.search(r"\{.*\}", text, re.S)
    try:
        doc = json.loads(match.group(0) if match else text)
        task_type = TaskType.parse(str(doc["task_type"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise _Nonsense(f"not a task type in the answer {text[:80]!r}") from exc
    lo, hi = BANDS[task_type]
    raw = doc.get("complexity")
    level = raw if isinstance(raw, int) and not isinstance(raw, bool) else lo
    return task_type, min(hi, max(lo, level))


@dataclass(frozen=True)
class ModelClassifier:
    """``model`` or ``auto``: the language model, with the local classifier to fall back on."""

    local: Learned
    chat: ChatModel
    settings: ClassifyConfig

    async def classify(
        self, text: str, *, task_type: TaskType | None = None, complexity: int | None = None
    ) -> Classification:
        local = self.local.classify(text, task_type=task_type, complexity=complexity)
        if local.forced:
            return local
        if self.settings.method == "auto" and local.confidence >= self.settings.unsure_below:
            return local
        return await self._ask(text, local)

    async def _ask(self, text: str, local: Classification) -> Classification:
        key = self.chat.spec.key
        start = time.perf_counter()
        try:
            answer = await asyncio.wait_for(
                self.chat.chat(prompt_for(text)), timeout=self.settings.timeout_s
            )
            task_type, level = parse_answer(answer.text)
        except TimeoutError:
            return _fallback(local, f"model {key} gave no answer in {self.settings.timeout_s:g} s")
        except ProviderError as exc:
            return _fallback(local, f"model {key} failed ({type(exc).__name__}: {exc})")
        except _Nonsense as exc:
            return _fallback(local, f"model {key} answered nonsense ({exc})")
        ms = (time.perf_counter() - start) * 1000
        log.info("classified by %s in %.0f ms for $%.6f", key, ms, answer.cost_usd)
        note = f"model {key}: {task_type.value} in {ms:.0f} ms, ${answer.cost_usd:.6f}"
        agrees = task_type is local.task_type
        return replace(
            local,
            task_type=task_type,
            complexity=local.complexity if agrees else level,
            confidence=max(local.confidence, 0.9) if agrees else 0.8,
            reasons=(note, *local.reasons),
        )


def _fallback(local: Classification, why: str) -> Classification:
    log.warning("%s: the local classifier's answer stands", why)
    return replace(local, reasons=(f"{why}: the local classifier's answer stands", *local.reasons))
