"""Traces from a real SQLite task log: stored labels, labels derived from older rows, and
review decisions as later labels."""

from __future__ import annotations

from pathlib import Path

from escalator.config import PolicyMode, default_config, parse_config
from escalator.learn import Label, LearnedPolicy, StaticPolicy, policy_from_log, traces_from_log
from escalator.store import AttemptRecord, EventRecord, TaskLog, TaskRecord, VerdictRecord, open_log

T = "standard_development"


def _task(log: TaskLog, outcome: str, final: str | None) -> str:
    tid = log.create_task(TaskRecord(task_type=T, description="x", outcome="running"))
    log.update_task(tid, outcome=outcome, final_model=final)
    return tid


def _attempt(log: TaskLog, tid: str, model: str, outcome: str, **kw: object) -> None:
    verdicts = kw.pop("verdicts", ())
    log.add_attempt(AttemptRecord(task_id=tid, model=model, outcome=outcome, **kw), verdicts)  # type: ignore[arg-type]


def test_labels_stored_derived_and_reversed(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t.db", config=default_config())
    with log:
        a = _task(log, "passed", "haiku")
        _attempt(log, a, "qwen3-30b", "failed", cost_usd=0.0)
        _attempt(log, a, "haiku", "passed", cost_usd=0.002, latency_ms=1500)
        b = _task(log, "passed", "haiku")
        contradicted = (
            VerdictRecord(validator="tests", status="passed"),
            VerdictRecord(validator="agreement", status="failed"),
        )
        _attempt(log, b, "qwen3-30b", "failed", verdicts=contradicted)
        _attempt(log, b, "haiku", "skipped")  # deferred, later accepted: the final model
        c = _task(log, "passed", "haiku")
        _attempt(log, c, "haiku", "passed", label="accepted_alone")
        log.add_event(EventRecord(task_id=c, kind="review_rejected"))
        log.update_task(c, outcome="rejected")
        _task(log, "running", None)  # unfinished: not evidence
        traces = {t.task_id: t for t in traces_from_log(log)}
    assert set(traces) == {a, b, c}
    assert [x.label for x in traces[a].attempts] == [Label.FAILED, Label.VERIFIED]
    assert traces[a].attempts[1].latency_s == 1.5
    assert [x.label for x in traces[b].attempts] == [Label.CONTRADICTED, Label.VERIFIED]
    assert [x.label for x in traces[c].attempts] == [Label.REVERSED]


def test_set_labels_and_policy_columns_round_trip(tmp_path: Path) -> None:
    with open_log(tmp_path / "t.db", config=default_config()) as log:
        tid = _task(log, "skipped", None)
        _attempt(log, tid, "haiku", "failed", policy="learned", policy_reason="why", brief_tokens=7)
        log.set_labels(tid, {1: "unknown"})
        (row,) = log.attempts(tid)
    assert (row.policy, row.policy_reason, row.brief_tokens, row.label) == (
        "learned",
        "why",
        7,
        "unknown",
    )


def test_policy_from_log_follows_the_configured_mode(tmp_path: Path) -> None:
    learned = default_config()
    static = parse_config({"policy": {"mode": "static"}})
    assert static.policy.mode is PolicyMode.STATIC
    with open_log(tmp_path / "t.db", config=learned) as log:
        assert isinstance(policy_from_log(learned, learned.policy, log), LearnedPolicy)
        assert isinstance(policy_from_log(static, static.policy, log), StaticPolicy)


def test_labels_at_the_end_of_a_task() -> None:
    from escalator.learn.labels import LoggedAttempt, label_attempts

    attempts = [
        LoggedAttempt(1, "a", "failed"),
        LoggedAttempt(2, "b", "skipped"),
        LoggedAttempt(3, "c", "skipped"),
        LoggedAttempt(4, "d", "error"),
        LoggedAttempt(5, "e", "passed"),
    ]
    passing = {"b#2", "c#3", "e#5"}
    labels = label_attempts(
        attempts, passing=passing, accepted={"b#2", "e#5"}, corroborated=True, task_passed=True
    )
    assert labels == {
        1: Label.FAILED,
        2: Label.VERIFIED,
        3: Label.CONTRADICTED,
        4: Label.ERROR,
        5: Label.VERIFIED,
    }
    alone = label_attempts(
        attempts, passing=passing, accepted={"e#5"}, corroborated=False, task_passed=True
    )
    assert alone[5] is Label.ACCEPTED_ALONE and alone[2] is Label.CONTRADICTED
    none = label_attempts(
        attempts, passing=passing, accepted=(), corroborated=False, task_passed=False
    )
    assert none[2] is Label.UNKNOWN and none[1] is Label.FAILED


BENCH_SCORES = ("hidden_pass", "baseline_model", "baseline_cost_usd", "baseline_hidden_pass")


def test_hidden_test_results_never_reach_learning(tmp_path: Path) -> None:
    """A bench's hidden-test results and baseline (``bench.record``) are in the task log,
    but what the learned policy reads is the same with or without them."""
    with open_log(tmp_path / "t.db", config=default_config()) as log:
        ids = []
        for final in ("haiku", "qwen3-30b", "haiku"):
            tid = _task(log, "passed", final)
            _attempt(log, tid, "qwen3-30b", "passed" if final == "qwen3-30b" else "failed")
            if final == "haiku":
                _attempt(log, tid, "haiku", "passed", cost_usd=0.002)
            ids.append(tid)
        before = traces_from_log(log)
        facts_before = [dict(r) for r in log.learning_facts()]
        for i, tid in enumerate(ids):  # the hidden tests say every accepted answer was wrong
            log.update_task(
                tid,
                hidden_pass=False,
                baseline_model="opus",
                baseline_cost_usd=0.5 + i,
                baseline_hidden_pass=True,
            )
        assert log.get_task(ids[0]).hidden_pass is False  # stored, and read back typed
        after = traces_from_log(log)
        facts_after = [dict(r) for r in log.learning_facts()]
    assert after == before and facts_after == facts_before
    assert not set(BENCH_SCORES) & set(facts_after[0])
    learn = Path(__file__).resolve().parents[2] / "src" / "escalator" / "learn"
    for source in learn.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not [c for c in BENCH_SCORES if c in text], source
