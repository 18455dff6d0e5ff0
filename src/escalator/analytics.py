"""What the task log says: which task types occur, which model succeeds at what, what it
cost against the cloud-only baseline, and how the escalation chains could change.

``compute_stats`` reads the log and returns a typed ``Stats``; ``escalator stats``,
``escalator report`` and the MCP stats tool all show the same numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from escalator.config import Config
from escalator.pricing import savings
from escalator.scored import ScoredStats, score_stats
from escalator.store import TaskLog
from escalator.task import Outcome, TaskType

__all__ = [
    "CLOUD_ONLY_DEFINITION",
    "CLOUD_ONLY_LABEL",
    "MIN_TASKS_FOR_SUGGESTION",
    "ModelStats",
    "ModelTypeStats",
    "ScoredStats",
    "Stats",
    "Suggestion",
    "TypeStats",
    "compute_stats",
    "format_pct",
    "format_rate",
    "format_usd",
]

MIN_TASKS_FOR_SUGGESTION = 5

CLOUD_ONLY_DEFINITION = (
    "cloud-only: what the strongest model of each task's chain (by configured quality, then "
    "price, then tier) would have charged for the same tokens the task used"
)
CLOUD_ONLY_LABEL = "cloud-only (the same tokens at the chain's strongest model)"
STRONG_PASS_RATE = 0.8
WEAK_PASS_RATE = 0.2


@dataclass(frozen=True)
class TypeStats:
    """One task type: how often it occurs, how it ends, what it cost."""

    task_type: str
    tasks: int
    passed: int
    pass_rate: float
    approved_by_reviewer: int
    outcomes: dict[str, int]
    cost_usd: float
    cloud_only_cost_usd: float
    savings_usd: float
    savings_pct: float | None
    escalation_rate: float
    mean_attempts: float


@dataclass(frozen=True)
class ModelTypeStats:
    """One model on one task type.

    ``tasks_passed``: tasks where one of its answers passed the checks (whether or not
    it was the one accepted); ``tasks_accepted``: tasks that ended ``passed`` with its
    answer as the result (the count the demo and bench show as "accepted")."""

    attempts: int
    passes: int
    tasks: int
    tasks_passed: int
    tasks_accepted: int
    cost_usd: float

    @property
    def task_pass_rate(self) -> float:
        return _ratio(self.tasks_passed, self.tasks)


@dataclass(frozen=True)
class ModelStats:
    """One model across all task types; ``by_type`` breaks it down.

    ``mean_latency_ms`` is the model's own response time per call (not the task's wall
    time, which also holds validation)."""

    model: str
    attempts: int
    passes: int
    pass_rate: float
    cost_usd: float
    mean_latency_ms: float
    tasks: int
    tasks_passed: int
    tasks_accepted: int
    by_type: dict[str, ModelTypeStats]


@dataclass(frozen=True)
class Suggestion:
    """A proposed change to one task type's chain, with the evidence behind it.

    ``kind``: ``drop_model`` (never passes), ``skip_weak_model`` (rarely passes while
    the next one usually does), ``add_cheaper_model`` (a cheaper model outside the
    chain, or later in it, passes most tasks of the type).
    """

    kind: str
    task_type: str
    model: str
    message: str
    before_model: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stats:
    """Everything ``escalator stats`` shows.

    ``passed``/``pass_rate``: tasks whose change passed every validator. Changes a
    person applied although they failed a check are counted apart
    (``approved_by_reviewer``), never as passed. ``cloud_only_cost_usd``: see
    ``CLOUD_ONLY_DEFINITION``. ``scored``: the tasks a bench scored on hidden tests,
    with their strongest-alone baseline (``escalator.scored``); None when there are none."""

    tasks: int
    passed: int
    pass_rate: float
    approved_by_reviewer: int
    cost_usd: float
    cloud_only_cost_usd: float
    savings_usd: float
    savings_pct: float | None
    escalation_rate: float
    by_type: dict[str, TypeStats]
    by_model: dict[str, ModelStats]
    chains: dict[str, list[str]]
    suggestions: list[Suggestion]
    chains_run: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cloud_only_definition: str = ""
    scored: ScoredStats | None = None

    @property
    def all_scored(self) -> bool:
        """Every task has a bench's scores: savings are shown against the strongest
        model alone only (cloud-only stays in the JSON and the per-type table)."""
        return self.scored is not None and self.scored.tasks == self.tasks

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name, model in self.by_model.items():
            for task_type, mts in model.by_type.items():
                data["by_model"][name]["by_type"][task_type]["task_pass_rate"] = round(
                    mts.task_pass_rate, 4
                )
        return data


def format_usd(usd: float) -> str:
    """Money as the CLI and the report show it: dollars to a hundredth of a cent."""
    return f"${usd:,.4f}"


def format_rate(rate: float) -> str:
    """A 0..1 rate as a whole percentage."""
    return f"{100 * rate:.0f}%"


def format_pct(pct: float | None) -> str:
    """A percentage (savings) as the CLI, the report and the demo show it; "-" for none."""
    return "-" if pct is None else f"{pct:.0f}%"


def compute_stats(log: TaskLog, *, min_tasks: int = MIN_TASKS_FOR_SUGGESTION) -> Stats:
    """Aggregate the whole log into ``Stats`` (chains and prices from ``log.config``)."""
    tasks = [dict(r) for r in log.task_facts()]
    attempts = [dict(r) for r in log.attempt_facts()]
    escalated = _escalated_tasks(tasks, attempts)
    by_type = {t: _type_stats(t, rows, escalated) for t, rows in _group(tasks, "task_type").items()}
    by_model = {m: _model_stats(m, rows) for m, rows in _group(attempts, "model").items()}
    chains = {t.value: list(c.chain) for t, c in log.config.matrix.items()}
    chains_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in log.chains_run():
        chains_run[str(row["task_type"])].append(
            {"chain": json.loads(row["chain"]), "tasks": int(row["tasks"])}
        )
    cost = sum(float(t["cost_usd"]) for t in tasks)
    cloud = sum(float(t["cloud_only_cost_usd"]) for t in tasks)
    passed = sum(1 for t in tasks if t["outcome"] == Outcome.PASSED)
    forced = sum(1 for t in tasks if t["outcome"] == Outcome.APPROVED_BY_REVIEWER)
    saved_usd, saved_pct = savings(cost, cloud)
    return Stats(
        tasks=len(tasks),
        passed=passed,
        pass_rate=_ratio(passed, len(tasks)),
        approved_by_reviewer=forced,
        cost_usd=round(cost, 6),
        cloud_only_cost_usd=round(cloud, 6),
        savings_usd=saved_usd,
        savings_pct=saved_pct,
        escalation_rate=_ratio(len(escalated), len(tasks)),
        by_type=dict(sorted(by_type.items(), key=lambda kv: _type_order(kv[0]))),
        by_model=dict(sorted(by_model.items(), key=lambda kv: -kv[1].attempts)),
        chains=chains,
        suggestions=suggest_chain_changes(by_model, log.config, min_tasks=min_tasks),
        chains_run=dict(sorted(chains_run.items(), key=lambda kv: _type_order(kv[0]))),
        cloud_only_definition=CLOUD_ONLY_DEFINITION,
        scored=score_stats(tasks),
    )


# ---------------------------------------------------------------------- aggregation


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _type_order(task_type: str) -> int:
    order = [t.value for t in TaskType]
    return order.index(task_type) if task_type in order else len(order)


def _group(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[str(row[key])].append(row)
    return dict(out)


def _escalated_tasks(tasks: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> set[str]:
    """Tasks that went past their first model: an escalation event or a second model."""
    models: dict[str, set[str]] = defaultdict(set)
    for a in attempts:
        models[a["task_id"]].add(a["model"])
    return {t["task_id"] for t in tasks if t["escalations"] > 0 or len(models[t["task_id"]]) > 1}


def _type_stats(task_type: str, rows: list[dict[str, Any]], escalated: set[str]) -> TypeStats:
    outcomes: dict[str, int] = defaultdict(int)
    for r in rows:
        outcomes[r["outcome"]] += 1
    cost = sum(float(r["cost_usd"]) for r in rows)
    cloud = sum(float(r["cloud_only_cost_usd"]) for r in rows)
    passed = outcomes.get(Outcome.PASSED.value, 0)
    saved_usd, saved_pct = savings(cost, cloud)
    return TypeStats(
        task_type=task_type,
        tasks=len(rows),
        passed=passed,
        pass_rate=_ratio(passed, len(rows)),
        approved_by_reviewer=outcomes.get(Outcome.APPROVED_BY_REVIEWER.value, 0),
        outcomes=dict(sorted(outcomes.items())),
        cost_usd=round(cost, 6),
        cloud_only_cost_usd=round(cloud, 6),
        savings_usd=saved_usd,
        savings_pct=saved_pct,
        escalation_rate=_ratio(sum(1 for r in rows if r["task_id"] in escalated), len(rows)),
        mean_attempts=round(sum(int(r["attempts"]) for r in rows) / len(rows), 3),
    )


def _model_type_stats(rows: list[dict[str, Any]]) -> ModelTypeStats:
    tried = {r["task_id"] for r in rows}
    accepted = {
        r["task_id"]
        for r in rows
        if r["task_outcome"] == Outcome.PASSED.value and r["final_model"] == r["model"]
    }
    passed = {r["task_id"] for r in rows if r["outcome"] == "passed"} | accepted
    return ModelTypeStats(
        attempts=len(rows),
        passes=sum(1 for r in rows if r["outcome"] == "passed"),
        tasks=len(tried),
        tasks_passed=len(passed),
        tasks_accepted=len(accepted),
        cost_usd=round(sum(float(r["cost_usd"]) for r in rows), 6),
    )


def _model_stats(model: str, rows: list[dict[str, Any]]) -> ModelStats:
    total = _model_type_stats(rows)
    latency = sum(float(r["latency_ms"]) for r in rows) / len(rows)
    return ModelStats(
        model=model,
        attempts=total.attempts,
        passes=total.passes,
        pass_rate=_ratio(total.passes, total.attempts),
        cost_usd=total.cost_usd,
        mean_latency_ms=round(latency, 1),
        tasks=total.tasks,
        tasks_passed=total.tasks_passed,
        tasks_accepted=total.tasks_accepted,
        by_type={
            t: _model_type_stats(r)
            for t, r in sorted(_group(rows, "task_type").items(), key=lambda kv: _type_order(kv[0]))
        },
    )


# ---------------------------------------------------------------------- suggestions


def _price(config: Config, model: str, observed: ModelStats | None) -> float:
    """A model's price for comparisons: registry USD per Mtok in+out, else observed cost."""
    spec = config.registry.models.get(model)
    if spec is not None:
        return spec.price_in_per_mtok + spec.price_out_per_mtok
    if observed is not None and observed.attempts:
        return 1e6 * observed.cost_usd / observed.attempts
    return float("inf")


