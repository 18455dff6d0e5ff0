"""Write a bench's scores into its task log, once the engine has decided every task.

Per task: whether its accepted code passed the hidden tests (no accepted code: not
passed), and the strongest-alone baseline of the pass (the model with the best hidden
pass rate on these problems): its cost answering this problem alone, and whether that
answer passed. ``escalator stats`` and the report then show the same figures as the
bench and the demo. The learned policy never reads these columns.
"""

from __future__ import annotations

from escalator.bench.report import BenchSummary, answer_alone

__all__ = ["record_scores"]


def record_scores(summary: BenchSummary) -> int:
    """Store each logged task's hidden result and baseline; returns how many were stored."""
    from escalator.store import open_log

    run = summary.run
    strongest = next(m for m in run.suite.models if m.slug == summary.strongest)
    stored = 0
    with open_log(run.db_path, create=False) as log:
        for record in run.records:
            if record.task_id is None:
                continue  # never reached the engine: no task row to score
            cost, passed = answer_alone(run, strongest, record.id)
            log.update_task(
                record.task_id,
                hidden_pass=record.hidden_pass,
                baseline_model=strongest.slug,
                baseline_cost_usd=cost,
                baseline_hidden_pass=passed,
            )
            stored += 1
    return stored
