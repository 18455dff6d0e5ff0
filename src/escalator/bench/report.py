"""Bench results: the cascade's figures, each model alone, and the oracle.

Everything comes from one run's data: the engine's records, the replay fleet's token
counts (prompt tokens are those of the engine's first real prompt per problem) and the
hidden-test results of every model's sample 0.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from escalator.bench.runner import BenchRun
from escalator.bench.suite import ModelRecord, load_outcomes
from escalator.bench.tokens import count_tokens

__all__ = ["Baseline", "BenchSummary", "answer_alone", "summarise"]

RECIPE_PROMPT_OVERHEAD = 60  # the README's cost recipe: cl100k(prompt) + 60


@dataclass(frozen=True)
class Baseline:
    """One way to solve the suite: its hidden pass rate and what it costs."""

    name: str
    pass_rate: float
    cost_usd: float
    solved: int
    recipe_cost_usd: float | None = None
    assigned: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pass_rate": round(self.pass_rate, 4),
            "cost_usd": round(self.cost_usd, 6),
            "solved": self.solved,
        }
        if self.recipe_cost_usd is not None:
            out["recipe_cost_usd"] = round(self.recipe_cost_usd, 6)
        if self.assigned is not None:
            out["assigned"] = dict(self.assigned)
        return out


@dataclass(frozen=True)
class BenchSummary:
    """The ``escalator bench --json`` document, typed."""

    run: BenchRun
    pass_rate: float
    cost_usd: float
    accepted: int
    false_accepts: int
    accepted_by_model: dict[str, int]
    baselines: dict[str, Baseline]
    oracle: Baseline
    strongest: str
    recorded_differences: list[str] | None = None  # sample-0 scores unlike outcomes.csv

    @property
    def tasks(self) -> int:
        return len(self.run.records)

    @property
    def false_accept_rate(self) -> float:
        return self.false_accepts / self.accepted if self.accepted else 0.0

    @property
    def cost_ratio_vs_strongest(self) -> float | None:
        strongest = self.baselines[self.strongest].cost_usd
        return self.cost_usd / strongest if strongest > 0 else None

    def to_json(self) -> dict[str, Any]:
        ratio = self.cost_ratio_vs_strongest
        run = self.run
        return {
            "suite": run.suite.name,
            "tasks": self.tasks,
            "chain": list(run.chain),
            "pass_rate": round(self.pass_rate, 4),
            "cost_usd": round(self.cost_usd, 6),
            "accepted": self.accepted,
            "false_accepts": self.false_accepts,
            "false_accept_rate": round(self.false_accept_rate, 4),
            "accepted_by_model": dict(self.accepted_by_model),
            "not_accepted": self.tasks - self.accepted,
            "baselines": {name: b.to_json() for name, b in self.baselines.items()}
            | {"oracle": self.oracle.to_json()},
            "strongest_model": self.strongest,
            "wall_s": round(run.wall_s, 2),
            "cost_ratio_vs_strongest": None if ratio is None else round(ratio, 4),
            "estimated_model_time_s": round(run.estimated_model_time_s, 2),
            "db_path": run.db_path,
            "scoring_runs": run.scoring_runs,
            "scoring_cached": run.scoring_cached,
            "score_cache": run.score_cache,
            "cascade_s": round(run.cascade_s, 2),
            "paid_calls": len(run.paid_prompt_tokens),
            "paid_prompt_tokens_median": (
                statistics.median(run.paid_prompt_tokens) if run.paid_prompt_tokens else None
            ),
            "scoring_reruns": run.scoring_reruns,
            "scoring_reruns_skipped": run.scoring_reruns_skipped,
            "unrecognised_requests": run.unrecognised,
            "sample0_vs_outcomes_csv": (
                None
                if self.recorded_differences is None
                else {
                    "compared": len(run.sample0),
                    "differ": len(self.recorded_differences),
                    "differences": list(self.recorded_differences),
                }
            ),
            "records": [r.to_json() for r in run.records],
        }


def summarise(run: BenchRun) -> BenchSummary:
    """Compute the cascade's figures, the baselines and the oracle."""
    records = run.records
    n = max(1, len(records))
    accepted = [r for r in records if r.accepted]
    by_model = Counter(r.final_model for r in accepted if r.final_model)
    baselines = {m.slug: _baseline(run, m) for m in run.suite.models}
    strongest = max(baselines.values(), key=lambda b: (b.pass_rate, -b.cost_usd, b.name)).name
    return BenchSummary(
        run=run,
        pass_rate=sum(r.hidden_pass for r in records) / n,
        cost_usd=sum(r.cost_usd for r in records),
        accepted=len(accepted),
        false_accepts=sum(1 for r in accepted if not r.hidden_pass),
        accepted_by_model={m: by_model[m] for m in run.chain if by_model[m]},
        baselines=baselines,
        oracle=_oracle(run, baselines),
        strongest=strongest,
        recorded_differences=_recorded_differences(run),
    )


