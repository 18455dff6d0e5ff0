"""The ledger of spend: one ``calls`` row per model call of a task, the only source of
every spend figure (budgets, task totals, stats, reports).

A call is *reserved* before it is sent: in one write transaction the budgets are checked
against the ledger (reserved calls count at their worst case) and the row is inserted,
so processes sharing a daily budget cannot both pass the check and both spend. After the
answer the row is *settled* with what the call really cost, in the same transaction as
the task's totals. A process killed in between leaves its reservation counted at the
worst case: budgets err on the safe side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from escalator.store.records import CallRecord, utc_iso, utc_now
from escalator.store.sql import SqlConnection

__all__ = [
    "CALL_STATES",
    "BudgetCheck",
    "Spend",
    "insert_done",
    "insert_reserved",
    "settle",
    "spend_of",
]

CALL_STATES = ("reserved", "done", "failed")

# (spent on this task, spent today on tasks of this type) -> raises to refuse the call
BudgetCheck = Callable[[float, float], None]

# What a row counts for: its real cost once settled, its worst case while reserved.
_COUNTED = "CASE WHEN c.state = 'reserved' THEN c.reserved_usd ELSE c.cost_usd END"


@dataclass(frozen=True)
class Spend:
    """A task's spend as the ledger has it."""

    cost_usd: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0


def _day(now: datetime | None) -> tuple[str, str]:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return utc_iso(start), utc_iso(start + timedelta(days=1))


def spent_today(db: SqlConnection, task_type: str, now: datetime | None = None) -> float:
    """USD counted today (UTC) on tasks of ``task_type``, reserved calls at worst case."""
    start, end = _day(now)
    row = db.execute(
        f"SELECT coalesce(sum({_COUNTED}), 0) FROM calls c "
        "JOIN tasks t ON t.task_id = c.task_id "
        "WHERE t.task_type = ? AND c.created_at >= ? AND c.created_at < ?",
        (str(task_type), start, end),
    ).fetchall()[0]
    return float(row[0])


def spent_on_task(db: SqlConnection, task_id: str) -> float:
    row = db.execute(
        f"SELECT coalesce(sum({_COUNTED}), 0) FROM calls c WHERE c.task_id = ?", (task_id,)
    ).fetchall()[0]
    return float(row[0])


def spend_of(db: SqlConnection, task_id: str) -> Spend:
    row = db.execute(
        "SELECT coalesce(sum(cost_usd), 0), coalesce(sum(tokens_in), 0), "
        "coalesce(sum(tokens_out), 0), count(*) FROM calls WHERE task_id = ?",
        (task_id,),
    ).fetchall()[0]
    return Spend(float(row[0]), int(row[1]), int(row[2]), int(row[3]))


def insert_reserved(db: SqlConnection, call: CallRecord, task_type: str, check: BudgetCheck) -> int:
    """Inside a write transaction: check the budgets against the ledger, then reserve."""
    check(spent_on_task(db, call.task_id), spent_today(db, task_type))
    cur = db.execute(
        "INSERT INTO calls (task_id, role, model, provider, attempt_n, state, reserved_usd, "
        "created_at) VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?) RETURNING id",
        (
            call.task_id,
            call.role,
            call.model,
            call.provider,
            call.attempt_n,
            call.reserved_usd,
            utc_now(),
        ),
    )
    return int(cur.fetchall()[0][0])


def settle(db: SqlConnection, call_id: int, call: CallRecord) -> None:
    """Inside a write transaction: the call's real figures, added to its task's totals."""
    db.execute(
        "UPDATE calls SET state = ?, tokens_in = ?, tokens_out = ?, tokens_estimated = ?, "
        "cost_usd = ?, latency_ms = ?, finish_reason = ?, attempt_n = coalesce(?, attempt_n), "
        "settled_at = ? WHERE id = ?",
        (
            call.state,
            call.tokens_in,
            call.tokens_out,
            int(call.tokens_estimated),
            call.cost_usd,
            call.latency_ms,
            call.finish_reason,
            call.attempt_n,
            utc_now(),
            call_id,
        ),
    )
    db.execute(
        "UPDATE tasks SET cost_usd = cost_usd + ?, tokens_in = tokens_in + ?, "
        "tokens_out = tokens_out + ?, updated_at = ? WHERE task_id = "
        "(SELECT task_id FROM calls WHERE id = ?)",
        (call.cost_usd, call.tokens_in, call.tokens_out, utc_now(), call_id),
    )


def insert_done(db: SqlConnection, call: CallRecord) -> int:
    """Inside a write transaction: a call that already happened (no budget check), added
    to its task's totals."""
    now = utc_now()
    cur = db.execute(
        "INSERT INTO calls (task_id, role, model, provider, attempt_n, state, reserved_usd, "
        "tokens_in, tokens_out, tokens_estimated, cost_usd, latency_ms, finish_reason, "
        "created_at, settled_at) VALUES (?, ?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            call.task_id,
            call.role,
            call.model,
            call.provider,
            call.attempt_n,
            call.cost_usd,
            call.tokens_in,
            call.tokens_out,
            int(call.tokens_estimated),
            call.cost_usd,
            call.latency_ms,
            call.finish_reason,
            call.created_at or now,
            now,
        ),
    )
    db.execute(
        "UPDATE tasks SET cost_usd = cost_usd + ?, tokens_in = tokens_in + ?, "
        "tokens_out = tokens_out + ?, updated_at = ? WHERE task_id = ?",
        (call.cost_usd, call.tokens_in, call.tokens_out, now, call.task_id),
    )
    return int(cur.fetchall()[0][0])
