"""Reports from a SessionRecord: report.json (stable schema, see docs/report_format.md), CSV, text summary.

Consumes data only; never analyses. No cv2, no mediapipe.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from formcoach.core import Hold, Rep
from formcoach.session import SessionRecord

SCHEMA_VERSION = 1


def _num(value: float, digits: int = 3) -> float | None:
    """JSON-safe rounded number (NaN → null)."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def rep_dict(rep: Rep) -> dict[str, Any]:
    return {
        "index": rep.index,
        "start_s": _num(rep.start_s),
        "end_s": _num(rep.end_s),
        "bottom_s": _num(rep.bottom_s),
        "min": _num(rep.min, 2),
        "max": _num(rep.max, 2),
        "tempo": {"down_s": _num(rep.tempo.down_s), "pause_s": _num(rep.tempo.pause_s), "up_s": _num(rep.tempo.up_s)},
        "faults": list(rep.faults),
        **({"partial_cue": rep.partial_cue} if rep.partial_cue else {}),
    }


def hold_dict(hold: Hold) -> dict[str, Any]:
    return {
        "index": hold.index,
        "start_s": _num(hold.start_s),
        "end_s": _num(hold.end_s),
        "duration_s": _num(hold.duration_s),
        "target_s": _num(hold.target_s),
        "completed": hold.completed,
        "broke_because": hold.broke_because if not hold.completed else None,
    }


def timeline_dict(record: SessionRecord) -> dict[str, Any]:
    """Per-frame series for plots and re-rendering: t, rep count, every spec metric (null = not measurable)."""
    return {
        "t": [round(t, 3) for t in record.t],
        "rep_count": list(record.rep_counts),
        "metrics": {name: [_num(v, 3) for v in values] for name, values in record.series.items()},
        "units": {name: record.spec.metrics[name].unit for name in record.series},
        "primary": record.spec.primary_metric,
    }


def report_dict(record: SessionRecord) -> dict[str, Any]:
    """The report.json document."""
    spec = record.spec
    main_view = max(record.views, key=record.views.get) if record.views else None
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": spec.id,
        "exercise_name": spec.name,
        "source": record.source,
        "duration_s": _num(record.duration_s),
        "fps": _num(record.fps, 2),
        "ended_by": record.ended_by,
        "frames": {"total": record.frames_total, "with_pose": record.frames_with_pose, "dropped": record.frames_dropped},
        "view": main_view,
        "view_ok": main_view is None or main_view in spec.views,  # False: counts and checks may be unreliable
        "rep_count": len(record.reps),
        "reps": [rep_dict(r) for r in record.reps],
        "partial_reps": [rep_dict(r) for r in record.partial_reps],
        "holds": [hold_dict(h) for h in record.holds],
        "faults": [
            {
                "cue": f.cue, "message": f.message, "t_s": _num(f.t_s), "value": _num(f.value, 3),
                "severity": f.severity.value, "rep": f.rep, "hold": f.hold,
            }
            for f in record.faults
        ],
        "not_judged": [
            {"cue": n.cue, "reason": n.reason, "seconds": _num(n.seconds, 2)} for n in record.not_judged if n.seconds > 0
        ],
        "timeline": timeline_dict(record),
        "defaults": {
            "sets": spec.defaults.sets, "reps": spec.defaults.reps, "hold_s": spec.defaults.hold_s,
            "rest_s": spec.defaults.rest_s,
        },
    }


def write_json(record: SessionRecord, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_dict(record), indent=2) + "\n", encoding="utf-8")
    return path


def write_csv(record: SessionRecord, path: str | Path) -> Path:
    """Per-frame metrics CSV (see `write_timeline_csv`)."""
    return write_timeline_csv(timeline_dict(record), path)


def write_timeline_csv(timeline: dict[str, Any], path: str | Path) -> Path:
    """metrics.csv from a report timeline: t_s, rep_count, one column per metric (empty = not measurable)."""
    names = list(timeline.get("metrics", {}))
    columns = [timeline["metrics"][n] for n in names]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["t_s", "rep_count", *names])
        for i, t in enumerate(timeline.get("t", [])):
            values = (c[i] for c in columns)
            writer.writerow([f"{t:.3f}", timeline["rep_count"][i], *("" if v is None else f"{v:.3f}" for v in values)])
    return Path(path)


def summary_text(record: SessionRecord) -> str:
    """A short human summary for the terminal."""
    doc = report_dict(record)
    lines = [f"{record.spec.name}: {record.source} ({doc['duration_s']:.1f} s, {record.ended_by})"]
    detected = record.frames_with_pose / record.frames_total if record.frames_total else 0.0
    lines.append(f"  person detected in {detected:.0%} of {record.frames_total} frames")
    if record.frames_total and record.frames_with_pose == 0:
        lines.append("  nobody was seen: check that your whole body is in the picture and the room is lit")
    if not doc["view_ok"]:
        wanted = " or ".join(record.spec.views)
        lines.append(f"  warning: the camera saw you mostly from the {doc['view']}; {record.spec.name} is checked from the "
                     f"{wanted}: counts and checks may be wrong")
    if record.spec.reps is not None:
        lines.append(f"  reps: {len(record.reps)}" + (f"  (+{len(record.partial_reps)} partial, not counted)" if record.partial_reps else ""))
    for h in record.holds:
        status = "done" if h.completed else f"short: {h.broke_because or 'broke early'}"
        lines.append(f"  hold {h.index}: {h.duration_s:.1f} s of {h.target_s:.0f} s ({status})")
    if record.faults:
        lines.append("  faults:")
        for f in record.faults:
            where = f" rep {f.rep}" if f.rep else (f" hold {f.hold}" if f.hold else "")
            lines.append(f"    {f.t_s:6.1f} s{where}: {f.cue} — {f.message} (measured {f.value:.3g})")
    else:
        lines.append("  no form faults seen")
    for n in record.not_judged:
        if n.seconds >= 1.0:
            lines.append(f"  not judged: {n.cue} for {n.seconds:.0f} s ({n.reason})")
    return "\n".join(lines)
