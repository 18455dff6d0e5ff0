"""The analytics as one self-contained HTML page (``escalator report``, the demo).

Inline CSS and inline SVG bars only: no scripts, fonts or other external assets, so
the file can be mailed, archived or opened offline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from escalator.analytics import (
    ModelStats,
    ScoredStats,
    Stats,
    format_pct,
    format_rate,
    format_usd,
)
from escalator.cli.tasklog import definitions, scored_line, stats_headline
from escalator.store import TaskRecord

__all__ = ["RECENT_TASKS", "render_report"]

RECENT_TASKS = 50
BAR_WIDTH = 220

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
max-width:1100px;color:#1d2430;background:#fff;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;
border-bottom:1px solid #dde3ea;padding-bottom:4px}
.meta{color:#5b6573;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #edf0f4;padding:5px 8px;text-align:left;vertical-align:middle}
th{background:#f5f7fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#17803d}.failed,.budget_stopped,.rejected{color:#b42318}
.needs_review,.awaiting_approval,.running{color:#b76e00}.skipped{color:#5b6573}
ul.suggestions li{margin:4px 0}.legend span{display:inline-block;margin-right:14px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
"""

COLOR_COST = "#2f6fdf"
COLOR_CLOUD = "#c3cede"
COLOR_PASS = "#22a06b"


