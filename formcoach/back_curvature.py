"""The `back_curvature` metric kind: how far the back's outline (segmentation mask) bulges between hip
and shoulder, against the same person's upright outline; and why it is not judged when it cannot be.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar, Iterable, Mapping

import numpy as np

from formcoach import geometry
from formcoach.core import Choice, PoseFrame, Side
from formcoach.metric_base import PointKind, Sample, point_names, read_options
from formcoach.points import FacingFrom, facing
from formcoach.skeleton import Landmark
from formcoach.spec_reader import Reader, default_of

NAN = float("nan")

#: An elbow on the back's side of the hip–shoulder line (the body's midline), between hip and
#: shoulder, puts the arm over the back's outline: with hands on the hips the forearm lies on the
#: lower back and the elbow points at the ceiling at the bottom of a hinge. The back is then not
#: judged, never guessed. Hanging or crossed arms keep the elbow on the chest's side. Measured (in
#: hip–shoulder lengths, frames hinged past 45°, 10th-90th percentile): hands on hips, renders
#: 0.26-0.47, a real good morning 0.11-0.18 (pal_goodmorning, as filmed and mirrored); hanging arms,
#: renders -0.55 to -0.38, real deadlifts -0.9 to -0.13 (tby_0016, formfit, mv). The earlier 0.3
#: let the real hands-on-hips outline be judged, and its elbow bump read as a rounded back.
ARM_OVER_BACK = 0.0
ARMS_HIDE_BACK = "your arms hide your back outline: let them hang or cross them on your chest"
OUTLINE_UNSTEADY = ("the outline of your back wobbles while you stand still (loose clothing, hair or the "
                    "background): back rounding cannot be judged reliably")
OUTLINE_FLICKERS = ("the outline of your back flickers from frame to frame (dim light, a busy background or loose "
                    "clothing): back rounding cannot be judged reliably")
NO_MASK = "needs the segmentation mask"
LEARNING = "learning your back's starting shape first: {ask}"
#: What the person is asked to do while the baseline is learned, unless the spec's `baseline.ask` says.
ASK = "hold the start position for a moment"
NO_OUTLINE = "back outline not found"
#: Seconds' worth of upright frames kept to measure how steady the back outline is (the whole set up
#: to now, so a brief still moment does not make a wobbly outline trustworthy again).
SPREAD_S = 30.0
#: The camera's frame interval assumed until two upright frames have been seen (30 fps).
DEFAULT_INTERVAL_S = 1 / 30


class Keep(Choice):
    """Which upright frames make the baseline."""

    LATEST = "latest"  # rolling: how the person stood just before this rep
    FIRST = "first"  # frozen on the first frames: the set-up position


@dataclass(frozen=True, slots=True)
class BaselineRule:
    """The upright reference: frames where metric `metric` <= `max`."""

    metric: str
    max: float
    seconds: float = 0.5  # of upright frames, whose median is the reference (15 frames at 30 fps)
    keep: Keep = Keep.LATEST
    max_spread: float | None = None  # not judged while the upright outline's IQR is larger (torso lengths)
    ask: str = ASK  # what to do so the reference can be learned ("stand tall for a moment before the first pull")

    @classmethod
    def parse(cls, r: Reader) -> BaselineRule:
        if r.has("frames"):
            r.fail("replaced by `seconds`, the same time at any frame rate (15 frames at 30 fps: seconds: 0.5)", "frames")
        rule = cls(metric=r.str("metric"), max=r.num("max"), seconds=r.seconds("seconds", default_of(cls, "seconds"), positive=True),
                   keep=r.choice("keep", Keep, default_of(cls, "keep")),
                   max_spread=r.num("max_spread", default_of(cls, "max_spread"), positive=True),
                   ask=r.str("ask", default_of(cls, "ask")))
        r.done()
        return rule


@dataclass(frozen=True, slots=True)
class SteadyRule:
    """Judged only while the outline holds still: its interquartile range over the last `seconds` must not
    exceed `max_iqr` (torso lengths). A segmentation that loses the person (a dim room, a busy background)
    makes the outline jump by a tenth of the torso from one frame to the next; a back that rounds moves it
    smoothly."""

    max_iqr: float
    seconds: float = 0.3  # at least 3 frames at the camera's frame interval

    @classmethod
    def parse(cls, r: Reader) -> SteadyRule:
        rule = cls(max_iqr=r.num("max_iqr", positive=True), seconds=r.seconds("seconds", default_of(cls, "seconds"), positive=True))
        r.done()
        return rule


def interquartile_range(values: Iterable[float]) -> float:
    """How far apart the middle half of the values lie: a spread that a few wild frames do not move."""
    q1, q3 = np.percentile(list(values), [25, 75])
    return float(q3 - q1)


class Baseline:
    """Median of a value over `seconds` of frames in which a condition held.

    By default rolling (`keep="latest"`): the reference is how the person stood just before this
    rep (arms placed, stance settled), not while they were still walking in. With `keep="first"`
    it freezes once full: the set-up position, for movements that never return to neutral
    between reps (cat-cow swings through it).

    A time, counted in frames at the camera's frame interval (the spacing of the frames offered):
    a frame count of a 30 fps camera spans twice the time at 15 fps, and took in the first move of
    a cat-cow set (rendered cat_cow_shallow replayed at 15 fps: its reference shifted, no shallow
    cat was seen).
    """

    def __init__(self, seconds: float, keep: Keep = Keep.LATEST) -> None:
        self.seconds = seconds
        self.frozen = keep is Keep.FIRST
        self.values: deque[float] = deque()
        self.recent: deque[float] = deque()  # the last SPREAD_S seconds' worth of upright values
        self._steps: deque[float] = deque(maxlen=9)  # spacings of the latest frames offered
        self._step = DEFAULT_INTERVAL_S  # their median: the camera's frame interval
        self._last_t: float | None = None

    @property
    def frames(self) -> int:
        """Frames that make `seconds` at the camera's frame interval (at least 3)."""
        return self._count(self.seconds)

    def _count(self, seconds: float) -> int:
        return max(3, round(seconds / self._step))

    @property
    def value(self) -> float:
        frames = self.frames
        if len(self.values) < frames:
            return NAN
        return float(np.median(list(self.values)[:frames] if self.frozen else list(self.values)[-frames:]))

    @property
    def spread(self) -> float:
        """Interquartile range of the upright values seen lately: how steady the outline is."""
        if len(self.recent) < self.frames:
            return NAN
        return interquartile_range(self.recent)

    def offer(self, value: float, t: float) -> None:
        if value != value:
            return
        if self._last_t is not None and t > self._last_t:
            self._steps.append(t - self._last_t)
            self._step = float(np.median(self._steps))
        self._last_t = t
        self.recent.append(value)
        frames = self.frames
        while len(self.recent) > max(frames, self._count(SPREAD_S)):
            self.recent.popleft()
        if not (self.frozen and len(self.values) >= frames):
            self.values.append(value)
            while not self.frozen and len(self.values) > frames:
                self.values.popleft()


