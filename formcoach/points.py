"""Landmark names as specs write them, resolved to landmark indices once at load, and the side policy.

`knee` (the side the policy picks), `other_knee` (the opposite one), `left_knee`, `nose`, `mid_hip`
(the midpoint of both sides). Every module that needs a spec's points asks a `PointName`; nothing
else parses these names. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from formcoach import geometry
from formcoach.core import Choice, PoseFrame, Side
from formcoach.skeleton import MIDPOINT_PREFIX, SIDED_PARTS, Landmark, landmark_names, sided

OTHER_PREFIX = "other_"
_SINGLE_LANDMARKS = frozenset(n for n in landmark_names() if not n.startswith(("left_", "right_")))
_SIDED_NAMES = frozenset(n for n in landmark_names() if n.startswith(("left_", "right_")))
#: What the error for an unknown name suggests from.
KNOWN_NAMES = tuple(sorted(SIDED_PARTS | _SINGLE_LANDMARKS))
NAME_HELP = "use a part name resolved by the side policy (hip, knee, ...), a sided name (left_hip), nose, mid_hip, other_knee"


class _Form(Enum):
    FIXED = "fixed"  # nose, left_hip: the same landmark whatever the side
    PART = "part"  # knee: the side the metric is measured on
    OTHER = "other"  # other_knee: the opposite side
    MID = "mid"  # mid_hip: the midpoint of both sides


@dataclass(frozen=True, slots=True)
class PointName:
    """One spec landmark name with its landmarks for either side, resolved at load."""

    text: str  # as written in the spec
    part: str  # the body part word ("knee", "nose"), for set-up messages
    form: _Form
    left: tuple[Landmark, ...]  # the landmarks it means on the left side (two for a midpoint)
    right: tuple[Landmark, ...]

    @staticmethod
    def parse(text: str) -> PointName | None:
        """The name resolved, or None when it names no landmark."""
        if text.startswith(MIDPOINT_PREFIX):
            part = text[len(MIDPOINT_PREFIX):]
            if part not in SIDED_PARTS:
                return None
            pair = (sided(part, "left"), sided(part, "right"))
            return PointName(text, part, _Form.MID, pair, pair)
        if text.startswith(OTHER_PREFIX):
            part = text[len(OTHER_PREFIX):]
            if part not in SIDED_PARTS:
                return None
            return PointName(text, part, _Form.OTHER, (sided(part, "right"),), (sided(part, "left"),))
        if text in SIDED_PARTS:
            return PointName(text, text, _Form.PART, (sided(text, "left"),), (sided(text, "right"),))
        if text in _SINGLE_LANDMARKS or text in _SIDED_NAMES:
            lm = Landmark[text.upper()]
            return PointName(text, text.removeprefix("left_").removeprefix("right_"), _Form.FIXED, (lm,), (lm,))
        return None

    def landmarks(self, side: str) -> tuple[Landmark, ...]:
        """The landmarks this name means when measured on `side` ("left" or "right")."""
        return self.left if side == Side.LEFT else self.right

    def needed(self, side: str, either: bool) -> tuple[Landmark, ...]:
        """What must be seen for this name on `side`; `either`: a metric that takes whichever side it can."""
        return self.left + self.right if either and self.form is _Form.PART else self.landmarks(side)

    def at(self, coords: np.ndarray, side: str) -> np.ndarray:
        """The point in `coords` ((33, 2) pixels or (33, 3) world metres); NaN when unseen.

        A midpoint uses either side alone when only one is seen.
        """
        lms = self.landmarks(side)
        if len(lms) == 1:
            return coords[lms[0]]
        pts = coords[list(lms)]
        finite = np.all(np.isfinite(pts), axis=1)
        return pts[finite].mean(axis=0) if finite.any() else np.full(coords.shape[1], np.nan)


def point(text: str) -> PointName:
    """A name known to be valid (the code's own, not a spec's)."""
    name = PointName.parse(text)
    if name is None:
        raise ValueError(f"not a landmark name: {text!r}")
    return name


# ---- the side policy ----------------------------------------------------------------------------


class SideRule(Choice):
    """Which side a metric is measured on: the near side (`auto`), a fixed one, the far one (`other`),
    or both combined (`mean`, `max`, `min`). The spec's own `side:` takes `auto`, `left` or `right`."""

    AUTO = "auto"
    LEFT = "left"
    RIGHT = "right"
    OTHER = "other"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"


