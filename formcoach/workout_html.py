"""The workout index page, in the session report's style (its page, cards, tables and CSS from
`report_html`): totals, then one row per set linking to that set's report.
"""

from __future__ import annotations

import html
from typing import Any

from formcoach.report_html import ENDED_WORDS, card, page, plural, table


def render_workout_html(doc: dict[str, Any]) -> str:
    """The workout index page, in the session report's style: totals, then one row per set linking to its report."""
    e = html.escape
    t = doc["totals"]
    rows = []
    for s in doc["sets"]:
        target = (plural(s["target"]["reps"], "rep") if s["target"]["reps"] is not None
                  else f"{s['target']['hold_s']:g} s hold")
        holds = ", ".join(f"{h:.1f} s" for h in s["holds_s"] if h is not None) or "–"
        setup = ("timed out" if s["setup_timed_out"] else
                 f"{s['setup_ready_s']:.1f} s" if s["setup_ready_s"] is not None else "skipped")
        reached = '<span class="ok">✓</span>' if s["target_reached"] else '<span class="badge">short</span>'
        rows.append([str(s["index"]), f'<a href="{e(s["report_dir"])}/report.html">{e(s["exercise_name"])}</a>',
                     f"{s['set']}/{s['of']}", e(target), str(s["rep_count"]), e(holds), str(s["fault_count"]), reached,
                     e(setup), f"{s['duration_s'] or 0:.1f} s"])
    done, planned = t["sets_done"], t["sets_planned"]
    cards = [
        card("Sets done", f"{done}<small> / {planned}</small>", f"{t['sets_on_target']} on target",
             "good" if done == planned else "warn"),
        card("Reps", str(t["reps"]), f"+{t['partial_reps']} partial, not counted" if t["partial_reps"] else "counted"),
        card("Holds done", str(t["holds_completed"]), f"{t['hold_s'] or 0:.0f} s held"),
        card("Form faults", str(t["faults"]), "see each set's report" if t["faults"] else "clean workout",
             "bad" if t["faults"] else "good"),
        card("Active", f"{t['active_s'] or 0:.0f} s", f"rest {t['rest_s'] or 0:.0f} s"),
    ]
    facts = [f"<span>Level <b>{e(doc['level'])}</b></span>"] if doc.get("level") else []
    if doc.get("source"):
        facts.append(f"<span>Source <b>{e(str(doc['source']))}</b></span>")
    facts.append(f"<span>Ended: <b>{e(ENDED_WORDS.get(doc['ended_by'], doc['ended_by']))}</b></span>")
    headers = ["#", "Exercise", "Set", "Target", "Reps", "Holds", "Faults", "On target", "Set-up", "Length"]
    body = (
        f'<header><div class="brand">formcoach · workout report</div><h1>{e(doc["routine_name"])}</h1>'
        f'<div class="facts">{"".join(facts)}</div></header>'
        f'<section class="cards">{"".join(cards)}</section>'
        '<section><h2>Sets</h2><p class="hint">Each exercise links to its set\'s full report.</p>'
        f'{table(headers, rows, "sets", 4)}</section>'
    )
    return page(f"{doc['routine_name']} — formcoach workout", body)