def suggest_chain_changes(
    by_model: Mapping[str, ModelStats], config: Config, *, min_tasks: int
) -> list[Suggestion]:
    """Chain changes the log supports, for every task type of the matrix."""
    out: list[Suggestion] = []
    for task_type, chain_cfg in config.matrix.items():
        chain = list(chain_cfg.chain)
        seen = {
            m: s.by_type[task_type.value]
            for m, s in by_model.items()
            if task_type.value in s.by_type
        }
        out += _weak_models(task_type.value, chain, seen, min_tasks)
        out += _cheaper_models(task_type.value, chain, seen, by_model, config, min_tasks)
    return out


def _weak_models(
    task_type: str, chain: list[str], seen: Mapping[str, ModelTypeStats], min_tasks: int
) -> list[Suggestion]:
    out: list[Suggestion] = []
    for i, model in enumerate(chain):
        mts = seen.get(model)
        if mts is None or mts.tasks < min_tasks:
            continue
        evidence = {"tasks": mts.tasks, "tasks_passed": mts.tasks_passed}
        if mts.tasks_passed == 0:
            out.append(
                Suggestion(
                    "drop_model",
                    task_type,
                    model,
                    f"drop {model} from the {task_type} chain: it passed none of the "
                    f"{mts.tasks} tasks it tried",
                    evidence=evidence,
                )
            )
            continue
        nxt = seen.get(chain[i + 1]) if i + 1 < len(chain) else None
        if (
            nxt is not None
            and nxt.tasks >= min_tasks
            and mts.task_pass_rate < WEAK_PASS_RATE
            and nxt.task_pass_rate >= STRONG_PASS_RATE
        ):
            out.append(
                Suggestion(
                    "skip_weak_model",
                    task_type,
                    model,
                    f"consider starting {task_type} after {model}: it passed only "
                    f"{mts.tasks_passed}/{mts.tasks} tasks, while {chain[i + 1]} passed "
                    f"{nxt.tasks_passed}/{nxt.tasks} of those it got",
                    before_model=chain[i + 1],
                    evidence={**evidence, "next_tasks": nxt.tasks, "next_passed": nxt.tasks_passed},
                )
            )
    return out


def _cheaper_models(
    task_type: str,
    chain: list[str],
    seen: Mapping[str, ModelTypeStats],
    by_model: Mapping[str, ModelStats],
    config: Config,
    min_tasks: int,
) -> list[Suggestion]:
    """A model that passes most tasks of the type and is cheaper than a chain member
    placed before it (or absent from the chain): it should get those tasks first."""
    out: list[Suggestion] = []
    for model, mts in seen.items():
        if mts.tasks < min_tasks or mts.task_pass_rate < STRONG_PASS_RATE:
            continue
        price = _price(config, model, by_model.get(model))
        pos = chain.index(model) if model in chain else len(chain)
        dearer = [
            m for m in chain[:pos] if _price(config, m, by_model.get(m)) > price and m != model
        ]
        if not dearer:
            continue
        target = dearer[0]
        where = "in" if model not in chain else "earlier in"
        out.append(
            Suggestion(
                "add_cheaper_model",
                task_type,
                model,
                f"put {model} {where} the {task_type} chain before {target}: it is cheaper "
                f"and passed {mts.tasks_passed}/{mts.tasks} {task_type} tasks it tried",
                before_model=target,
                evidence={"tasks": mts.tasks, "tasks_passed": mts.tasks_passed},
            )
        )
    return out
