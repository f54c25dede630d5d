"""The report's plots: one inline SVG per metric over time, with target zones, limits, reps, holds and faults.

Reads only report.json dicts; no plotting library, nothing external. Imports no cv2, mediapipe or matplotlib.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence

from formcoach.report_common import (
    _clock, _e, _finite, _human, _label, _raw_unit, _spec_summary, _unit, _where, fault_groups, value_text,
)


# Plot geometry, in SVG user units (the SVG scales to the page width).
_W, _ML, _MR, _MT, _MB = 960.0, 66.0, 18.0, 36.0, 36.0  # margins leave room for the larger phone text
_PRIMARY_H, _OTHER_H = 270.0, 180.0
_LINE_COLOURS = ("#4338ca", "#0e7490", "#a21caf", "#c2410c", "#4d7c0f", "#be123c")


#: Whole-rep rules whose limit is not a level of the metric itself: a range (how much it moved) and
#: a lead (how far it ran ahead of another metric, a share of their ranges). No line, no zone.
NOT_A_LEVEL = ("range", "lead")

def _thresholds(report: dict[str, Any], metric: str) -> list[tuple[float, str]]:
    """(value, label) lines for one metric, from `spec_summary` only (never guessed)."""
    summary, out = _spec_summary(report), []
    reps = summary.get("reps")
    if isinstance(reps, dict) and reps.get("metric") == metric:
        for key, label in (("start", "rep starts"), ("target", "rep target")):
            if _finite(reps.get(key)):
                out.append((float(reps[key]), label))
    hold = summary.get("hold")
    for cond in (hold or {}).get("posture", []) if isinstance(hold, dict) else []:
        if cond.get("metric") == metric:
            for key in ("min", "max"):
                if _finite(cond.get(key)):
                    out.append((float(cond[key]), f"hold {key}"))
    for cue in summary.get("cues", []):
        if cue.get("metric") == metric and cue.get("aggregate") not in NOT_A_LEVEL:
            for key in ("min", "max"):
                if _finite(cue.get(key)):
                    out.append((float(cue[key]), f"{_human(cue.get('id', 'cue')).lower()} limit"))
    seen: dict[float, str] = {}
    for value, label in out:  # one line per value; merge labels of coinciding thresholds
        seen[value] = f"{seen[value]}, {label}" if value in seen else label
    return sorted(seen.items())


def _zones(report: dict[str, Any], metric: str) -> list[tuple[float | None, float | None, str, str]]:
    """(low, high, kind, label) bands for one metric from `spec_summary` (None = open ended).

    kind "target": where a rep must reach or a hold must stay; kind "limit": outside a form rule's range.
    """
    summary = _spec_summary(report)
    out: list[tuple[float | None, float | None, str, str]] = []
    reps = summary.get("reps")
    if isinstance(reps, dict) and reps.get("metric") == metric and _finite(reps.get("start")) and _finite(reps.get("target")):
        up = reps["target"] > reps["start"]
        out.append((reps["target"], None, "target", "rep target") if up else (None, reps["target"], "target", "rep target"))
    hold = summary.get("hold")
    for cond in (hold or {}).get("posture", []) if isinstance(hold, dict) else []:
        if cond.get("metric") == metric and (_finite(cond.get("min")) or _finite(cond.get("max"))):
            lo, hi = cond.get("min"), cond.get("max")
            out.append((lo if _finite(lo) else None, hi if _finite(hi) else None, "target", "hold zone"))
    for cue in summary.get("cues", []):
        if cue.get("metric") != metric or cue.get("aggregate") in NOT_A_LEVEL:
            continue
        name = _human(cue.get("id", "cue")).lower()
        if _finite(cue.get("max")):
            out.append((cue["max"], None, "limit", name))
        if _finite(cue.get("min")):
            out.append((None, cue["min"], "limit", name))
    return out


#: Smallest y-axis span per unit, so sensor noise is not blown up into drama (2° of wobble stays small).
_MIN_SPAN = {"deg": 40.0, "torso": 0.5, "px": 50.0, "ratio": 0.04, "": 1.0}


def _ticks(lo: float, hi: float, target: int) -> list[float]:
    """Round tick values in [lo, hi]: about `target` of them (the step just above the span/target), at least 3."""
    raw = (hi - lo) / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    steps = [m * mag for m in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10)]
    k = next(i for i, st in enumerate(steps) if st >= raw)
    for step in reversed(steps[:k + 1]):
        first = math.ceil(lo / step - 1e-9) * step
        ticks = [round(first + j * step, 10) for j in range(int((hi - first) / step + 1e-9) + 1)]
        if len(ticks) >= 3:
            break
    return ticks


def _segments(ts: Sequence[float], values: Sequence[Any]) -> list[list[tuple[float, float]]]:
    """Runs of finite (t, value) samples; a null/NaN breaks the line."""
    runs, cur = [], []
    for t, v in zip(ts, values):
        if _finite(v) and _finite(t):
            cur.append((t, float(v)))
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _decimate(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Keep first/min/max/last per pixel column (points already in pixels): same look, fewer bytes."""
    if len(points) <= 2 * (points[-1][0] - points[0][0]) + 4:
        return points
    out: list[tuple[float, float]] = []
    bucket: list[tuple[float, float]] = []

    def flush() -> None:
        keep = {0, len(bucket) - 1, min(range(len(bucket)), key=lambda k: bucket[k][1]),
                max(range(len(bucket)), key=lambda k: bucket[k][1])}
        out.extend(bucket[k] for k in sorted(keep))

    for p in points:
        if bucket and int(p[0]) != int(bucket[0][0]):
            flush()
            bucket = []
        bucket.append(p)
    if bucket:
        flush()
    return out


