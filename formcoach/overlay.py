"""Drawing: skeleton, the angles that matter at their joints, rep counter, hold timer, cue banner.

`Overlay.draw(image, result) -> image` (draws on a copy). A consumer of results only.
"""

from __future__ import annotations

import math

import numpy as np

from formcoach._cv2 import cv2

from formcoach.core import FrameResult, Severity
from formcoach.metrics import resolve_point
from formcoach.skeleton import EDGES, Landmark
from formcoach.specs import ExerciseSpec

_FONT = cv2.FONT_HERSHEY_DUPLEX
_WHITE = (255, 255, 255)
_DARK = (32, 32, 32)
_ACCENT = (80, 200, 255)  # amber-ish (BGR)
_GOOD = (110, 210, 90)
_SEVERITY_COLOUR = {Severity.INFO: (200, 160, 60), Severity.WARNING: (40, 160, 255), Severity.ERROR: (60, 60, 230)}


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour=_WHITE, thickness: int = 1) -> None:
    cv2.putText(img, text, org, _FONT, scale, _DARK, thickness + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _panel(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.55) -> None:
    """Darken a rectangle (semi-transparent panel) in place."""
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, img.shape[1]), min(y1, img.shape[0])
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi * (1 - alpha)).astype(np.uint8)


class Overlay:
    """Draws one exercise's analysis on frames. Sizes scale with the image height."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        shown = spec.display or tuple(n for n in (spec.primary_metric,) if n)
        self.shown = shown[:3]

    def draw(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        out = image.copy()
        s = out.shape[0] / 480.0  # scale factor: designed at 480 p
        if result.pose is not None:
            self._skeleton(out, result, s)
            self._joint_angles(out, result, s)
        self._counter(out, result, s)
        self._cue_banner(out, result, s)
        return out

    def _skeleton(self, img: np.ndarray, result: FrameResult, s: float) -> None:
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

    def _joint_angles(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        """The displayed metrics, written next to the joint they are measured at."""
        for name in self.shown:
            m = self.spec.metrics[name]
            value = result.metrics.get(name, math.nan)
            anchor_name = m.points[1] if m.kind == "angle" else (m.points[0] if m.points else None)
            if anchor_name is None or not math.isfinite(value):
                continue
            anchor = resolve_point(result.pose, anchor_name, result.side or "left").point
            if not np.all(np.isfinite(anchor)):
                continue
            x, y = int(anchor[0] + 12 * s), int(anchor[1] - 8 * s)
            label = f"{name} {round(value)}" if m.unit == "deg" else f"{name} {value:.2f}"
            _text(img, label, (x, y), 0.55 * s, _ACCENT, max(1, int(s)))

    def _counter(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        x0, y0 = int(10 * s), int(10 * s)
        width = int(170 * s)
        rows = 1 + (result.hold_target_s is not None) + len(self.shown)
        _panel(img, x0, y0, x0 + width, y0 + int((48 + 26 * (rows - 1)) * s))
        y = y0 + int(40 * s)
        if self.spec.reps is not None:
            _text(img, f"{result.rep_count}", (x0 + int(8 * s), y), 1.4 * s, _WHITE, max(2, int(2 * s)))
            _text(img, "reps", (x0 + int(70 * s), y - int(4 * s)), 0.6 * s)
        else:
            _text(img, self.spec.name, (x0 + int(8 * s), y - int(10 * s)), 0.5 * s)
        if result.hold_target_s is not None:
            y += int(28 * s)
            elapsed = result.hold_elapsed_s or 0.0
            frac = min(elapsed / result.hold_target_s, 1.0)
            bx0, bx1 = x0 + int(8 * s), x0 + width - int(8 * s)
            cv2.rectangle(img, (bx0, y - int(14 * s)), (bx1, y + int(4 * s)), (90, 90, 90), -1)
            colour = _GOOD if frac >= 1.0 else _ACCENT
            cv2.rectangle(img, (bx0, y - int(14 * s)), (bx0 + int((bx1 - bx0) * frac), y + int(4 * s)), colour, -1)
            _text(img, f"hold {elapsed:4.1f} / {result.hold_target_s:.0f} s", (bx0 + int(4 * s), y), 0.45 * s)
        for name in self.shown:
            y += int(24 * s)
            value = result.metrics.get(name, math.nan)
            unit = self.spec.metrics[name].unit
            shown = "--" if not math.isfinite(value) else (f"{round(value)} deg" if unit == "deg" else f"{value:.2f}")
            _text(img, f"{name}: {shown}", (x0 + int(8 * s), y), 0.5 * s)

    def _cue_banner(self, img: np.ndarray, result: FrameResult, s: float) -> None:
        h, w = img.shape[:2]
        if result.active_cues:
            cue = max(result.active_cues, key=lambda c: list(Severity).index(c.severity))
            message, colour = cue.message, _SEVERITY_COLOUR[cue.severity]
        elif result.pose is None:
            message, colour = "Step into view: whole body in the picture", _SEVERITY_COLOUR[Severity.INFO]
        elif result.not_judged:
            cue_id, reason = next(iter(result.not_judged.items()))
            message, colour = f"Can't check {cue_id.replace('_', ' ')}: {reason}", _SEVERITY_COLOUR[Severity.INFO]
        else:
            return
        self._banner(img, message, colour, s)

    def draw_message(self, image: np.ndarray, message: str, severity: Severity = Severity.INFO) -> np.ndarray:
        """The camera picture with one banner (workout setup guidance, rest countdown)."""
        out = image.copy()
        if message:
            self._banner(out, message, _SEVERITY_COLOUR[severity], out.shape[0] / 480.0)
        return out

    @staticmethod
    def _banner(img: np.ndarray, message: str, colour: tuple[int, int, int], s: float) -> None:
        h, w = img.shape[:2]
        bar_h = int(44 * s)
        _panel(img, 0, h - bar_h, w, h, alpha=0.6)
        cv2.rectangle(img, (0, h - bar_h), (int(8 * s), h), colour, -1)
        scale = 0.7 * s
        (tw, _), _ = cv2.getTextSize(message, _FONT, scale, 1)
        while tw > w - 30 * s and scale > 0.35 * s:
            scale *= 0.9
            (tw, _), _ = cv2.getTextSize(message, _FONT, scale, 1)
        _text(img, message, (int(20 * s), h - int(14 * s)), scale, _WHITE, max(1, int(s)))
