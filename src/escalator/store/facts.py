"""Flat rows the analytics, the learned policy and the A/B report read from the task log:
one query each, joined and summed in SQL."""

from __future__ import annotations

from typing import Any

from escalator.store.access import LogAccess
from escalator.store.sql import Row

__all__ = ["Facts"]


class Facts(LogAccess):
    """Read-only queries across tasks, attempts, calls, verdicts and events."""

    def attempt_facts(self) -> list[Row]:
        """Per attempt: task type, task outcome, model, outcome, cost, latency (for analytics)."""
        return self._query(
            "SELECT a.task_id, t.task_type, t.outcome AS task_outcome, t.final_model, "
            "a.model, a.outcome, (SELECT coalesce(sum(c.cost_usd), 0) FROM calls c "
            "WHERE c.task_id = a.task_id AND c.attempt_n = a.n) AS cost_usd, "
            "a.latency_ms, a.tokens_in, a.tokens_out "
            "FROM attempts a JOIN tasks t ON t.task_id = a.task_id ORDER BY a.task_id, a.n"
        )

    def learning_facts(self, task_type: str | None = None) -> list[Row]:
        """Per attempt of a finished task, oldest task first: the task's type, outcome and
        final model, whether a review rejected or approved it, and the attempt's model, outcome,
        label, cost, tokens, latency and its validators' statuses (``statuses``:
        ``validator=status`` joined by commas)."""
        statuses = self._conn.concat_agg("v.validator || '=' || v.status")
        where = "WHERE t.outcome NOT IN ('running', 'awaiting_approval', 'interrupted')"
        params: list[Any] = []
        if task_type is not None:
            where += " AND t.task_type = ?"
            params.append(str(task_type))
        return self._query(
            "SELECT a.task_id, t.task_type, t.outcome AS task_outcome, t.final_model, "
            "EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.task_id "
            "AND e.kind = 'review_rejected') AS rejected, "
            "EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.task_id "
            "AND e.kind = 'review_approved') AS approved, "
            "a.n, a.model, a.outcome, a.label, a.error_kind, "
            "(SELECT coalesce(sum(c.cost_usd), 0) FROM calls c WHERE c.task_id = a.task_id "
            "AND c.attempt_n = a.n) AS cost_usd, a.tokens_in, "
            "a.tokens_out, a.latency_ms, a.policy, "
            f"(SELECT {statuses} FROM verdicts v "
            "WHERE v.attempt_id = a.id) AS statuses "
            f"FROM attempts a JOIN tasks t ON t.task_id = a.task_id {where} "
            "ORDER BY t.timestamp, t.rowid, a.n",
            params,
        )

    def chains_run(self) -> list[Row]:
        """Per task type and chain: how many tasks ran with that chain (from their plans)."""
        chain = self._conn.json_path("state", "plan", "chain")
        return self._query(
            f"SELECT task_type, {chain} AS chain, count(*) AS tasks "
            f"FROM tasks WHERE {chain} IS NOT NULL "
            "GROUP BY task_type, chain ORDER BY task_type, tasks DESC"
        )

    def arm_facts(self) -> list[Row]:
        """Per finished task that ran an A/B arm: type, arm, outcome, cost, latency."""
        return self._query(
            "SELECT task_type, arm, outcome, cost_usd, latency_ms FROM tasks "
            "WHERE arm IS NOT NULL "
            "AND outcome NOT IN ('running', 'awaiting_approval', 'interrupted')"
        )

    def task_facts(self) -> list[Row]:
        """Per task: the columns the analytics need (a bench's scores included)."""
        return self._query(
            "SELECT task_id, task_type, outcome, final_model, attempts, escalations, "
            "cost_usd, cloud_only_cost_usd, latency_ms, tokens_in, tokens_out, hidden_pass, "
            "baseline_model, baseline_cost_usd, baseline_hidden_pass FROM tasks"
        )