SPEC_SIDES = (SideRule.AUTO, SideRule.LEFT, SideRule.RIGHT)


class Extreme(Choice):
    """Which side a `side: {pick: ...}` takes: where the other metric is largest or smallest."""

    MAX = "max"
    MIN = "min"


@dataclass(frozen=True, slots=True)
class SidePick:
    """Label-agnostic side choice: take the side whose metric `by` is the max/min this frame."""

    pick: Extreme
    by: str  # metric name (evaluated per side)

    def choose(self, left: float, right: float, near: Side) -> Side:
        """The side to measure on, from `by` on each side (NaN = not seen; neither seen: the near side)."""
        if not (left == left or right == right):
            return near
        if not left == left:
            return Side.RIGHT
        if not right == right:
            return Side.LEFT
        pick_left = left >= right if self.pick == Extreme.MAX else left <= right
        return Side.LEFT if pick_left else Side.RIGHT


def side_for(rule: SideRule | SidePick, near: Side) -> Side | None:
    """The one side a rule measures on, given the near side; None for rules that use both sides
    (`mean`, `max`, `min`, or a pick decided frame by frame)."""
    if isinstance(rule, SidePick):
        return None
    if rule is SideRule.AUTO:
        return near
    if rule is SideRule.OTHER:
        return near.opposite
    if rule in (SideRule.LEFT, SideRule.RIGHT):
        return Side(rule.value)
    return None


# ---- measures on named points -------------------------------------------------------------------

MID_SHOULDER, MID_HIP = point("mid_shoulder"), point("mid_hip")
_SHOULDER, _HIP, _NOSE, _EAR, _TOE, _HEEL = (point(n) for n in ("shoulder", "hip", "nose", "ear", "foot_index", "heel"))


class FacingFrom(Choice):
    """How a side view tells which way the person faces."""

    FEET = "feet"  # toes ahead of heels, else nose ahead of ears: standing work
    HEAD = "head"  # the hip->shoulder line points forward: prone, all fours, plank (toes point back)


def torso_length(frame: PoseFrame) -> float:
    """Pixel distance mid-shoulder → mid-hip (either side may stand in for a hidden one); NaN under 1 px."""
    length = float(geometry.distance(MID_SHOULDER.at(frame.xy, Side.LEFT), MID_HIP.at(frame.xy, Side.LEFT)))
    return length if length > 1.0 else float("nan")


#: The head and shoulders: the top of a standing person.
_UPPER_BODY = np.arange(int(Landmark.RIGHT_SHOULDER) + 1)


def head_top(frame: PoseFrame) -> float:
    """Picture row (px, 0 = top edge) of the highest head or shoulder landmark; NaN when none is seen."""
    top = frame.xy[_UPPER_BODY, 1]
    return float("nan") if np.isnan(top).all() else float(np.nanmin(top))


def head_at_top(frame: PoseFrame, band_torso: float, rise_px: float = 0.0) -> bool:
    """The highest of the head and shoulder landmarks lies within `band_torso` torso lengths of the
    picture's top edge (or above it): a standing person too tall for the frame.

    `rise_px`: how far the head rose since the previous frame. Rising on, it is that much higher by the
    next frame, so the band grows by it: a slower camera's last frame before the person leaves over the
    top lies further below the edge than a faster one's.
    """
    margin = band_torso * torso_length(frame) + max(rise_px, 0.0)
    top = head_top(frame)
    if margin != margin or top != top:
        return False
    return top < margin


def facing(frame: PoseFrame, side: str, source: FacingFrom = FacingFrom.FEET) -> float:
    """+1 facing image-right, -1 image-left, NaN unknown (side views)."""
    xy = frame.xy
    if source == FacingFrom.HEAD:
        return geometry.facing_sign(_SHOULDER.at(xy, side), _HIP.at(xy, side), _NOSE.at(xy, side), _EAR.at(xy, side))
    return geometry.facing_sign(_TOE.at(xy, side), _HEEL.at(xy, side), _NOSE.at(xy, side), _EAR.at(xy, side))
