"""``LearnedPolicy`` orders, skips and trusts models by what the task log says, with the
matrix as its prior (``escalator.learn.static`` has the interface and the static policy).

The learned choice: for each model still allowed, the posterior probability ``p`` that
its turn yields a verified result *in the current context* (nothing tried, local models
failed, a paid model failed) and the cost ``c`` of a turn (dollars, plus latency at
``usd_per_second``). The order of the rest is by ``c / p`` (the optimal order for
independent chances, so it minimises the expected cost to a verified result counting
the likely further escalation); the first of that order is the choice. A model is
skipped when ``c / p > value_usd``. After a model that is at least as good and no dearer
failed the task, a model's chance is not its overall rate: failures on one task go
together, so until the log holds such turns its chance is shrunk towards
``rate * (1 - rate of the one that failed)``. That puts such a model last, as a second
opinion worth its price only when ``value_usd`` says so. With ``explore``, the plan is made
from Thompson draws (seeded per task and state, so a task's choices can be re-derived)
instead of posterior means, and kept only when its expected cost is at most
``explore_max_usd`` above the best plan's.

Cold start (fewer than ``min_tasks`` tasks of a type logged) is the configured chain in
order, except that a paid model dearer and configured no better (``quality``) than a paid
model that already failed the task moves to the end: a second opinion, not the next rung.
"""

from __future__ import annotations

import random
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from escalator.config import PolicyConfig, PolicyMode
from escalator.learn.choice import Choice, ModelInfo, State, Trust
from escalator.learn.evidence import Context, Trace, context_after
from escalator.learn.stats import Beta, Evidence

__all__ = ["LearnedPolicy"]

DEFAULT_TOKENS = (1500.0, 400.0)  # a turn's tokens in/out before any is observed

