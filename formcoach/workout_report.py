"""The workout report: `workout.json` (totals, plan, announcements, every set with its session
report), each set's own report folder, and the terminal summary. The page is `workout_html`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from formcoach.report import _num, report_dict
from formcoach.routine import PlannedSet
from formcoach.workout import SetRecord, WorkoutRecord

WORKOUT_SCHEMA_VERSION = 1


def set_dir_name(plan: PlannedSet) -> str:
    """Folder of one set's report inside the workout folder, e.g. `sets/03_superman_2`."""
    return f"sets/{plan.index:02d}_{plan.spec.id}_{plan.set_no}"


def _r(x: float | None) -> float | None:
    """Seconds for workout.json: 2 decimals, NaN → null."""
    return None if x is None else _num(x, 2)


def set_summary(s: SetRecord) -> dict[str, Any]:
    """One set of workout.json: plan, timings, outcome and the full session report."""
    p, session = s.plan, s.session
    return {
        "index": p.index,
        "exercise": p.spec.id,
        "exercise_name": p.spec.name,
        "set": p.set_no,
        "of": p.sets,
        "target": {"reps": p.reps, "hold_s": p.hold_s},
        "planned_rest_s": p.rest_s,
        "announced_s": _r(s.announced_t),
        "setup_ready_s": _r(s.setup_ready_t),
        "setup_timed_out": s.setup_timed_out,
        "start_s": _r(s.start_t),
        "end_s": _r(s.end_t),
        "duration_s": _r(s.end_t - s.start_t),
        "rest_s": _r(s.rest_end_t - s.rest_start_t) if s.rest_start_t is not None and s.rest_end_t is not None else None,
        "target_reached": s.target_reached,
        "rep_count": len(session.reps),
        "holds_s": [_r(h.duration_s) for h in session.holds],
        "fault_count": len(session.faults),
        "report_dir": set_dir_name(p),
        "report": report_dict(session),
    }


def workout_report_dict(record: WorkoutRecord) -> dict[str, Any]:
    """The workout.json document: totals, what was said, and every set (each with its session report)."""
    sets = [set_summary(s) for s in record.sets]
    holds = [h for s in record.sets for h in s.session.holds]
    active = sum(s.end_t - s.start_t for s in record.sets)
    rest = sum((s.rest_end_t or 0.0) - (s.rest_start_t or 0.0) for s in record.sets if s.rest_start_t is not None)
    return {
        "schema_version": WORKOUT_SCHEMA_VERSION,
        "kind": "workout",
        "routine": record.routine.id,
        "routine_name": record.routine.name,
        "level": record.level,
        "source": record.source,
        "ended_by": record.ended_text,
        "duration_s": _r(record.end_t - record.start_t),
        "totals": {
            "sets_planned": len(record.plan),
            "sets_done": len(record.sets),
            "sets_on_target": sum(s.target_reached for s in record.sets),
            "reps": sum(len(s.session.reps) for s in record.sets),
            "partial_reps": sum(len(s.session.partial_reps) for s in record.sets),
            "holds_completed": sum(h.completed for h in holds),
            "hold_s": _r(sum(h.duration_s for h in holds)),
            "faults": sum(len(s.session.faults) for s in record.sets),
            "active_s": _r(active),
            "rest_s": _r(rest),
        },
        "plan": [{"index": p.index, "exercise": p.spec.id, "set": p.set_no, "of": p.sets, "reps": p.reps,
                  "hold_s": p.hold_s, "rest_s": p.rest_s} for p in record.plan],
        "announcements": [{"t_s": _r(a.t), "text": a.text} for a in record.announcements],
        "sets": sets,
    }


def write_workout_report(record: WorkoutRecord, out_dir: str | Path) -> Path:
    """Write `workout.json` + `workout.html` (index) and, per set, `sets/NN_.../report.{json,html}`.

    Returns the workout.json path. Per-set pages are the session report (`formcoach report` can
    rebuild each); thumbnails are picked up from each set folder's `thumbs/` when a consumer wrote them.
    """
    from formcoach.report_html import regenerate  # its own module; keeps this import light
    from formcoach.workout_html import render_workout_html

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = workout_report_dict(record)
    for s in doc["sets"]:
        set_dir = out / s["report_dir"]
        set_dir.mkdir(parents=True, exist_ok=True)
        path = set_dir / "report.json"
        planned = {"target_reps": s["target"]["reps"]} if s["target"]["reps"] else {}  # a set has a plan: "3 of 5 planned"
        path.write_text(json.dumps({**s["report"], **planned}, indent=2) + "\n", encoding="utf-8")
        regenerate(path)
    path = out / "workout.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "workout.html").write_text(render_workout_html(doc), encoding="utf-8")
    return path


def workout_summary_text(record: WorkoutRecord) -> str:
    """A short summary for the terminal."""
    doc = workout_report_dict(record)
    t = doc["totals"]
    lines = [f"{record.routine.name}{' (' + record.level + ')' if record.level else ''}: "
             f"{t['sets_done']} of {t['sets_planned']} sets, {record.ended_text}"]
    for s in doc["sets"]:
        what = f"{s['rep_count']}/{s['target']['reps']} reps" if s["target"]["reps"] is not None else (
            f"hold {max([h for h in s['holds_s'] if h is not None], default=0.0):.1f}/{s['target']['hold_s']:g} s")
        faults = f", {s['fault_count']} faults" if s["fault_count"] else ""
        lines.append(f"  {s['index']:2d}. {s['exercise_name']} set {s['set']}/{s['of']}: {what}{faults}")
    lines.append(f"  active {t['active_s'] or 0:.0f} s, rest {t['rest_s'] or 0:.0f} s, {t['faults']} faults")
    return "\n".join(lines)