def _recorded_differences(run: BenchRun) -> list[str] | None:
    """Every model's sample-0 score that differs from the suite's outcomes.csv."""
    recorded = load_outcomes(run.suite.path)
    if recorded is None:
        return None
    out = []
    for (model, pid), passed in sorted(run.sample0.items()):
        expected = recorded.get((model, pid, 0))
        if expected is not None and expected != passed:
            out.append(f"{model} {pid}: scored {int(passed)}, outcomes.csv {int(expected)}")
    return out


def _prompt_tokens(run: BenchRun, problem_id: str) -> int:
    """The engine's first prompt for the problem; the stub's tokens if it never asked."""
    tokens = run.first_prompt_tokens.get(problem_id)
    if tokens is not None:
        return tokens
    return count_tokens(run.suite.problem(problem_id).prompt) + RECIPE_PROMPT_OVERHEAD


def _call_cost(run: BenchRun, model: ModelRecord, problem_id: str) -> float:
    """What one call of ``model`` about the problem costs (engine prompt, sample 0 reply)."""
    tokens_out = run.book.answer_tokens(model.slug, problem_id, 0)
    return model.cost_usd(_prompt_tokens(run, problem_id), tokens_out)


def _recipe_cost(run: BenchRun, model: ModelRecord, problem_id: str) -> float:
    """The README's recipe: cl100k(prompt) + 60 in, cl100k(code) out."""
    problem = run.suite.problem(problem_id)
    code = run.suite.samples(model.slug, problem_id)[0].code
    tokens_in = count_tokens(problem.prompt) + RECIPE_PROMPT_OVERHEAD
    return model.cost_usd(tokens_in, count_tokens(code))


def answer_alone(run: BenchRun, model: ModelRecord, problem_id: str) -> tuple[float, bool]:
    """``model`` answering the problem alone in one call: what that costs (the engine's
    first prompt, its recorded sample-0 reply; nothing for a local model) and whether the
    answer passes the hidden tests. No recorded answer: nothing spent, not passed."""
    passed = run.sample0.get((model.slug, problem_id))
    if passed is None:
        return 0.0, False
    return (0.0 if model.is_local else _call_cost(run, model, problem_id)), passed


def _baseline(run: BenchRun, model: ModelRecord) -> Baseline:
    alone = [answer_alone(run, model, p.id) for p in run.suite.problems]
    covered = [p.id for p in run.suite.problems if (model.slug, p.id) in run.sample0]
    paid = not model.is_local
    return Baseline(
        name=model.slug,
        pass_rate=sum(passed for _, passed in alone) / max(1, len(run.suite.problems)),
        cost_usd=sum(cost for cost, _ in alone),
        solved=sum(passed for _, passed in alone),
        recipe_cost_usd=sum(_recipe_cost(run, model, pid) for pid in covered) if paid else 0.0,
    )


def _oracle(run: BenchRun, baselines: dict[str, Baseline]) -> Baseline:
    """Per problem the cheapest model whose sample 0 passes; ties: higher pass rate."""
    solved = 0
    cost = 0.0
    assigned: Counter[str] = Counter()
    for problem in run.suite.problems:
        options = [
            (_call_cost(run, m, problem.id), -baselines[m.slug].pass_rate, m.slug, m)
            for m in run.suite.models
            if run.sample0.get((m.slug, problem.id))
        ]
        if not options:
            continue
        call_cost, _, slug, _ = min(options, key=lambda o: (o[0], o[1], o[2]))
        solved += 1
        cost += call_cost
        assigned[slug] += 1
    return Baseline(
        name="oracle",
        pass_rate=solved / max(1, len(run.suite.problems)),
        cost_usd=cost,
        solved=solved,
        assigned=dict(assigned.most_common()),
    )


def summary_rows(summary: BenchSummary) -> list[tuple[str, float, float, float | None]]:
    """(name, hidden pass rate, cost, savings vs the strongest model) per line of the table."""
    strongest_cost = summary.baselines[summary.strongest].cost_usd

    def savings(cost: float) -> float | None:
        return 1 - cost / strongest_cost if strongest_cost > 0 else None

    rows = [("cascade", summary.pass_rate, summary.cost_usd, savings(summary.cost_usd))]
    ordered = sorted(
        summary.run.suite.models, key=lambda m: (m.price_key, -summary.baselines[m.slug].pass_rate)
    )
    for model in ordered:
        b = summary.baselines[model.slug]
        rows.append((model.slug, b.pass_rate, b.cost_usd, savings(b.cost_usd)))
    o = summary.oracle
    rows.append(("oracle", o.pass_rate, o.cost_usd, savings(o.cost_usd)))
    return rows
