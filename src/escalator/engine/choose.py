"""Which model next, whose lone answer to trust, and what the task's end teaches: the
engine's side of the policy (``escalator.learn``).

``choose_at`` asks the policy before each model's turn and re-plans the rest of the
chain to the policy's order (a skipped model leaves the chain for this task); with the
static policy the chain stays exactly as configured. ``learned_trust`` replaces the
plan's ``trusted`` list at the start. ``record_labels`` labels every attempt when the
task ends (validators, agreement, the accepted result) and lets the policy observe it.
"""

from __future__ import annotations

from dataclasses import replace

from escalator.config import Config
from escalator.engine.context import TaskRun
from escalator.engine.contracts import RunOptions
from escalator.engine.state import Candidate
from escalator.learn import Attempt, Choice, Label, Policy, State, Trace, policy_from_log
from escalator.learn.labels import LoggedAttempt, label_attempts
from escalator.plan import Plan
from escalator.store import EventKind, TaskLog
from escalator.task import Outcome
from escalator.work.prompts import escalation_brief

__all__ = ["brief_tokens", "choose_at", "learned_trust", "open_policy", "record_labels"]


def open_policy(config: Config, options: RunOptions, log: TaskLog) -> Policy:
    """The caller's policy object, else the configured (or ``policy_mode``) one learned
    from the task log."""
    if options.policy is not None:
        return options.policy
    settings = config.policy
    if options.policy_mode is not None:
        settings = replace(settings, mode=options.policy_mode)
    return policy_from_log(config, settings, log)


def learned_trust(policy: Policy, plan: Plan) -> Plan:
    """The plan with the models whose lone, uncontradicted answer the policy trusts."""
    task_type = plan.task_type.value
    trusted = tuple(m for m in plan.chain if policy.trust(task_type, m, plan.trusted).trusted)
    return replace(plan, trusted=trusted)


def choose_at(run: TaskRun, index: int) -> Choice:
    """The policy's choice for the turn at ``index``; the chain's rest follows its order."""
    plan = run.plan
    done = plan.chain[:index]
    state = State(plan.task_type.value, plan.chain, done, plan.trusted, run.request.description)
    choice = run.policy.choose_next(state)
    chain = (*done, *choice.order) if choice.model is not None else done
    if chain != plan.chain:
        run.state.plan = replace(plan, chain=chain)
        run.event(
            EventKind.POLICY_CHOICE,
            to_model=choice.model,
            detail={**choice.to_json(), "dropped": [m for m in plan.chain if m not in chain]},
        )
    run.choice = choice
    return choice


def brief_tokens(run: TaskRun, attempt_in_model: int) -> int | None:
    """Tokens of the escalation brief in this attempt's prompt (None: no brief)."""
    if attempt_in_model > 1 or not run.state.prior:
        return None
    return escalation_brief(run.state.prior, run.config.policy.brief_tokens).tokens


def _accepted_keys(run: TaskRun, chosen: Candidate) -> tuple[set[str], bool]:
    """The accepted result's answers (its agreement cluster), and whether at least two
    models stand behind it (or the validators needed no second opinion)."""
    report = run.agreement_report
    cluster = report.cluster_of(chosen.key) if report is not None else None
    if cluster is None:
        alone = "agreement" in run.plan.validators and report is not None and report.applicable
        return {chosen.key}, not alone
    return set(cluster.keys) | {chosen.key}, len(set(cluster.models)) >= 2


def record_labels(run: TaskRun, outcome: Outcome, chosen: Candidate | None) -> None:
    """Label the task's attempts in the log and let the policy learn from them."""
    logged = run.log.attempts(run.task_id)
    passed = outcome is Outcome.PASSED and chosen is not None
    accepted, corroborated = _accepted_keys(run, chosen) if passed and chosen else (set(), False)
    labels = label_attempts(
        [LoggedAttempt(a.n, a.model, a.outcome) for a in logged],
        passing={c.key for c in run.state.pool},
        accepted=accepted,
        corroborated=corroborated,
        task_passed=passed,
        confirmer=run.state.confirmed_by,
    )
    run.log.set_labels(run.task_id, {n: label.value for n, label in labels.items()})
    attempts = tuple(
        Attempt(
            a.model,
            labels.get(a.n, Label.UNKNOWN),
            cost_usd=a.cost_usd,
            tokens_in=a.tokens_in,
            tokens_out=a.tokens_out,
            latency_s=a.latency_ms / 1000,
        )
        for a in logged
    )
    run.policy.observe(Trace(run.plan.task_type.value, attempts, run.task_id))
