"""The policies: ``StaticPolicy`` walks the configured chain as written; ``LearnedPolicy``
orders, skips and trusts models by what the task log says, with the matrix as its prior.

The learned choice: for each model still allowed, the posterior probability ``p`` that
its turn yields a verified result *in the current context* (nothing tried, local models
failed, a paid model failed) and the cost ``c`` of a turn (dollars, plus latency at
``usd_per_second``). The order of the rest is by ``c / p`` (the optimal order for
independent chances, so it minimises the expected cost to a verified result counting
the likely further escalation); the first of that order is the choice. Models are
skipped when ``c / p > value_usd``, or when a model
already tried on this task is at least as good on the evidence and no dearer. With
``explore``, the plan is made from Thompson draws instead of posterior means, and kept
only when its expected cost is at most ``explore_max_usd`` above the best plan's.

Cold start (fewer than ``min_tasks`` tasks of a type logged) is the configured chain in
order, less the paid models the configuration itself rules out: dearer and configured no
better (``quality``) than a paid model that already failed the task. That rule also holds
later for a model with fewer than ``min_turns_to_dominate`` turns of its own evidence.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from escalator.config import PolicyConfig, PolicyMode
from escalator.learn.choice import Choice, ModelInfo, State, Trust
from escalator.learn.evidence import Context, Trace, context_after
from escalator.learn.stats import Beta, Evidence

__all__ = ["LearnedPolicy", "Policy", "StaticPolicy"]

DEFAULT_TOKENS = (1500.0, 400.0)  # a turn's tokens in/out before any is observed

Draw = Callable[[str, tuple[str, ...]], float]  # P(success | models failed)


class Policy(Protocol):
    """What the engine asks: the next model, and whether to trust a lone answer."""

    @property
    def mode(self) -> PolicyMode: ...

    def choose_next(self, state: State) -> Choice: ...

    def trust(self, task_type: str, model: str, configured: Sequence[str]) -> Trust: ...

    def observe(self, trace: Trace) -> None: ...


class StaticPolicy:
    """The configured matrix: the chain in order, the configured trusted list."""

    mode = PolicyMode.STATIC

    def choose_next(self, state: State) -> Choice:
        rest = state.remaining
        if not rest:
            return Choice(None, "end of the configured chain", self.mode)
        return Choice(rest[0], "next in the configured chain", self.mode, order=rest)

    def trust(self, task_type: str, model: str, configured: Sequence[str]) -> Trust:
        listed = model in configured
        why = "in the configured trusted list" if listed else "not in the configured trusted list"
        return Trust(listed, None, 0, why)

    def observe(self, trace: Trace) -> None:
        return None


class LearnedPolicy:
    """Chooses and trusts models from evidence; the static matrix until there is enough."""

    mode = PolicyMode.LEARNED

    def __init__(
        self,
        models: Mapping[str, ModelInfo],
        settings: PolicyConfig | None = None,
        traces: Iterable[Trace] = (),
    ) -> None:
        self.models = dict(models)
        self.settings = settings or PolicyConfig()
        self.evidence = Evidence(self.is_local, traces)
        self._rng = random.Random(self.settings.seed)
        self._lock = threading.Lock()

    # -- learning ---------------------------------------------------------------------

    def observe(self, trace: Trace) -> None:
        """Count a finished task (the online update)."""
        with self._lock:
            self.evidence.add(trace)

    def cold(self, task_type: str) -> bool:
        """Too few tasks of this type: behave exactly like the static matrix."""
        return self.evidence.tasks[task_type] < self.settings.min_tasks

    # -- estimates --------------------------------------------------------------------

    def is_local(self, model: str) -> bool:
        info = self.models.get(model)
        return info.is_local if info is not None else False

    def prior_mean(self, chain: Sequence[str], model: str) -> float:
        """The matrix as a prior: the configured quality, else later in the chain = better."""
        info = self.models.get(model)
        if info is not None and info.quality is not None:
            return info.quality
        pos = chain.index(model) if model in chain else len(chain) - 1
        return 0.3 + 0.5 * pos / max(1, len(chain) - 1)

    def overall(self, task_type: str, chain: Sequence[str], model: str) -> Beta:
        """Posterior of a turn's success at ``task_type``, whatever came before."""
        e = self.evidence.of(task_type, model)
        s = self.settings
        return Beta.from_prior(
            self.prior_mean(chain, model), s.prior_strength, e.successes, e.turns - e.successes
        )

    def success(self, task_type: str, chain: Sequence[str], model: str, context: Context) -> Beta:
        """Posterior of a turn's success in ``context``, shrunk towards the overall rate."""
        succ, turns = self.evidence.of(task_type, model).in_context(context)
        base = self.overall(task_type, chain, model).mean
        return Beta.from_prior(base, self.settings.context_strength, succ, turns - succ)

    def chance(self, state: State, model: str) -> Beta:
        """Posterior of ``model``'s success now: in the current context, and after each
        model that already failed this task (where the log has enough such turns); the
        least hopeful of these, since failures on one task go together."""
        ctx = context_after(state.tried, self.is_local)
        best = self.success(state.task_type, state.chain, model, ctx)
        need = self.settings.min_turns_to_dominate
        for failed in state.tried:
            succ, turns = self.evidence.after_failure(state.task_type, failed, model)
            if turns >= need:
                pair = Beta.from_prior(
                    best.mean, self.settings.context_strength, succ, turns - succ
                )
                best = min(best, pair, key=lambda b: b.mean)
        return best

    def turn_cost(self, task_type: str, model: str) -> float:
        """Expected dollars of a turn plus its latency priced at ``usd_per_second``."""
        e = self.evidence.of(task_type, model)
        info = self.models.get(model)
        dollars = e.mean_cost_usd
        if dollars is None:
            tokens = self.evidence.mean_tokens(task_type) or DEFAULT_TOKENS
            dollars = info.cost_usd(*tokens) if info is not None else 0.0
        latency = e.mean_latency_s
        if latency is None:
            latency = self.evidence.mean_latency_s(task_type, self.is_local(model)) or 0.0
        return dollars + self.settings.usd_per_second * latency

    # -- choosing ---------------------------------------------------------------------

    def choose_next(self, state: State) -> Choice:
        if self.cold(state.task_type):
            return self._cold_choice(state)
        with self._lock:
            return self._choose(state)

    def _cold_choice(self, state: State) -> Choice:
        """The configured chain in order, less the paid models the configuration itself
        says are not worth a turn: one that a paid model already tried beats on the
        configured quality and price (when both have a quality)."""
        skipped = {m: why for m in state.remaining if (why := self._prior_dominated(state, m))}
        rest = tuple(m for m in state.remaining if m not in skipped)
        n = self.evidence.tasks[state.task_type]
        reason = f"cold start ({n} of {self.settings.min_tasks} {state.task_type} tasks logged): "
        reason += "next in the configured chain" if rest else "end of the configured chain"
        if skipped:
            reason += "; skipping " + "; ".join(f"{m} ({r})" for m, r in skipped.items())
        return Choice(rest[0] if rest else None, reason, self.mode, rest)

    def _prior_dominated(self, state: State, model: str) -> str | None:
        """Why the configuration alone rules ``model`` out now, or None."""
        info = self.models.get(model)
        if info is None or info.is_local or info.quality is None:
            return None
        for other in state.tried:
            o = self.models.get(other)
            if o is None or o.is_local or o.quality is None:
                continue
            no_dearer = (
                o.price_in_per_mtok <= info.price_in_per_mtok
                and o.price_out_per_mtok <= info.price_out_per_mtok
            )
            if no_dearer and o.quality >= info.quality:
                return (
                    f"{other} already failed this task and is configured at least as good "
                    f"(quality {o.quality:.2f} >= {info.quality:.2f}), no dearer"
                )
        return None

    def _mean(self, state: State) -> Draw:
        def mean(m: str, tried: tuple[str, ...]) -> float:
            return self.chance(State(state.task_type, state.chain, tried), m).mean

        return mean

    def _choose(self, state: State) -> Choice:
        mean = self._mean(state)
        best = self._plan_with(state, mean)
        if not self.settings.explore or self.settings.explore_max_usd <= 0 or not best[0]:
            return self._explain(state, best, mean, explored=False)
        cache: dict[tuple[str, tuple[str, ...]], float] = {}

        def drawn(m: str, tried: tuple[str, ...]) -> float:
            if (m, tried) not in cache:
                beta = self.chance(State(state.task_type, state.chain, tried), m)
                cache[(m, tried)] = beta.sample(self._rng)
            return cache[(m, tried)]

        trial = self._plan_with(state, drawn)
        if not trial[0] or trial[0][0] == best[0][0]:
            return self._explain(state, best, mean, explored=False)
        extra = self.expected_cost(state, trial[0], mean) - self.expected_cost(state, best[0], mean)
        if extra <= self.settings.explore_max_usd:
            return self._explain(state, trial, mean, explored=True)
        return self._explain(state, best, mean, explored=False)

    def _plan_with(self, state: State, draw: Draw) -> tuple[tuple[str, ...], dict[str, str]]:
        """The planned order of the remaining models, and why each other one is skipped.

        Ordered by cost per chance of success (``c / p``) now, the order that minimises
        the expected cost to a verified result when each turn's chance is independent;
        ties keep the matrix's order (free models first)."""
        skipped = self._skips(state, draw)

        def index(m: str) -> tuple[float, int]:
            p = draw(m, state.tried)
            c = self.turn_cost(state.task_type, m)
            return (c / p if p > 0 else float("inf"), state.chain.index(m))

        allowed = [m for m in state.remaining if m not in skipped]
        return tuple(sorted(allowed, key=index)), skipped

    def expected_cost(self, state: State, order: Sequence[str], draw: Draw) -> float:
        """Expected spend of walking ``order`` until a verified result (each turn's
        chance given the models that would have failed before it)."""
        total, alive = 0.0, 1.0
        tried = tuple(state.tried)
        for model in order:
            total += alive * self.turn_cost(state.task_type, model)
            alive *= 1.0 - draw(model, tried)
            tried = (*tried, model)
        return total

    def plan(self, state: State) -> tuple[tuple[str, ...], dict[str, str]]:
        """The order the policy plans for the remaining models (posterior means), and
        the models it skips with the reason."""
        return self._plan_with(state, self._mean(state))

    def _skips(self, state: State, draw: Draw) -> dict[str, str]:
        """Models not worth a turn now, each with the reason."""
        out: dict[str, str] = {}
        for m in state.remaining:
            p, c = draw(m, state.tried), self.turn_cost(state.task_type, m)
            if c > 0 and (p <= 0 or c / p > self.settings.value_usd):
                out[m] = (
                    f"expected ${c / max(p, 1e-9):.4f} per verified result now exceeds "
                    f"value_usd {self.settings.value_usd}"
                )
                continue
            better = self._dominated_by(state, m)
            if better is not None:
                out[m] = f"{better} already failed this task and is at least as good, no dearer"
            elif self.evidence.of(state.task_type, m).turns < self.settings.min_turns_to_dominate:
                # too little evidence of its own to overrule the configuration
                why = self._prior_dominated(state, m)
                if why is not None:
                    out[m] = why
        return out

    def _dominated_by(self, state: State, model: str) -> str | None:
        """A tried model of the same kind (local or paid) at least as likely to succeed
        (on enough evidence) and no dearer. Free turns are never skipped this way: a weaker
        model's answer still counts as a vote for agreement."""
        t = state.task_type
        need = self.settings.min_turns_to_dominate
        cost = self.turn_cost(t, model)
        if cost <= 0 or self.evidence.of(t, model).turns < need:
            return None
        rate = self.overall(t, state.chain, model).mean
        for other in state.tried:
            if (
                other == model
                or self.is_local(other) != self.is_local(model)
                or self.evidence.of(t, other).turns < need
            ):
                continue
            if (
                self.overall(t, state.chain, other).mean >= rate
                and self.turn_cost(t, other) <= cost
            ):
                return other
        return None

    def _explain(
        self,
        state: State,
        plan: tuple[tuple[str, ...], dict[str, str]],
        mean: Draw,
        *,
        explored: bool,
    ) -> Choice:
        order, skipped = plan
        if not order:
            why = "; ".join(f"{m}: {r}" for m, r in skipped.items()) or "no model left"
            return Choice(None, f"stop: {why}", self.mode, (), explored)
        first = order[0]
        ctx = context_after(state.tried, self.is_local)
        e = self.evidence.of(state.task_type, first)
        reason = (
            f"{'exploring: ' if explored else ''}lowest expected cost to a verified result: "
            f"P(success | {ctx.value}) {mean(first, state.tried):.2f} "
            f"({e.in_context(ctx)[1]} turns logged in that context), "
            f"${self.turn_cost(state.task_type, first):.4f} a turn"
        )
        if skipped:
            reason += "; skipping " + "; ".join(f"{m} ({r})" for m, r in skipped.items())
        return Choice(
            first,
            reason,
            self.mode,
            order,
            explored,
            round(self.expected_cost(state, order, mean), 6),
        )

    # -- trust --------------------------------------------------------------------------

    def trust(self, task_type: str, model: str, configured: Sequence[str]) -> Trust:
        """Trust a lone uncontradicted answer when the model's corroborated precision at
        this type is high enough; the configured list until there is evidence."""
        e = self.evidence.of(task_type, model)
        answers = e.verified + e.contradicted
        s = self.settings
        if self.is_local(model):
            # a free model's answers are mostly judged against other weak models in the
            # local round, which inflates its corroboration rate: its trust stays configured
            listed = model in configured
            return Trust(listed, None, answers, f"free model: configured list says {listed}")
        if self.cold(task_type) or answers < s.trust_min_answers:
            listed = model in configured
            why = f"{answers} corroborated or contradicted answers (< {s.trust_min_answers})"
            return Trust(listed, None, answers, f"{why}: configured list says {listed}")
        info = self.models.get(model)
        prior = info.quality if info is not None and info.quality is not None else 0.5
        post = Beta.from_prior(prior, s.prior_strength, e.verified, e.contradicted)
        ok = post.mean >= s.trust_precision
        reason = (
            f"precision {post.mean:.2f} ({e.verified} corroborated, {e.contradicted} "
            f"contradicted) {'>=' if ok else '<'} {s.trust_precision}"
        )
        return Trust(ok, round(post.mean, 4), answers, reason)
