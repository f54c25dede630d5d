"""Which way the camera sees the person (side / front / oblique) and which side is nearer.

Both are tracked over time with hysteresis, so a single odd frame never flips them.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import math

import numpy as np

from formcoach import geometry
from formcoach.core import PoseFrame, Side, View
from formcoach.skeleton import Landmark, sided

#: Yaw of the shoulder and hip lines in MediaPipe's world coordinates (camera-aligned axes):
#: 0° = the lines point into the camera (side view), 90° = across it (front/back view).
#: Measured on renders: side ≈0–5°, 45° camera ≈45–53°. The image-plane width ratio is a poor
#: substitute (MediaPipe compresses the far side: a 45° view read 0.33, like a side view).
SIDE_BELOW = 25.0
FRONT_ABOVE = 65.0
_HYSTERESIS = 5.0

#: Fallback without world coordinates: shoulder/hip width over torso length in the image.
_RATIO_SIDE_BELOW = 0.35
_RATIO_FRONT_ABOVE = 0.6

_SIDE_PARTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def width_ratio(frame: PoseFrame) -> float:
    """Mean of shoulder and hip width over torso length, in the image (NaN if unknown)."""
    xy = frame.xy
    ls, rs, lh, rh = (xy[lm] for lm in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP))
    torso = float(geometry.distance(geometry.midpoint(ls, rs), geometry.midpoint(lh, rh)))
    if not torso > 1.0:
        return float("nan")
    widths = [float(geometry.distance(ls, rs)), float(geometry.distance(lh, rh))]
    finite = [w for w in widths if math.isfinite(w)]
    return float(np.mean(finite)) / torso if finite else float("nan")


def view_yaw(frame: PoseFrame) -> float:
    """Degrees between the shoulder/hip lines and the camera's depth axis (0 side-on, 90 square-on).

    From world landmarks; falls back to a yaw estimated from the image width ratio when world
    coordinates are missing. NaN when neither is available.
    """
    w = frame.world
    dx = abs(w[Landmark.LEFT_SHOULDER, 0] - w[Landmark.RIGHT_SHOULDER, 0]) + abs(w[Landmark.LEFT_HIP, 0] - w[Landmark.RIGHT_HIP, 0])
    dz = abs(w[Landmark.LEFT_SHOULDER, 2] - w[Landmark.RIGHT_SHOULDER, 2]) + abs(w[Landmark.LEFT_HIP, 2] - w[Landmark.RIGHT_HIP, 2])
    if math.isfinite(dx) and math.isfinite(dz) and dx + dz > 0:
        return math.degrees(math.atan2(dx, dz))
    ratio = width_ratio(frame)
    if not math.isfinite(ratio):
        return float("nan")
    # Map the ratio's side/front thresholds onto the yaw thresholds, linearly between them.
    frac = (ratio - _RATIO_SIDE_BELOW) / (_RATIO_FRONT_ABOVE - _RATIO_SIDE_BELOW)
    return float(np.clip(SIDE_BELOW + frac * (FRONT_ABOVE - SIDE_BELOW), 0.0, 90.0))


def classify_view(yaw: float, side_below: float = SIDE_BELOW, front_above: float = FRONT_ABOVE) -> View | None:
    """side / front / oblique from a view yaw in degrees (None when unknown)."""
    if not math.isfinite(yaw):
        return None
    if yaw < side_below:
        return View.SIDE
    if yaw > front_above:
        return View.FRONT
    return View.OBLIQUE


class ViewTracker:
    """Smoothed view classification: exponential average of the view yaw, thresholds with hysteresis."""

    def __init__(self, time_constant_s: float = 0.7) -> None:
        self.time_constant_s = time_constant_s
        self.reset()

    def reset(self) -> None:
        self.yaw: float = float("nan")
        self.view: View | None = None
        self._last_t: float | None = None

    def update(self, frame: PoseFrame | None) -> View | None:
        if frame is None:
            return self.view
        yaw = view_yaw(frame)
        if not math.isfinite(yaw):
            return self.view
        if self._last_t is None or not math.isfinite(self.yaw):
            self.yaw = yaw
        else:
            dt = max(frame.t - self._last_t, 0.0)
            alpha = 1.0 - math.exp(-dt / self.time_constant_s)
            self.yaw += alpha * (yaw - self.yaw)
        self._last_t = frame.t
        self.view = self._classify_with_hysteresis(self.yaw)
        return self.view

    def _classify_with_hysteresis(self, yaw: float) -> View | None:
        """Widen the current class's band by the hysteresis margin before leaving it."""
        low, high = SIDE_BELOW, FRONT_ABOVE
        if self.view is View.SIDE:
            low += _HYSTERESIS
        elif self.view is View.FRONT:
            high -= _HYSTERESIS
        elif self.view is View.OBLIQUE:
            low, high = low - _HYSTERESIS, high + _HYSTERESIS
        return classify_view(yaw, low, high)


def side_score(frame: PoseFrame) -> float:
    """> 0 when the left side looks nearer to the camera, < 0 for the right.

    Visibility of the limb landmarks, plus MediaPipe's world depth (smaller z = nearer) when known.
    """
    left = [sided(p, "left") for p in _SIDE_PARTS]
    right = [sided(p, "right") for p in _SIDE_PARTS]
    score = float(np.mean(frame.visibility[left]) - np.mean(frame.visibility[right]))
    dz = np.nanmean(frame.world[right, 2]) - np.nanmean(frame.world[left, 2]) if np.isfinite(frame.world[left + right, 2]).any() else np.nan
    if math.isfinite(dz):
        score += float(np.clip(dz / 0.2, -1.0, 1.0)) * 0.5  # 20 cm nearer ≈ as strong as +0.5 visibility
    return score


class SideTracker:
    """The near side for `side: auto`: stable over a session, switches only on lasting evidence.

    A fixed policy (`left`/`right`) always returns that side.
    """

    def __init__(self, policy: str = "auto", time_constant_s: float = 1.0, switch_after_s: float = 2.0) -> None:
        self.policy = policy
        self.time_constant_s = time_constant_s
        self.switch_after_s = switch_after_s
        self.reset()

    def reset(self) -> None:
        self.score = 0.0
        self.side = Side(self.policy) if self.policy in tuple(Side) else Side.LEFT
        self._decided = self.policy in ("left", "right")
        self._last_t: float | None = None
        self._against_since: float | None = None

    def update(self, frame: PoseFrame | None) -> Side:
        if frame is None or self.policy in ("left", "right"):
            return self.side
        s = side_score(frame)
        if not math.isfinite(s):
            return self.side
        dt = 0.0 if self._last_t is None else max(frame.t - self._last_t, 0.0)
        self._last_t = frame.t
        alpha = 1.0 if not self._decided else 1.0 - math.exp(-dt / self.time_constant_s)
        self.score += alpha * (s - self.score)
        preferred = Side.LEFT if self.score >= 0 else Side.RIGHT
        if not self._decided:
            self.side, self._decided = preferred, True
        elif preferred != self.side and abs(self.score) > 0.05:
            if self._against_since is None:
                self._against_since = frame.t
            elif frame.t - self._against_since >= self.switch_after_s:
                self.side, self._against_since = preferred, None
        else:
            self._against_since = None
        return self.side