class CurvatureState:
    """A back_curvature metric's history: its baseline, and why the last frame was not judged."""

    def __init__(self, rule: BaselineRule | None, steady: SteadyRule | None = None) -> None:
        self.baseline = Baseline(rule.seconds, rule.keep) if rule is not None else None
        self.learning = LEARNING.format(ask=rule.ask if rule is not None else ASK)
        self.reason: str | None = None
        self.steady = steady
        self.recent: deque[tuple[float, float]] = deque()  # (t, raw bulge) over the steady rule's last seconds

    def flickers(self, t: float, sagitta: float) -> bool:
        """Whether the outline, this frame's included, spread more than the steady rule allows lately."""
        rule = self.steady
        if rule is None:
            return False
        recent = self.recent
        if recent and t <= recent[-1][0]:
            recent.clear()  # a new stream (or a rewind): the last frames were another moment
        recent.append((t, sagitta))
        while len(recent) > 3 and recent[0][0] < t - rule.seconds:
            recent.popleft()
        finite = [v for _, v in recent if v == v]
        if len(finite) < 3:
            return True  # not yet seen to hold still (the first frames, or after the outline was lost)
        return interquartile_range(finite) > rule.max_iqr

    @property
    def ready(self) -> bool:
        """Whether it can be judged yet (at once without a baseline)."""
        return self.baseline is None or self.baseline.value == self.baseline.value


