"""Learning from the task log: which model to call next, and whose lone answer to trust.

The API (what the engine and the bench protocols use)::

    from escalator.learn import (
        Attempt, Label, Trace, State, Choice, LearnedPolicy, StaticPolicy, policy_from_log,
    )

    policy = policy_from_log(config, config.policy, log)       # from a task log, or
    policy = LearnedPolicy(model_infos(config), config.policy, traces)  # from memory
    choice = policy.choose_next(State(task_type="standard_development",
                                      chain=("local-14b", "haiku", "sonnet"),
                                      tried=("local-14b",)))
    choice.model, choice.reason, choice.order, choice.explored   # None = stop
    policy.trust("standard_development", "sonnet", configured=()).trusted
    policy.observe(Trace("standard_development", (Attempt("haiku", Label.VERIFIED,
                                                          cost_usd=0.01),)))

* ``State``: the task type, the models the plan allows (matrix order), the models that
  already had their turn on this task without a verified result.
* ``Choice``: the next model (``None``: stop), the reason (logged per attempt), the
  planned order of the rest, whether it was an exploratory pick, its expected cost.
* ``Trace`` / ``Attempt`` / ``Label``: one finished task's calls with the labels the
  engine can know (validators, agreement, review decisions, reversals; never hidden
  tests). ``observe`` is the online update; ``traces_from_log`` reads a log.
* ``StaticPolicy``: the configured chain as written and the configured ``trusted``
  list. ``LearnedPolicy`` is identical to it until ``min_tasks`` tasks of a type are
  logged (cold start), then orders, skips and trusts models by evidence
  (``escalator.learn.policy`` explains how).

Settings are ``config.PolicyConfig`` (the ``[policy]`` table). ``tune`` proposes a
matrix from the evidence; ``counterfactual`` estimates what another matrix would have
done on the logged tasks.
"""

from escalator.config import PolicyConfig, PolicyMode
from escalator.learn.build import model_infos, policy_for, policy_from_log
from escalator.learn.choice import Choice, ModelInfo, State, Trust
from escalator.learn.evidence import Attempt, Context, Label, Trace, Visit, visits
from escalator.learn.history import traces_from_log, traces_from_rows
from escalator.learn.policy import LearnedPolicy
from escalator.learn.static import Policy, StaticPolicy
from escalator.learn.stats import Beta, Evidence

__all__ = [
    "Attempt",
    "Beta",
    "Choice",
    "Context",
    "Evidence",
    "Label",
    "LearnedPolicy",
    "ModelInfo",
    "Policy",
    "PolicyConfig",
    "PolicyMode",
    "State",
    "StaticPolicy",
    "Trace",
    "Trust",
    "Visit",
    "model_infos",
    "policy_for",
    "policy_from_log",
    "traces_from_log",
    "traces_from_rows",
    "visits",
]