def render_report(stats: Stats, recent: list[TaskRecord], *, db: str = "") -> str:
    """The whole report page as an HTML string."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Escalator report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Escalator report</h1>",
        f'<p class="meta">Generated {generated} from {escape(db)}</p>',
        f"<p>{escape(stats_headline(stats))}</p>",
        _summary(stats),
        _types_section(stats),
        _models_section(stats),
        _matrix_section(stats),
        _chains_section(stats),
        _recent_section(recent),
        "</body></html>",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------- pieces


def _bar(value: float, top: float, color: str, label: str) -> str:
    """One horizontal bar as inline SVG, scaled so ``top`` fills the width."""
    width = 0.0 if top <= 0 else max(0.0, min(1.0, value / top)) * BAR_WIDTH
    return (
        f'<svg width="{BAR_WIDTH}" height="14" role="img" aria-label="{escape(label)}">'
        f'<rect width="{BAR_WIDTH}" height="14" fill="#f0f3f7" rx="2"/>'
        f'<rect width="{width:.1f}" height="14" fill="{color}" rx="2"/></svg>'
    )


def _cell(value: object, *, num: bool = False, css: str = "") -> str:
    cls = " ".join(c for c in ("num" if num else "", css) if c)
    attr = f' class="{escape(cls)}"' if cls else ""
    return f"<td{attr}>{escape(str(value))}</td>"


def _head(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"


def _summary(stats: Stats) -> str:
    cards = [
        ("tasks", "Tasks", str(stats.tasks)),
        ("passed", "Passed validation", f"{stats.passed} ({format_rate(stats.pass_rate)})"),
        (
            "approved_by_reviewer",
            "Approved by reviewer (failed checks)",
            str(stats.approved_by_reviewer),
        ),
        ("escalated", "Escalated", format_rate(stats.escalation_rate)),
        ("cost", "Cost", format_usd(stats.cost_usd)),
    ]
    if not stats.all_scored:
        saved = f"{format_usd(stats.savings_usd)} ({format_pct(stats.savings_pct)})"
        cards += [
            ("cloud_only", "Cloud-only cost*", format_usd(stats.cloud_only_cost_usd)),
            ("saved", "Saved vs cloud-only*", saved),
        ]
    if stats.scored is not None:
        cards += _scored_cards(stats.scored)
    body = "".join(
        f'<div class="card" data-figure="{key}">{escape(k)}<b>{escape(v)}</b></div>'
        for key, k, v in cards
    )
    notes = "".join(
        f'<p class="meta" data-definition="{i}">* {escape(meaning)}.</p>'
        for i, meaning in enumerate(definitions(stats))
    )
    lines = "" if stats.scored is None else f"<p>{escape(scored_line(stats.scored))}</p>"
    return f'<div class="cards">{body}</div>{lines}{notes}'


def _scored_cards(s: ScoredStats) -> list[tuple[str, str, str]]:
    """Cards for the tasks a bench scored: hidden beside validated, vs strongest alone."""
    of = f" of {s.tasks}"
    return [
        (
            "hidden_passed",
            "Passed hidden tests*",
            f"{s.hidden_passed}{of} ({format_rate(s.hidden_pass_rate)})",
        ),
        (
            "scored_validated",
            "Passed validation (same tasks)",
            f"{s.passed_validation}{of} ({format_rate(s.validation_pass_rate)})",
        ),
        ("false_accepts", "False accepts", str(s.false_accepts)),
        ("scored_cost", "Cost (same tasks)", format_usd(s.cost_usd)),
        (
            "baseline",
            f"Strongest model alone* ({s.baseline_model})",
            format_usd(s.baseline_cost_usd),
        ),
        (
            "saved_baseline",
            "Saved vs strongest alone",
            f"{format_usd(s.savings_usd)} ({format_pct(s.savings_pct)})",
        ),
    ]


def _types_section(stats: Stats) -> str:
    if not stats.by_type:
        return "<h2>Task types</h2><p>No tasks logged yet.</p>"
    top = max(max(t.cost_usd, t.cloud_only_cost_usd) for t in stats.by_type.values())
    rows = []
    for t in stats.by_type.values():
        outcomes = ", ".join(f"{k} {v}" for k, v in t.outcomes.items())
        bars = (
            _bar(t.cost_usd, top, COLOR_COST, f"{t.task_type} cost {format_usd(t.cost_usd)}")
            + "<br>"
            + _bar(
                t.cloud_only_cost_usd,
                top,
                COLOR_CLOUD,
                f"{t.task_type} cloud-only {format_usd(t.cloud_only_cost_usd)}",
            )
        )
        rows.append(
            "<tr>"
            + _cell(t.task_type)
            + _cell(t.tasks, num=True)
            + _cell(f"{t.passed} ({format_rate(t.pass_rate)})", num=True)
            + _cell(t.approved_by_reviewer, num=True)
            + _cell(outcomes)
            + _cell(format_rate(t.escalation_rate), num=True)
            + _cell(format_usd(t.cost_usd), num=True)
            + _cell(format_usd(t.cloud_only_cost_usd), num=True)
            + _cell(format_usd(t.savings_usd), num=True)
            + f"<td>{bars}</td></tr>"
        )
    legend = (
        '<p class="legend">'
        f'<span><i class="swatch" style="background:{COLOR_COST}"></i>cost</span>'
        f'<span><i class="swatch" style="background:{COLOR_CLOUD}"></i>cloud-only baseline'
        "</span></p>"
    )
    head = _head(
        "type",
        "tasks",
        "passed validation",
        "approved by reviewer",
        "outcomes",
        "escalated",
        "cost",
        "cloud-only*",
        "saved",
        "",
    )
    return f"<h2>Task types</h2>{legend}<table>{head}{''.join(rows)}</table>"


def _model_row(m: ModelStats) -> str:
    rate = format_rate(m.pass_rate)
    return (
        f'<tr data-model="{escape(m.model)}">'
        + _cell(m.model)
        + _cell(m.attempts, num=True)
        + _cell(m.passes, num=True)
        + _cell(rate, num=True)
        + f"<td>{_bar(m.pass_rate, 1.0, COLOR_PASS, f'{m.model} pass rate {rate}')}"
        + "</td>"
        + _cell(f"{m.tasks_passed}/{m.tasks}", num=True)
        + _cell(m.tasks_accepted, num=True)
        + _cell(format_usd(m.cost_usd), num=True)
        + _cell(f"{m.mean_latency_ms / 1000:.1f} s", num=True)
        + "</tr>"
    )


def _models_section(stats: Stats) -> str:
    if not stats.by_model:
        return ""
    head = _head(
        "model",
        "attempts",
        "attempts passed",
        "pass rate",
        "",
        "tasks passed / tried",
        "answers accepted",
        "cost",
        "model latency (mean per call)",
    )
    rows = "".join(_model_row(m) for m in stats.by_model.values())
    note = (
        "<p class='meta'>An attempt is one call of a worker model. A task counts as passed "
        "for a model when one of its answers passed the checks; an answer is accepted when "
        "it became the task's result. Latency is the model's response time, not the "
        "task's wall time.</p>"
    )
    return f"<h2>Models</h2>{note}<table>{head}{rows}</table>"


def _matrix_section(stats: Stats) -> str:
    """Which model succeeds at what: tasks passed / tried per model and type."""
    if not stats.by_model:
        return ""
    types = list(stats.by_type)
    rows = []
    for m in stats.by_model.values():
        cells = []
        for t in types:
            mts = m.by_type.get(t)
            if mts is None:
                cells.append(_cell("-", num=True))
                continue
            cells.append(
                f'<td class="num" style="background:{_pass_shade(mts.task_pass_rate)}">'
                f"{mts.tasks_passed}/{mts.tasks}</td>"
            )
        rows.append("<tr>" + _cell(m.model) + "".join(cells) + "</tr>")
    head = _head("model", *types)
    note = "<p class='meta'>Tasks passed / tasks tried, per model and task type.</p>"
    return f"<h2>Which model succeeds at what</h2>{note}<table>{head}{''.join(rows)}</table>"


def _pass_shade(rate: float) -> str:
    """Cell colour: light red for never, then paler to deeper green as the rate rises."""
    if rate <= 0:
        return "#fbe4e2"
    shade = int(240 - 110 * rate)
    return f"rgb({shade},245,{shade})"


def _chains_section(stats: Stats) -> str:
    ran = "".join(
        f"<tr>{_cell(t)}{_cell(' → '.join(run['chain']))}{_cell(run['tasks'], num=True)}</tr>"
        for t, runs in stats.chains_run.items()
        for run in runs
    )
    ran_table = (
        f"<table>{_head('type', 'chain the tasks ran, cheapest first', 'tasks')}{ran}</table>"
        if ran
        else "<p>No recorded chains.</p>"
    )
    chains = "".join(
        f"<tr>{_cell(t)}{_cell(' → '.join(chain))}</tr>" for t, chain in stats.chains.items()
    )
    if stats.suggestions:
        items = "".join(f"<li>{escape(s.message)}</li>" for s in stats.suggestions)
        suggestions = f'<ul class="suggestions">{items}</ul>'
    else:
        suggestions = "<p>No chain changes suggested (not enough evidence yet).</p>"
    return (
        f"<h2>Escalation chains</h2><p class='meta'>As the logged tasks ran them:</p>"
        f"{ran_table}<p class='meta'>As configured now (where suggestions apply):</p>"
        f"<table>{_head('type', 'chain, cheapest first')}{chains}"
        f"</table><h2>Suggested chain changes</h2>{suggestions}"
    )


def _recent_section(recent: list[TaskRecord]) -> str:
    if not recent:
        return ""
    rows = "".join(
        "<tr>"
        + _cell(t.short_id)
        + _cell(t.timestamp[:19].replace("T", " "))
        + _cell(t.task_type)
        + _cell(t.description[:90])
        + _cell(t.outcome, css=t.outcome)
        + _cell(t.final_model or "-")
        + _cell(t.attempts, num=True)
        + _cell(format_usd(t.cost_usd), num=True)
        + _cell(f"{t.latency_ms / 1000:.1f} s", num=True)
        + "</tr>"
        for t in recent
    )
    head = _head(
        "id",
        "time (UTC)",
        "type",
        "description",
        "outcome",
        "model",
        "attempts",
        "cost",
        "wall time",
    )
    return f"<h2>Recent tasks</h2><table>{head}{rows}</table>"