@dataclass(frozen=True, slots=True)
class BackCurvature(PointKind):
    """Bulge of the back outline between hip and shoulder, relative to hip–shoulder length, minus the
    person's own upright outline (`baseline`); without a baseline, the raw bulge."""

    key: ClassVar[str] = "back_curvature"
    arity: ClassVar[int] = 2
    has_side_value: ClassVar[bool] = False  # its baseline is a history of one side at a time
    needs_mask: ClassVar[bool] = True
    options: ClassVar[Mapping[str, str]] = {"facing": "facing"}
    facing: FacingFrom = FacingFrom.FEET  # which side of the outline is the back
    baseline: BaselineRule | None = None
    steady: SteadyRule | None = None  # not judged while the outline flickers

    @classmethod
    def parse(cls, r: Reader) -> BackCurvature:
        baseline = BaselineRule.parse(r.child("baseline", r.raw("baseline"))) if r.has("baseline") else None
        steady = SteadyRule.parse(r.child("steady", r.raw("steady"))) if r.has("steady") else None
        return cls(point_names(r, cls.key, cls.arity), **read_options(r, cls), baseline=baseline, steady=steady)

    @property
    def unit(self) -> str:
        return "ratio"

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.baseline.metric,) if self.baseline is not None else ()

    def side_value(self, s: Sample, side: Side) -> float:
        raise ValueError("a back_curvature metric has no per-side value")

    def new_state(self) -> CurvatureState:
        return CurvatureState(self.baseline, self.steady)

    def value(self, s: Sample, side: Side, state: CurvatureState) -> float:
        frame = s.frame
        if frame.mask is None:
            return NAN
        hip, shoulder = self.coords(frame, side)
        face = facing(frame, side, self.facing)
        if _arm_over_back(frame, hip, shoulder, face):
            state.reason = ARMS_HIDE_BACK
            return NAN
        state.reason = None
        sagitta = geometry.outline_sagitta(frame.mask, hip, shoulder, face)
        if state.flickers(frame.t, sagitta):
            state.reason = OUTLINE_FLICKERS
            return NAN
        rule, baseline = self.baseline, state.baseline
        if rule is None or baseline is None:
            return sagitta
        reference = s.done.get(rule.metric, NAN)
        if reference == reference and reference <= rule.max:
            baseline.offer(sagitta, frame.t)
        if rule.max_spread is not None and baseline.spread > rule.max_spread:
            state.reason = OUTLINE_UNSTEADY  # the outline only where it is clean
            return NAN
        return sagitta - baseline.value

    def why_nan(self, frame: PoseFrame, near: Side, state: CurvatureState) -> str:
        if state.reason is not None:
            return state.reason
        if frame.mask is None:
            return NO_MASK
        return NO_OUTLINE if state.ready else state.learning


def _arm_over_back(frame: PoseFrame, hip: np.ndarray, shoulder: np.ndarray, face: float) -> bool:
    """Whether a visible elbow sticks out over the back between hip and shoulder (see ARM_OVER_BACK)."""
    axis = shoulder - hip
    length = float(np.linalg.norm(axis))
    normal = geometry.back_normal(hip, shoulder, face)
    if not (length > 1 and np.all(np.isfinite(normal))):
        return False
    for elbow in (frame.xy[Landmark.LEFT_ELBOW], frame.xy[Landmark.RIGHT_ELBOW]):
        if not np.all(np.isfinite(elbow)):
            continue
        along = float((elbow - hip) @ axis) / length**2
        out = float((elbow - hip) @ normal) / length
        if 0.0 < along < 1.0 and out > ARM_OVER_BACK:
            return True
    return False
