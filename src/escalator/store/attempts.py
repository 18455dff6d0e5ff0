"""The attempts of the task log: each model's try at a task, with its validators' verdicts
and its learning label.

An attempt's error message and feedback and a verdict's findings and feedback pass the
redactor on the way in (they may carry a sandboxed run's output); the diff is stored as
given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from escalator.errors import InputError
from escalator.redact import redact, redact_data
from escalator.store import ledger
from escalator.store.access import LogAccess
from escalator.store.records import (
    ATTEMPT_OUTCOMES,
    AttemptRecord,
    CallRecord,
    VerdictRecord,
    utc_iso,
    utc_now,
)
from escalator.store.rows import returned_id, row_fields
from escalator.store.sql import Row, SqlConnection

__all__ = ["Attempts"]


class Attempts(LogAccess):
    """Record and read a task's attempts and their verdicts."""

    def add_attempt(
        self,
        attempt: AttemptRecord,
        verdicts: Sequence[VerdictRecord] = (),
        *,
        charge: bool = True,
    ) -> int:
        """Record an attempt and its verdicts (``verdicts``, else ``attempt.verdicts``).

        Counts the attempt and its latency on the task in the same transaction. With
        ``charge`` (for callers without a ledger of their own: imports, seeds) the worker
        call behind the attempt goes into the ledger too; the engine passes False, having
        reserved and settled that call itself. Returns the attempt id.
        """
        if attempt.outcome not in ATTEMPT_OUTCOMES:
            raise InputError(
                f"attempt outcome {attempt.outcome!r} is invalid; use one of "
                + ", ".join(ATTEMPT_OUTCOMES)
            )
        tid = self.resolve_id(attempt.task_id)
        created = utc_iso(attempt.created_at) if attempt.created_at else utc_now()
        with self._write() as db:
            n = attempt.n or _next_attempt_n(db, tid)
            cur = db.execute(
                "INSERT INTO attempts (task_id, n, model, provider, attempt_in_model, "
                "tokens_in, tokens_out, tokens_estimated, cost_usd, latency_ms, outcome, "
                "error_kind, error_message, confidence, feedback, diff, created_at, "
                "policy, policy_reason, brief_tokens, label) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    tid,
                    n,
                    attempt.model,
                    attempt.provider,
                    attempt.attempt_in_model,
                    attempt.tokens_in,
                    attempt.tokens_out,
                    int(attempt.tokens_estimated),
                    attempt.cost_usd,
                    attempt.latency_ms,
                    attempt.outcome,
                    attempt.error_kind,
                    _clean(attempt.error_message),
                    attempt.confidence,
                    _clean(attempt.feedback),
                    attempt.diff,
                    created,
                    attempt.policy,
                    attempt.policy_reason,
                    attempt.brief_tokens,
                    attempt.label,
                ),
            )
            attempt_id = returned_id(cur)
            for v in verdicts or attempt.verdicts:
                _insert_verdict(db, attempt_id, v)
            if charge and (attempt.tokens_in or attempt.tokens_out or attempt.cost_usd):
                ledger.insert_done(db, _worker_call(tid, n, attempt, created))
            db.execute(  # spend is added by the ledger, never by attempts
                "UPDATE tasks SET attempts = attempts + 1, latency_ms = latency_ms + ?, "
                "updated_at = ? WHERE task_id = ?",
                (attempt.latency_ms, utc_now(), tid),
            )
        return attempt_id

    def attempts(self, task_id: str) -> list[AttemptRecord]:
        """A task's attempts in order, each with its verdicts."""
        tid = self.resolve_id(task_id)
        rows = self._query("SELECT * FROM attempts WHERE task_id = ? ORDER BY n", (tid,))
        verdict_rows = self._query(
            "SELECT v.* FROM verdicts v JOIN attempts a ON a.id = v.attempt_id "
            "WHERE a.task_id = ? ORDER BY v.id",
            (tid,),
        )
        by_attempt: dict[int, list[VerdictRecord]] = {}
        for vr in verdict_rows:
            by_attempt.setdefault(int(vr["attempt_id"]), []).append(_verdict_from_row(vr))
        return [_attempt_from_row(r, by_attempt.get(int(r["id"]), [])) for r in rows]

    def set_labels(self, task_id: str, labels: Mapping[int, str]) -> None:
        """Set the learning label of a task's attempts, by attempt number ``n``."""
        tid = self.resolve_id(task_id)
        with self._write() as db:
            db.executemany(
                "UPDATE attempts SET label = ? WHERE task_id = ? AND n = ?",
                [(label, tid, n) for n, label in labels.items()],
            )


def _clean(text: str | None) -> str | None:
    """Secrets out of text that came from a sandboxed run (the module docstring)."""
    return None if text is None else redact(text)


def _next_attempt_n(db: SqlConnection, task_id: str) -> int:
    rows = db.execute("SELECT coalesce(max(n), 0) FROM attempts WHERE task_id = ?", (task_id,))
    return int(rows.fetchall()[0][0]) + 1


def _worker_call(task_id: str, n: int, attempt: AttemptRecord, created: str) -> CallRecord:
    return CallRecord(
        task_id=task_id,
        role="worker",
        model=attempt.model,
        provider=attempt.provider,
        attempt_n=n,
        tokens_in=attempt.tokens_in,
        tokens_out=attempt.tokens_out,
        tokens_estimated=attempt.tokens_estimated,
        cost_usd=attempt.cost_usd,
        latency_ms=attempt.latency_ms,
        created_at=created,
    )


def _insert_verdict(db: SqlConnection, attempt_id: int, v: VerdictRecord) -> None:
    db.execute(
        "INSERT INTO verdicts (attempt_id, validator, status, confidence, duration_ms, "
        "findings, feedback) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            attempt_id,
            v.validator,
            v.status,
            v.confidence,
            v.duration_ms,
            json.dumps(redact_data(v.findings), default=str),
            _clean(v.feedback),
        ),
    )


def _verdict_from_row(row: Row) -> VerdictRecord:
    return VerdictRecord(
        **{**row_fields(row, VerdictRecord), "findings": json.loads(row["findings"])}
    )


def _attempt_from_row(row: Row, verdicts: list[VerdictRecord]) -> AttemptRecord:
    data = row_fields(row, AttemptRecord)
    data["tokens_estimated"] = bool(data["tokens_estimated"])
    return AttemptRecord(**data, verdicts=tuple(verdicts))
