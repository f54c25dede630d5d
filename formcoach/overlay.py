"""Drawing: skeleton, the measures that matter at their joints, rep counter, hold bar, fault banners.

`Overlay.draw(image, result) -> image` (draws on a copy). A consumer of results only: it remembers
faults decided at the end of a rep (rep-end rules, partial reps, short holds) for `FAULT_SHOW_S`
so they are on screen right after the rep they are about, with the body segment they measure
drawn in the fault's colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcoach._cv2 import cv2

from formcoach.core import Fault, FrameResult, PoseFrame, Severity, Side, fault_of
from formcoach.holds import HOLD_STILL
from formcoach.points import PointName
from formcoach.skeleton import EDGES, Landmark
from formcoach.specs import ExerciseSpec

#: Seconds a fault decided at rep end stays on screen after the decision.
FAULT_SHOW_S = 2.5

_FONT = cv2.FONT_HERSHEY_DUPLEX
_WHITE = (255, 255, 255)
_DARK = (32, 32, 32)
_ACCENT = (80, 200, 255)  # amber-ish (BGR)
_GOOD = (110, 210, 90)
_SEVERITY_COLOUR = {Severity.INFO: (200, 160, 60), Severity.WARNING: (40, 160, 255), Severity.ERROR: (60, 60, 230)}
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Banner:
    """One line at the bottom of the picture."""

    message: str
    severity: Severity
    tag: str = ""  # short context drawn before the message ("REP 2")
    cue: str | None = None


def format_value(value: float, unit: str) -> str:
    """A measured value in its unit with sensible precision: '37°', '0.031', '0.42 × torso'."""
    if not math.isfinite(value):
        return "–"
    if unit == "deg":
        return f"{round(value) + 0:d}°"
    digits = 2 if abs(value) >= 0.1 else 3
    text = f"{value:.{digits}f}"
    return f"{text} × torso" if unit == "torso" else (f"{text} px" if unit == "px" else text)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    (w, h), _ = cv2.getTextSize(text.replace("°", "").replace("×", "x"), _FONT, scale, thickness)
    return w + (int(8 * scale) if "°" in text else 0), h


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour=_WHITE, thickness: int = 1) -> None:
    """Text with a dark outline; a '°' (not in Hershey fonts) is drawn as a small ring."""
    body = text.replace("°", "").replace("×", "x")
    for c, th in ((_DARK, thickness + 3), (colour, thickness)):
        cv2.putText(img, body, org, _FONT, scale, c, th, cv2.LINE_AA)
    if "°" in text:
        (w, h), _ = cv2.getTextSize(body, _FONT, scale, thickness)
        centre, r = (org[0] + w + int(4 * scale), org[1] - h + int(3 * scale)), max(2, int(3.5 * scale))
        cv2.circle(img, centre, r, _DARK, thickness + 2, cv2.LINE_AA)
        cv2.circle(img, centre, r, colour, max(1, thickness), cv2.LINE_AA)


def _panel(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.55) -> None:
    """Darken a rectangle (semi-transparent panel) in place."""
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, img.shape[1]), min(y1, img.shape[0])
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi * (1 - alpha)).astype(np.uint8)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _tag(fault: Fault, counted: int) -> str:
    """Which rep or hold a fault is about. One seen during a rep attempt is about the rep after the
    `counted` ones (whether it counts is known when it ends); one of no rep and no hold was a partial."""
    if fault.rep:
        return f"REP {fault.rep}"
    if fault.attempt is not None:
        return f"REP {counted + 1}"
    return f"HOLD {fault.hold}" if fault.hold else "NO REP"


class Overlay:
    """Draws one exercise's analysis on frames. Sizes scale with the image height (designed at 480 p)."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        shown = spec.display or tuple(n for n in (spec.primary_metric,) if n)
        self.shown = shown[:3]
        self._segments = self._cue_segments(spec)
        self.reset()

    def reset(self) -> None:
        self._recent: list[tuple[float, Fault]] = []  # (shown until t, fault) for faults decided at rep end

    # -- public --

    def draw(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        """The picture with this frame's analysis drawn on it (a copy)."""
        banners = self.banners(result)
        return self.render(image, result, banners)

    def draw_fault(self, image: np.ndarray, result: FrameResult, fault: Fault) -> np.ndarray:
        """The picture at a fault's worst moment, with that fault as the banner (for thumbnails)."""
        return self.render(image, result, [Banner(fault.message, fault.severity, _tag(fault, result.rep_count), fault.cue)])

    def banners(self, result: FrameResult) -> list[Banner]:
        """What the bottom of the frame says now, most important first (advances the fault memory)."""
        active_ids = {c.cue for c in result.active_cues}
        for ev in result.events:
            fault = fault_of(ev)
            if fault is not None and fault.cue not in active_ids:  # decided at rep end, not seen live
                self._recent = [(u, f) for u, f in self._recent if f.cue != fault.cue]
                self._recent.append((result.t + FAULT_SHOW_S, fault))  # ev.t may be the worst moment
        self._recent = [(u, f) for u, f in self._recent if result.t <= u + 1e-9]
        out: list[Banner] = []
        for _, f in sorted(self._recent, key=lambda uf: (-_RANK[uf[1].severity], -uf[0])):
            out.append(Banner(f.message, f.severity, _tag(f, result.rep_count), f.cue))
        for c in sorted(result.active_cues, key=lambda c: -_RANK[c.severity]):
            out.append(Banner(c.message, c.severity, "", c.cue))
        if not out:
            if result.pose is None:
                out.append(Banner("Step into view: whole body in the picture", Severity.INFO))
            elif result.not_judged:
                cue_id, reason = next(iter(result.not_judged.items()))
                out.append(Banner(f"Can't check {cue_id.replace('_', ' ')}: {reason}", Severity.INFO))
        return out[:2]

    def render(self, image: np.ndarray, result: FrameResult, banners: list[Banner]) -> np.ndarray:
        out = image.copy()
        s = out.shape[0] / 480.0
        if result.pose is not None:
            self._skeleton(out, result, s)
            for b in reversed(banners):
                self._mark_segment(out, result, b, s)
            self._joint_labels(out, result, s)
        self._counter(out, result, s)
        for row, b in enumerate(banners):
            self._banner(out, b.message, _SEVERITY_COLOUR[b.severity], s, row, b.tag)
        return out

    def draw_message(self, image: np.ndarray, message: str, severity: Severity = Severity.INFO) -> np.ndarray:
        """The camera picture with one banner (workout setup guidance, rest countdown)."""
        out = image.copy()
        if message:
            self._banner(out, message, _SEVERITY_COLOUR[severity], out.shape[0] / 480.0)
        return out

    # -- internals --

    @staticmethod
    def _cue_segments(spec: ExerciseSpec) -> dict[str, tuple[tuple[PointName, PointName], ...]]:
        """cue id -> the body segments (pairs of spec points) its metric is measured on."""

        def segments(metric: str) -> tuple[tuple[PointName, PointName], ...]:
            m = spec.metrics.get(metric)
            return m.kind.segments(spec.metrics) if m is not None else ()

        out = {c.id: segments(c.condition.metric) for c in spec.cues}
        if spec.reps is not None:
            for cue in (spec.reps.rule.partial_cue, spec.reps.rule.incomplete_return_cue):
                if cue:
                    out.setdefault(cue, segments(spec.reps.rule.metric))
        if spec.hold is not None and spec.hold.posture:
            out.setdefault(spec.hold.rule.short_cue, tuple(s for c in spec.hold.posture for s in segments(c.metric)))
        return out

    def _point(self, pose: PoseFrame, name: PointName, side: str) -> tuple[int, int] | None:
        p = name.at(pose.xy, side)
        return (int(round(p[0])), int(round(p[1]))) if np.all(np.isfinite(p)) else None

    def _mark_segment(self, img: np.ndarray, result: FrameResult, banner: Banner, s: float) -> None:
        """The body segment a fault is measured on, thick, in the fault's colour."""
        colour, pose, side = _SEVERITY_COLOUR[banner.severity], result.pose, result.side or Side.LEFT
        if pose is None:
            return
        for a, b in self._segments.get(banner.cue or "", ()):
            pa, pb = self._point(pose, a, side), self._point(pose, b, side)
            if pa is not None and pb is not None:
                cv2.line(img, pa, pb, _DARK, max(3, int(10 * s)), cv2.LINE_AA)
                cv2.line(img, pa, pb, colour, max(2, int(7 * s)), cv2.LINE_AA)

    def _skeleton(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        if result.pose is None:
            return
        xy = result.pose.xy
        near = result.side or "left"
        for a, b in EDGES:
            pa, pb = xy[a], xy[b]
            if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
                continue
            far = a.name.startswith(("LEFT_", "RIGHT_")) and not a.name.startswith(near.upper())
            colour = (150, 150, 150) if far else _WHITE
            cv2.line(img, tuple(np.round(pa).astype(int)), tuple(np.round(pb).astype(int)), colour, max(1, int(3 * s)), cv2.LINE_AA)
        for lm in Landmark:
            p = xy[lm]
            if np.all(np.isfinite(p)) and (lm >= Landmark.LEFT_SHOULDER or lm == Landmark.NOSE):
                cv2.circle(img, tuple(np.round(p).astype(int)), max(2, int(4 * s)), _ACCENT, -1, cv2.LINE_AA)

    def _joint_labels(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        scale, thick = 0.55 * s, max(1, int(s))
        for label, (x0, y0, x1, y1) in self.label_boxes(img.shape, result):
            _panel(img, x0, y0, x1, y1, alpha=0.5)
            pad = int(4 * s)
            _text(img, label, (x0 + pad, y1 - pad), scale, _ACCENT, thick)

    def label_boxes(self, shape: tuple[int, ...], result: FrameResult) -> list[tuple[str, tuple[int, int, int, int]]]:
        """Each displayed measure next to the joint it is measured at, as (text, box); boxes never overlap."""
        h, w = shape[:2]
        s = h / 480.0
        placed: list[tuple[int, int, int, int]] = []
        out: list[tuple[str, tuple[int, int, int, int]]] = []
        scale, thick = 0.55 * s, max(1, int(s))
        for name in self.shown:
            m = self.spec.metrics[name]
            value = result.metrics.get(name, math.nan)
            anchor_name = m.kind.anchor
            if anchor_name is None or not math.isfinite(value):
                continue
            side = Side(result.side or Side.LEFT)
            if name in result.on_far_side:  # measured where the camera saw the joint
                side = side.opposite
            anchor = self._point(result.pose, anchor_name, side) if result.pose is not None else None
            if anchor is None:
                continue
            label = f"{m.label} {format_value(value, m.unit)}"
            tw, th = _text_size(label, scale, thick)
            pad = int(4 * s)
            x = min(max(anchor[0] + int(12 * s), pad), max(w - tw - pad, pad))
            y = min(max(anchor[1] - int(8 * s), th + pad), h - pad)
            box = (x - pad, y - th - pad, x + tw + pad, y + pad)
            for _ in range(12):  # move down (then up) past labels already drawn
                hit = next((b for b in placed if _overlaps(box, b)), None)
                if hit is None:
                    break
                y = hit[3] + th + pad + 1 if hit[3] + th + 2 * pad < h else hit[1] - pad - 1
                box = (x - pad, y - th - pad, x + tw + pad, y + pad)
            placed.append(box)
            out.append((label, box))
        return out

    def _counter(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        """Top-left panel: the rep count (or, for a hold-only exercise, the seconds held) in large type,
        the hold bar with its target, then the displayed measures."""
        x0, y0 = int(10 * s), int(10 * s)
        lines = [f"{self.spec.metrics[n].label}: {format_value(result.metrics.get(n, math.nan), self.spec.metrics[n].unit)}"
                 for n in self.shown]
        holds = result.hold_target_s is not None
        elapsed, target = result.hold_elapsed_s or 0.0, result.hold_target_s or 0.0
        what = f"hold {elapsed:.1f} of {target:g} s" if self.spec.reps is not None else f"target {target:g} s"
        if result.hold_settling:
            what = HOLD_STILL.lower()
        frac = (min(elapsed / target, 1.0) if target > 0 else 1.0) if holds else 0.0
        what += " - done" if frac >= 1.0 else ""
        width = max([int(200 * s), *(_text_size(t, 0.5 * s, 1)[0] + int(22 * s) for t in [*lines, *([what] if holds else [])])])
        _panel(img, x0, y0, x0 + width, y0 + int((60 + 40 * holds + 26 * len(lines)) * s))
        y = y0 + int(46 * s)
        big, small = ((str(result.rep_count), "rep" if result.rep_count == 1 else "reps") if self.spec.reps is not None
                      else (f"{elapsed:.1f}", "s held"))
        thick = max(2, int(2 * s))
        _text(img, big, (x0 + int(10 * s), y), 1.5 * s, _WHITE, thick)
        _text(img, small, (x0 + int(18 * s) + _text_size(big, 1.5 * s, thick)[0], y), 0.65 * s)
        if holds:
            bx0, bx1, by = x0 + int(10 * s), x0 + width - int(10 * s), y + int(12 * s)
            cv2.rectangle(img, (bx0, by), (bx1, by + int(9 * s)), (90, 90, 90), -1)
            cv2.rectangle(img, (bx0, by), (bx0 + int((bx1 - bx0) * frac), by + int(9 * s)), _GOOD if frac >= 1.0 else _ACCENT, -1)
            y = by + int(30 * s)
            _text(img, what, (bx0, y), 0.5 * s, _GOOD if frac >= 1.0 else _WHITE)
        for line in lines:
            y += int(26 * s)
            _text(img, line, (x0 + int(10 * s), y), 0.5 * s)

    @staticmethod
    def _banner(img: np.ndarray, message: str, colour: tuple[int, int, int], s: float, row: int = 0, tag: str = "") -> None:
        h, w = img.shape[:2]
        bar_h = int(44 * s)
        top = h - bar_h * (row + 1)
        _panel(img, 0, top, w, top + bar_h, alpha=0.65)
        cv2.rectangle(img, (0, top), (int(8 * s), top + bar_h), colour, -1)
        x = int(20 * s)
        if tag:
            tw, _ = _text_size(tag, 0.5 * s, max(1, int(s)))
            cv2.rectangle(img, (x - int(6 * s), top + int(10 * s)), (x + tw + int(6 * s), top + bar_h - int(10 * s)), colour, -1)
            cv2.putText(img, tag, (x, top + bar_h - int(16 * s)), _FONT, 0.5 * s, _WHITE, max(1, int(s)), cv2.LINE_AA)
            x += tw + int(18 * s)
        room = w - x - 10 * s
        scale, lines = banner_lines(message, room, s)
        thick = max(1, int(s))
        if len(lines) == 1:
            _text(img, lines[0], (x, top + bar_h - int(14 * s)), scale, _WHITE, thick)
            return
        for i, line in enumerate(lines):  # two lines in the same bar
            _text(img, line, (x, top + int((20 + 17 * i) * s)), scale, _WHITE, thick)


def banner_lines(message: str, room: float, s: float) -> tuple[float, list[str]]:
    """(font scale, one or two lines) that fit a banner `room` pixels wide, for picture scale `s`.

    One line from 0.7 s down to 0.5 s; past that (a narrow portrait picture), two balanced lines from
    0.55 s down to 0.38 s; past that the first line is filled and the second cut with "...".
    """
    scale = 0.7 * s
    while scale >= 0.5 * s:
        if _text_size(message, scale, 1)[0] <= room:
            return scale, [message]
        scale *= 0.92
    words = message.split()
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))] or [(message, "")]
    first, second = min(splits, key=lambda ab: max(_text_size(ab[0], 1.0, 1)[0], _text_size(ab[1], 1.0, 1)[0]))
    scale = 0.55 * s
    while scale > 0.38 * s and max(_text_size(first, scale, 1)[0], _text_size(second, scale, 1)[0]) > room:
        scale *= 0.92
    if max(_text_size(first, scale, 1)[0], _text_size(second, scale, 1)[0]) > room:  # fill the first line, cut the second
        fit = [i for i in range(1, len(words) + 1) if _text_size(" ".join(words[:i]), scale, 1)[0] <= room]
        cut = fit[-1] if fit else 1
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        while _text_size(second, scale, 1)[0] > room and len(second) > 4:
            second = second[:-4].rstrip() + "..."
    return scale, [first, second] if second else [first]


def draw_status(img: np.ndarray, text: str, warn: bool = False) -> None:
    """A small status line in the top-right corner, in place (live: frames analysed per second)."""
    if not text:
        return
    s = img.shape[0] / 480.0
    scale, thick = 0.45 * s, max(1, int(s))
    tw, th = _text_size(text, scale, thick)
    x, y = img.shape[1] - tw - int(14 * s), int(22 * s)
    _panel(img, x - int(6 * s), y - th - int(6 * s), x + tw + int(6 * s), y + int(6 * s), alpha=0.6)
    _text(img, text, (x, y), scale, _SEVERITY_COLOUR[Severity.WARNING] if warn else _WHITE, thick)
