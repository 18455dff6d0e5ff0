"""The model calls of the task log and what they cost: reserve before a call, settle after,
and read the spend (the arithmetic and budget checks live in ``store/ledger.py``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from escalator.errors import InputError
from escalator.store import ledger
from escalator.store.access import LogAccess
from escalator.store.health import log_errors
from escalator.store.records import CallRecord
from escalator.store.rows import row_fields

__all__ = ["Spending"]


class Spending(LogAccess):
    """Every model call goes through the ledger; budgets and totals read only from it."""

    def spent_today(self, task_type: str, now: datetime | None = None) -> float:
        """USD the ledger counts today (UTC) for tasks of ``task_type`` (calls still in
        flight at their worst case)."""
        with self._lock, log_errors(self.path):
            return ledger.spent_today(self._conn, task_type, now)

    def reserve_call(self, call: CallRecord, check: ledger.BudgetCheck) -> int:
        """Before a model call: ``check(spent_on_task, spent_today)`` against the ledger
        and the call's reservation, in one write transaction (``check`` raises to refuse:
        nothing is reserved then). Returns the call's id for ``settle_call``."""
        tid = self.resolve_id(call.task_id)
        with self._write() as db:
            task_type = db.execute(
                "SELECT task_type FROM tasks WHERE task_id = ?", (tid,)
            ).fetchall()[0][0]
            return ledger.insert_reserved(db, replace(call, task_id=tid), str(task_type), check)

    def settle_call(self, call_id: int, call: CallRecord) -> None:
        """After a model call: its real figures, added to the task's totals at once."""
        if call.state not in ledger.CALL_STATES:
            raise InputError(
                f"call state {call.state!r} is invalid; use one of " + ", ".join(ledger.CALL_STATES)
            )
        with self._write() as db:
            ledger.settle(db, call_id, call)

    def add_call(self, call: CallRecord) -> int:
        """Record a call that already happened (no budget check): imports, seeds, replays."""
        tid = self.resolve_id(call.task_id)
        with self._write() as db:
            return ledger.insert_done(db, replace(call, task_id=tid))

    def calls(self, task_id: str) -> list[CallRecord]:
        """A task's model calls in order: the ledger its spend is summed from."""
        tid = self.resolve_id(task_id)
        rows = self._query("SELECT * FROM calls WHERE task_id = ? ORDER BY id", (tid,))
        return [
            CallRecord(
                **{**row_fields(r, CallRecord), "tokens_estimated": bool(r["tokens_estimated"])}
            )
            for r in rows
        ]

    def task_spend(self, task_id: str) -> ledger.Spend:
        """What the ledger says a task's calls cost."""
        tid = self.resolve_id(task_id)
        with self._lock, log_errors(self.path):
            return ledger.spend_of(self._conn, tid)
