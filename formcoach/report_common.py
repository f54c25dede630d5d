"""Shared wording for the report pages: numbers in their units, human names, plurals, fault kinds.

Reads only report.json dicts. Imports no cv2, mediapipe or matplotlib.
"""

from __future__ import annotations

import html
import math
from typing import Any

from formcoach.core import UNCHECKED_MIN_S


#: How each metric unit is written after a number on the page.
_UNITS = {"deg": "°", "torso": "× torso", "px": "px", "ratio": ""}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _s(x: Any, digits: int = 1) -> str:
    """Seconds for tables: '12.3 s', or '–' when missing."""
    return f"{x:.{digits}f} s" if _finite(x) else "–"


def _n(x: Any, digits: int = 1) -> str:
    return f"{x:.{digits}f}" if _finite(x) else "–"


def _duration(x: float) -> str:
    """Seconds for cards: '42.5 s' or '3 min 05 s'."""
    if x < 60:
        return f"{x:.1f} s"
    m, s = divmod(int(round(x)), 60)
    return f"{m} min {s:02d} s"


def _clock(t: float, t_end: float) -> str:
    """Time-axis label: '25 s' for short sessions, '2:30' past two minutes."""
    if t_end <= 120:
        return f"{t:g} s"
    m, sec = divmod(int(round(t)), 60)
    return f"{m}:{sec:02d}"


def _human(cue_or_metric: str) -> str:
    return cue_or_metric.replace("_", " ").strip().capitalize()


def _label(report: dict[str, Any], metric: str) -> str:
    """A metric's human name (the spec's display name, from spec_summary) or its id in words."""
    labels = _spec_summary(report).get("labels")
    name = labels.get(metric) if isinstance(labels, dict) else None
    return name if isinstance(name, str) and name else _human(metric)


def _raw_unit(report: dict[str, Any], metric: str | None) -> str:
    return (report.get("timeline") or {}).get("units", {}).get(metric, "") if metric else ""


def value_text(x: Any, raw_unit: str) -> str:
    """A measured value in its unit with sensible precision: '37°', '0.031', '0.42 × torso', '3.2 s'."""
    if not _finite(x):
        return "–"
    if raw_unit == "deg":
        return f"{round(x) + 0:d}°"
    if raw_unit == "s":
        return f"{x:.1f} s"
    if raw_unit == "share":
        return f"{round(100 * x) + 0:d} % ahead"
    digits = 2 if abs(x) >= 0.1 else 3
    suffix = {"torso": " × torso", "px": " px"}.get(raw_unit, "")
    return f"{x:.{digits}f}{suffix}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _unit(report: dict[str, Any], metric: str) -> str:
    unit = (report.get("timeline") or {}).get("units", {}).get(metric, "")
    return _UNITS.get(unit, unit)


def _with_unit(value: str, unit: str) -> str:
    return f"{value}{unit}" if unit == "°" else (f"{value} {unit}" if unit else value)


def _spec_summary(report: dict[str, Any]) -> dict[str, Any]:
    """Optional `spec_summary` (thresholds, what the exercise counts); {} when the report has none."""
    summary = report.get("spec_summary")
    return summary if isinstance(summary, dict) else {}


def _counts_reps(report: dict[str, Any]) -> bool:
    summary = _spec_summary(report)
    if "reps" in summary:
        return summary["reps"] is not None
    defaults = report.get("defaults") or {}
    return defaults.get("reps") is not None or bool(report.get("reps")) or bool(report.get("partial_reps"))


def _times_holds(report: dict[str, Any]) -> bool:
    summary = _spec_summary(report)
    if "hold" in summary:
        return summary["hold"] is not None
    defaults = report.get("defaults") or {}
    return defaults.get("hold_s") is not None or bool(report.get("holds"))


def unchecked_cues(report: dict[str, Any]) -> list[str]:
    """The cues not judged for UNCHECKED_MIN_S or longer in all (whatever the reasons), in report order."""
    seconds: dict[str, float] = {}
    for n in report.get("not_judged", []):
        if isinstance(n.get("seconds"), (int, float)) and math.isfinite(n["seconds"]):
            seconds[str(n.get("cue", ""))] = seconds.get(str(n.get("cue", "")), 0.0) + n["seconds"]
    return [cue for cue, s in seconds.items() if s >= UNCHECKED_MIN_S]


def fault_groups(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Faults grouped by cue, in order of first appearance: one card per fault type.

    Each group: cue, message, severity, items [(index in report["faults"], fault)], worst (index).
    """
    groups: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(report.get("faults", [])):
        g = groups.setdefault(str(f.get("cue", "")), {"cue": f.get("cue", ""), "message": f.get("message", ""),
                                                      "severity": f.get("severity", "warning"), "items": []})
        g["items"].append((i, f))
    for g in groups.values():
        g["worst"] = max(g["items"], key=lambda item: _badness(report, item[1]))[0]
    return list(groups.values())


def _cue_limit(report: dict[str, Any], cue: str) -> tuple[str | None, float | None, float | None]:
    """(metric, min, max) of a cue from spec_summary; the rep metric for a partial, seconds for a short hold."""
    summary = _spec_summary(report)
    for c in summary.get("cues", []):
        if c.get("id") == cue:
            return c.get("metric"), c.get("min"), c.get("max")
    reps, hold = summary.get("reps") or {}, summary.get("hold") or {}
    if cue and cue in (reps.get("partial_cue"), reps.get("return_cue")):
        up = _finite(reps.get("target")) and _finite(reps.get("start")) and reps["target"] > reps["start"]
        return reps.get("metric"), (reps.get("target") if up else None), (None if up else reps.get("target"))
    if cue and cue == hold.get("short_cue"):
        return None, hold.get("target_s"), None
    return None, None, None


def _fault_unit(report: dict[str, Any], cue: str) -> str:
    if any(c.get("id") == cue and c.get("aggregate") == "lead" for c in _spec_summary(report).get("cues", [])):
        return "share"  # how far one joint ran ahead of another, a share of their ranges
    metric, _, _ = _cue_limit(report, cue)
    if metric is None and cue == (_spec_summary(report).get("hold") or {}).get("short_cue"):
        return "s"
    return _raw_unit(report, metric)


def _badness(report: dict[str, Any], f: dict[str, Any]) -> float:
    """How far a fault's value is outside its limit (0 when unknown): picks the worst occurrence."""
    _, low, high = _cue_limit(report, str(f.get("cue", "")))
    v = f.get("value")
    if not isinstance(v, (int, float)) or not _finite(v):
        return -1.0
    below = low - v if isinstance(low, (int, float)) and _finite(low) else 0.0
    above = v - high if isinstance(high, (int, float)) and _finite(high) else 0.0
    return max(below, above)


def _where(f: dict[str, Any]) -> str:
    return f"rep {f['rep']}" if f.get("rep") else (f"hold {f['hold']}" if f.get("hold") else "not counted")
