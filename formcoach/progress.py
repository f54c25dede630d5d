"""`formcoach progress EXERCISE`: reps, holds, fault rate and range of motion over the sessions in the
history, as a terminal table and as an HTML page with plots (inline SVG, drawn the way report.html
draws its plots: the tick and colour helpers are imported from report_html). No cv2, no mediapipe.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from formcoach.history import SessionRow
from formcoach.report_html import _LINE_COLOURS, _ticks

PAGE_NAME = "progress.html"


@dataclass(frozen=True, slots=True)
class Series:
    """One plotted quantity: its title, unit, and how to read it from a session (None: not measured)."""

    title: str
    unit: str
    value: Callable[[SessionRow], float | None]


SERIES = (
    Series("Reps counted", "", lambda r: float(r.reps) if (r.reps or r.partial_reps) else None),
    Series("Longest hold", "s", lambda r: r.hold_best_s),
    Series("Fault rate", "%", lambda r: None if r.fault_rate is None else 100.0 * r.fault_rate),
    Series("Range of motion (mean per rep)", "", lambda r: r.rom),
)


def _fmt(x: float | None, digits: int = 1, unit: str = "") -> str:
    return "–" if x is None else f"{x:.{digits}f}{unit}"


def progress_text(exercise: str, rows: Sequence[SessionRow]) -> str:
    """One line per session, oldest first, then the change from the first to the last session."""
    lines = [f"{exercise}: {len(rows)} session{'s' * (len(rows) != 1)}",
             f"  {'date':16s}  {'kind':8s}  {'reps':>4}  {'part.':>5}  {'holds':>5}  {'best hold':>9}  "
             f"{'fault rate':>10}  {'ROM':>6}"]
    for r in rows:
        lines.append(f"  {r.date[:16].replace('T', ' '):16s}  {r.kind:8s}  {r.reps:>4}  {r.partial_reps:>5}  {r.holds:>5}  "
                     f"{_fmt(r.hold_best_s, 1, ' s'):>9}  {_fmt(None if r.fault_rate is None else 100 * r.fault_rate, 0, ' %'):>10}  "
                     f"{_fmt(r.rom):>6}")
    if len(rows) >= 2:
        changes = []
        for s in SERIES:
            first, last = s.value(rows[0]), s.value(rows[-1])
            if first is not None and last is not None:
                changes.append(f"{s.title.split(' (')[0].lower()} {first:.1f} -> {last:.1f}{(' ' + s.unit) if s.unit else ''}")
        if changes:
            lines.append("  first -> last: " + "; ".join(changes))
    return "\n".join(lines)


def _plot(series: Series, rows: Sequence[SessionRow], colour: str, width: float = 640, height: float = 170) -> str:
    """A line with dots over the sessions (equally spaced, dated below); gaps where not measured."""
    left, right, top, bottom = 48.0, 48.0, 12.0, 40.0
    pts = [(i, v) for i, r in enumerate(rows) if (v := series.value(r)) is not None]
    head = f'<h3>{html.escape(series.title)}{f" ({series.unit})" if series.unit else ""}</h3>'
    if not pts:
        return f'{head}<p class="none">not measured for this exercise</p>'
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    lo, hi = (min(lo, 0.0), hi + 1.0) if hi - lo < 1e-9 else (lo - 0.08 * (hi - lo), hi + 0.08 * (hi - lo))
    ticks = _ticks(lo, hi, 4)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    n = max(len(rows) - 1, 1)

    def x(i: float) -> float:
        return left + (width - left - right) * (i / n if len(rows) > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    parts = [f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e5e7eb"/>'
             f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>' for t in ticks]
    step = max(1, len(rows) // 8)
    same_day = len({r.date[:10] for r in rows}) < len(rows)  # then the time tells sessions apart
    parts += [f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
              f'{html.escape(r.date[5:16].replace("T", " ") if same_day else r.date[:10])}</text>'
              for i, r in enumerate(rows) if i % step == 0 or i == len(rows) - 1]
    d = " ".join(f"{'M' if k == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for k, (i, v) in enumerate(pts))
    parts.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="{colour}"><title>{html.escape(rows[i].date)}: '
              f'{v:.1f}</title></circle>' for i, v in pts]
    return (f'{head}<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(series.title)} per session">{"".join(parts)}</svg>')


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>formcoach progress: {exercise}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 46em; padding: 0 1em; color: #222; }}
svg.plot text {{ font-size: 11px; fill: #555; }} h3 {{ margin: 1.4em 0 .3em; font-size: 1em; }}
table {{ border-collapse: collapse; }} th, td {{ padding: .3em .7em; border-bottom: 1px solid #ddd; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }} p.none {{ color: #777; }}
</style></head><body>
<h1>Progress: {exercise}</h1>
<p>{count} sessions, {first} to {last}.</p>
{plots}
<h3>Sessions</h3>
<table><thead><tr><th>date</th><th>kind</th><th>reps</th><th>partial</th><th>holds</th><th>best hold</th><th>fault rate</th><th>ROM</th><th>report</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""


def write_progress_html(exercise: str, rows: Sequence[SessionRow], path: Path) -> Path:
    """The progress page: one plot per quantity, then the session table linking each report."""
    e = html.escape
    plots = "\n".join(_plot(s, rows, _LINE_COLOURS[k % len(_LINE_COLOURS)]) for k, s in enumerate(SERIES))
    table = []
    for r in rows:
        link = Path(r.report).with_name("report.html")
        href = e(os.path.relpath(link, path.parent)) if link.exists() else ""
        table.append(f"<tr><td>{e(r.date[:16].replace('T', ' '))}</td><td>{e(r.kind)}</td><td>{r.reps}</td><td>{r.partial_reps}</td>"
                     f"<td>{r.holds}</td><td>{_fmt(r.hold_best_s, 1, ' s')}</td>"
                     f"<td>{_fmt(None if r.fault_rate is None else 100 * r.fault_rate, 0, ' %')}</td><td>{_fmt(r.rom)}</td>"
                     f"<td>{f'<a href={chr(34)}{href}{chr(34)}>report</a>' if href else '–'}</td></tr>")
    doc = _PAGE.format(exercise=e(exercise), count=len(rows), first=e(rows[0].date[:10]) if rows else "–",
                       last=e(rows[-1].date[:10]) if rows else "–", plots=plots, rows="\n".join(table))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(doc, encoding="utf-8")
    os.replace(tmp, path)
    return path