def _path(run: list[tuple[float, float]]) -> str:
    pts = _decimate(run)
    d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}" + "".join(f"L{x:.1f},{y:.1f}" for x, y in pts[1:])
    return d if len(pts) > 1 else d + "h0"  # a lone sample still shows as a dot (round caps)


@dataclass(frozen=True)
class _Axes:
    """Where a plot draws: the frame in SVG units, seconds 0..t_end across, values lo..hi up."""

    x0: float
    x1: float
    y0: float
    y1: float
    t_end: float
    lo: float
    hi: float

    def px(self, t: float) -> float:
        return self.x0 + (self.x1 - self.x0) * min(max(t / self.t_end, 0.0), 1.0)

    def py(self, v: float) -> float:
        return self.y1 - (self.y1 - self.y0) * (v - self.lo) / (self.hi - self.lo)


def _axes(report: dict[str, Any], metric: str, height: float, span_values: list[float]) -> _Axes:
    """The value range shows every value and threshold, and at least the unit's minimum span (noise as noise)."""
    ts = report["timeline"].get("t", [])
    ends = [float(x) for x in (report.get("duration_s"), ts[-1] if ts else None) if isinstance(x, (int, float)) and _finite(x)]
    lo, hi = (min(span_values), max(span_values)) if span_values else (0.0, 1.0)
    min_span = _MIN_SPAN.get(_raw_unit(report, metric), 1.0)
    if hi - lo < min_span:  # centre the data in a span that shows noise as noise
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    pad = 0.08 * (hi - lo)
    return _Axes(_ML, _W - _MR, _MT, height - _MB, max(max(ends, default=1.0), 1e-3), lo - pad, hi + pad)