Draw = Callable[[str, tuple[str, ...]], float]  # P(success | models failed)


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
        model that already failed this task; the least hopeful of these, since failures on
        one task go together. After a failed model that is at least as good and no dearer
        (``dominates``), the prior is ``model``'s ``first_rung`` rate times that model's
        failure rate; otherwise only ``min_turns_to_dominate`` logged turns after it count."""
        t = state.task_type
        ctx = context_after(state.tried, self.is_local)
        best = self.success(t, state.chain, model, ctx)
        need = self.settings.min_turns_to_dominate
        beaten_by = self._beaten_by(state, model)
        for failed in state.tried:
            succ, turns = self.evidence.after_failure(t, failed, model)
            dominated = failed in beaten_by
            if turns < need and not dominated:
                continue
            prior = best.mean
            if dominated:
                prior = self.first_rung(state, model) * (1.0 - self.first_rung(state, failed))
            pair = Beta.from_prior(prior, self.settings.context_strength, succ, turns - succ)
            best = min(best, pair, key=lambda b: b.mean)
        return best

    def dominates(self, state: State, better: str, model: str) -> bool:
        """Both are paid, and ``better`` is at least as likely to succeed and no dearer
        than ``model``. On the log's evidence where both have ``min_turns_to_dominate``
        turns as the first paid model of a task (fresh, or after local models only), else
        on the configured ``quality`` and prices. Rates from later turns do not compare: a
        model only asked after other paid models failed looks weak whatever its strength.
        Free models never dominate or are dominated: every free answer is a vote for
        agreement."""
        if self.is_local(better) or self.is_local(model):
            return False
        t, need = state.task_type, self.settings.min_turns_to_dominate
        b, m = self.evidence.of(t, better), self.evidence.of(t, model)
        for ctx in (Context.FRESH, Context.AFTER_LOCAL):
            (bs, bn), (ms, mn) = b.in_context(ctx), m.in_context(ctx)
            if min(bn, mn) >= need:
                rate_b = self._rate(state, better, bs, bn)
                no_dearer = self.turn_cost(t, better) <= self.turn_cost(t, model)
                return no_dearer and rate_b >= self._rate(state, model, ms, mn)
        return self._configured_better(better, model)

    def first_rung(self, state: State, model: str) -> float:
        """``model``'s rate as the first paid model of a task (or fresh): the strength it
        shows before others failed, the matrix as prior. Its overall rate would mix in
        turns after stronger models failed, which make a second opinion look weak."""
        e = self.evidence.of(state.task_type, model)
        (fs, fn), (ls, ln) = e.in_context(Context.FRESH), e.in_context(Context.AFTER_LOCAL)
        return self._rate(state, model, fs + ls, fn + ln)

    def _rate(self, state: State, model: str, successes: int, turns: int) -> float:
        """A model's posterior rate from ``successes`` of ``turns``, the matrix as prior."""
        prior, strength = self.prior_mean(state.chain, model), self.settings.prior_strength
        return Beta.from_prior(prior, strength, successes, turns - successes).mean

    def _configured_better(self, better: str, model: str) -> bool:
        """The configuration rates ``better`` at least as good (``quality``), no dearer."""
        b, m = self.models.get(better), self.models.get(model)
        if b is None or m is None or b.quality is None or m.quality is None:
            return False
        return (
            b.price_in_per_mtok <= m.price_in_per_mtok
            and b.price_out_per_mtok <= m.price_out_per_mtok
            and b.quality >= m.quality
        )

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
        """The configured chain in order, except that a paid model the configuration rates
        no better than a paid model that already failed, and no cheaper, moves to the end:
        it is a second opinion once the rest have failed, not the next rung."""
        later = {m: why for m in state.remaining if (why := self._second_opinion(state, m))}
        rest = (
            *(m for m in state.remaining if m not in later),
            *(m for m in state.remaining if m in later),
        )
        n = self.evidence.tasks[state.task_type]
        reason = f"cold start ({n} of {self.settings.min_tasks} {state.task_type} tasks logged): "
        if not rest:
            reason += "end of the configured chain"
        elif rest[0] in later:
            reason += f"second opinion: {later[rest[0]]}"
        else:
            reason += "next in the configured chain"
            if later:
                reason += "; last, as second opinions: " + ", ".join(later)
        return Choice(rest[0] if rest else None, reason, self.mode, rest)

    def _second_opinion(self, state: State, model: str) -> str | None:
        """Why the configuration puts paid ``model`` after the rest now, or None."""
        info = self.models.get(model)
        if info is None or info.is_local:
            return None
        for other in state.tried:
            o = self.models.get(other)
            if o is not None and not o.is_local and self._configured_better(other, model):
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
        rng = self._rng_for(state)

        def drawn(m: str, tried: tuple[str, ...]) -> float:
            if (m, tried) not in cache:
                beta = self.chance(State(state.task_type, state.chain, tried), m)
                cache[(m, tried)] = beta.sample(rng)
            return cache[(m, tried)]

        trial = self._plan_with(state, drawn)
        if not trial[0] or trial[0][0] == best[0][0]:
            return self._explain(state, best, mean, explored=False)
        extra = self.expected_cost(state, trial[0], mean) - self.expected_cost(state, best[0], mean)
        if extra <= self.settings.explore_max_usd:
            return self._explain(state, trial, mean, explored=True)
        return self._explain(state, best, mean, explored=False)

    def _rng_for(self, state: State) -> random.Random:
        """The Thompson draws' generator for this task and state: the same choice for the
        same task, evidence and seed, whatever order concurrent tasks run in."""
        key = "\x1f".join((str(self.settings.seed), state.key, *state.tried))
        return random.Random(zlib.crc32(key.encode()))

    def _plan_with(self, state: State, draw: Draw) -> tuple[tuple[str, ...], dict[str, str]]:
        """The planned order of the remaining models, and why each other one is skipped.

        Ordered by cost per chance of success (``c / p``) now, the order that minimises
        the expected cost to a verified result when each turn's chance is independent;
        ties keep the matrix's order (free models first). Second opinions (models that a
        failed model ``dominates``) come after all the others: a weaker model's answer
        agreeing with a wrong local one is how false accepts are made, so it is asked
        only when nothing better is left."""
        skipped = self._skips(state, draw)

        def index(m: str) -> tuple[bool, float, int]:
            p = draw(m, state.tried)
            c = self.turn_cost(state.task_type, m)
            return (
                bool(self._beaten_by(state, m)),
                c / p if p > 0 else float("inf"),
                state.chain.index(m),
            )

        allowed = [m for m in state.remaining if m not in skipped]
        return tuple(sorted(allowed, key=index)), skipped

    def _beaten_by(self, state: State, model: str) -> list[str]:
        """The models that already failed this task and dominate ``model``."""
        return [f for f in state.tried if f != model and self.dominates(state, f, model)]

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
        """Models not worth a turn now (expected cost per verified result above the
        value of one), each with the reason."""
        out: dict[str, str] = {}
        for m in state.remaining:
            p, c = draw(m, state.tried), self.turn_cost(state.task_type, m)
            if c > 0 and (p <= 0 or c / p > self.settings.value_usd):
                after = self._beaten_by(state, m)
                since = f" (after {', '.join(after)} failed)" if after else ""
                out[m] = (
                    f"expected ${c / max(p, 1e-9):.4f} per verified result now{since} "
                    f"exceeds value_usd {self.settings.value_usd}"
                )
        return out

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