def _plot_svg(report: dict[str, Any], metric: str, colour: str, height: float, primary: bool) -> str:
    """One metric over time: line with NaN breaks, rep/hold bands, fault ticks, thresholds."""
    tl = report["timeline"]
    ts, values = tl.get("t", []), tl["metrics"][metric]
    unit = _unit(report, metric)
    lines = _thresholds(report, metric)
    span_values = [float(v) for v in values if _finite(v)] + [v for v, _ in lines]
    ax = _axes(report, metric, height, span_values)
    label = _label(report, metric) + (f" ({unit})" if unit else "")
    parts = [
        f'<svg class="plot" viewBox="0 0 {_W:.0f} {height:.0f}" width="100%" role="img" '
        f'aria-label="{_e(label)} over time" data-metric="{_e(metric)}" data-unit="{_e(unit)}" '
        f'data-x0="{ax.x0:.1f}" data-x1="{ax.x1:.1f}" data-t1="{ax.t_end:.3f}">',
        f'<rect class="frame" x="{ax.x0:.1f}" y="{ax.y0:.1f}" width="{ax.x1 - ax.x0:.1f}" height="{ax.y1 - ax.y0:.1f}"/>',
    ]
    # target and limit zones, then rep/hold bands, so the line is drawn over them
    parts += _zone_parts(report, metric, ax)
    parts += _band_parts(report, ax, primary)
    if span_values:  # axes and grid
        for v in _ticks(ax.lo, ax.hi, 4 if primary else 3):
            y = ax.py(v)
            parts.append(f'<line class="grid" x1="{ax.x0:.1f}" x2="{ax.x1:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
                         f'<text class="ytick" x="{ax.x0 - 6:.1f}" y="{y:.1f}">{v:g}{"°" if unit == "°" else ""}</text>')
    for t in _ticks(0.0, ax.t_end, 10):
        x = ax.px(t)
        parts.append(f'<line class="xtick" x1="{x:.1f}" x2="{x:.1f}" y1="{ax.y1:.1f}" y2="{ax.y1 + 4:.1f}"/>'
                     f'<text class="xlabel" x="{x:.1f}" y="{ax.y1 + 6:.1f}">{_clock(t, ax.t_end)}</text>')
    parts.append(f'<text class="axis-title" x="{ax.x0:.1f}" y="{ax.y0 - 8:.1f}">{_e(label)}</text>')
    for v, text in lines:
        y = ax.py(v)
        parts.append(f'<g class="threshold"><line x1="{ax.x0:.1f}" x2="{ax.x1:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{ax.x1 - 4:.1f}" y="{y - 4:.1f}">{_e(text)} {_e(value_text(v, _raw_unit(report, metric)))}</text></g>')
    # the series itself
    d = " ".join(_path([(ax.px(t), ax.py(v)) for t, v in run]) for run in _segments(ts, values))
    if d:
        parts.append(f'<path class="series" d="{d}" stroke="{colour}"/>')
    else:
        parts.append(f'<text class="nodata" x="{(ax.x0 + ax.x1) / 2:.1f}" y="{(ax.y0 + ax.y1) / 2:.1f}">'
                     'no values: this could not be measured in this session</text>')
    parts += _fault_parts(report, ax, primary)
    parts.append(f'<g class="cursor" visibility="hidden"><line y1="{ax.y0:.1f}" y2="{ax.y1:.1f}"/>'
                 f'<text y="{ax.y0 + 14:.1f}"></text></g></svg>')
    return "".join(parts)


def _zone_parts(report: dict[str, Any], metric: str, ax: _Axes) -> list[str]:
    """The spec's target and limit zones as shaded bands."""
    parts = []
    for z_lo, z_hi, kind, text in _zones(report, metric):
        top = ax.py(min(z_hi if z_hi is not None else ax.hi, ax.hi))
        bottom = ax.py(max(z_lo if z_lo is not None else ax.lo, ax.lo))
        if bottom - top < 0.5:
            continue
        parts.append(f'<g class="zone {kind}"><title>{_e(text)}</title><rect x="{ax.x0:.1f}" y="{top:.1f}" '
                     f'width="{ax.x1 - ax.x0:.1f}" height="{bottom - top:.1f}"/></g>')
    return parts


def _band_parts(report: dict[str, Any], ax: _Axes, primary: bool) -> list[str]:
    """A band per rep, partial rep and hold (labelled on the primary plot where there is room)."""
    parts = []
    for kind, items in (("rep", report.get("reps", [])), ("partial", report.get("partial_reps", [])),
                        ("hold", report.get("holds", []))):
        for item in items:
            if not (_finite(item.get("start_s")) and _finite(item.get("end_s"))):
                continue
            a, b = ax.px(item["start_s"]), ax.px(item["end_s"])
            title = {"rep": "Rep", "partial": "Partial rep", "hold": "Hold"}[kind]
            tip = f"{title} {item.get('index', '')}: {item['start_s']:.1f}–{item['end_s']:.1f} s"
            parts.append(f'<g class="{kind}-band"><title>{_e(tip)}</title>'
                         f'<rect x="{a:.1f}" y="{ax.y0:.1f}" width="{max(b - a, 0.5):.1f}" height="{ax.y1 - ax.y0:.1f}"/>')
            if kind == "hold":
                parts.append(f'<rect class="strip" x="{a:.1f}" y="{ax.y1 - 5:.1f}" width="{max(b - a, 0.5):.1f}" height="5"/>')
            if primary and kind != "hold" and b - a > 10:
                text = str(item.get("index", "")) if kind == "rep" else "partial"
                parts.append(f'<text class="band-label" x="{(a + b) / 2:.1f}" y="{ax.y0 + 13:.1f}">{_e(text)}</text>')
            elif primary and kind == "hold" and b - a > 24:
                parts.append(f'<text class="band-label hold" x="{(a + b) / 2:.1f}" y="{ax.y1 - 9:.1f}">'
                             f'hold {_e(item.get("index", ""))}</text>')
            parts.append("</g>")
    return parts


def _fault_parts(report: dict[str, Any], ax: _Axes, primary: bool) -> list[str]:
    """A tick at each fault's worst moment, numbered like the fault cards (one number per fault type)."""
    parts = []
    for k, g in enumerate(fault_groups(report)):
        for i, f in g["items"]:
            if not _finite(f.get("t_s")):
                continue
            x = ax.px(f["t_s"])
            tip = f"#{k + 1} at {f['t_s']:.1f} s ({_where(f)}): {_human(f.get('cue', ''))} — {f.get('message', '')}"
            parts.append(f'<g class="fault-marker" data-fault="{i}" data-seek="{f["t_s"]:.2f}"><title>{_e(tip)}</title>'
                         f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{ax.y0:.1f}" y2="{ax.y1:.1f}"/>'
                         + (f'<circle cx="{x:.1f}" cy="{ax.y0:.1f}" r="8"/><text x="{x:.1f}" y="{ax.y0 + 3.5:.1f}">{k + 1}</text>'
                            if primary else f'<circle cx="{x:.1f}" cy="{ax.y0:.1f}" r="3"/>')
                         + "</g>")
    return parts


def _plots(report: dict[str, Any]) -> str:
    tl = report.get("timeline") or {}
    metrics = list(tl.get("metrics") or {})
    if not metrics:
        return ""
    primary = tl.get("primary") if tl.get("primary") in metrics else metrics[0]
    order = [primary, *(m for m in metrics if m != primary)]
    legend = ['<div class="legend">']
    if report.get("reps"):
        legend.append('<span class="li"><span class="lg rep"></span>counted rep</span>')
    if report.get("partial_reps"):
        legend.append('<span class="li"><span class="lg partial"></span>partial rep</span>')
    if report.get("holds"):
        legend.append('<span class="li"><span class="lg hold"></span>hold</span>')
    if report.get("faults"):
        legend.append('<span class="li"><span class="lg fault"></span>fault at its worst moment (number = card below)</span>')
    if any(_thresholds(report, m) for m in metrics):
        legend.append('<span class="li"><span class="lg threshold"></span>target or limit</span>')
    if any(z[2] == "target" for m in metrics for z in _zones(report, m)):
        legend.append('<span class="li"><span class="lg target"></span>target zone</span>')
    if any(z[2] == "limit" for m in metrics for z in _zones(report, m)):
        legend.append('<span class="li"><span class="lg limit"></span>outside a form limit</span>')
    legend.append("</div>")
    figures = []
    for k, metric in enumerate(order):
        svg = _plot_svg(report, metric, _LINE_COLOURS[k % len(_LINE_COLOURS)], _PRIMARY_H if k == 0 else _OTHER_H, k == 0)
        figures.append(f'<figure class="{"primary" if k == 0 else "other"}">{svg}</figure>')
        if k == 0 and len(order) > 1:
            figures.append("<h3>Other measurements</h3>")
    return f'<section><h2>Over time</h2>{"".join(legend)}{"".join(figures)}</section>'


def _data_script(report: dict[str, Any]) -> str:
    """Timeline as JSON for the hover readout (the SVG itself needs no script)."""
    tl = report.get("timeline") or {}
    if not tl.get("metrics"):
        return ""
    data = json.dumps({"t": tl.get("t", []), "metrics": tl["metrics"]}, separators=(",", ":"), allow_nan=False)
    data = data.replace("</", "<\\/")  # a "</script>" inside a string must not end the element
    return f'<script type="application/json" id="fc-timeline">{data}</script>'
