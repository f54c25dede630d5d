"""Spec metrics evaluated on a (smoothed) PoseFrame: angles, inclinations, offsets, ranges, back curvature.

`MetricBank.update(frame, side) -> {name: value}`; NaN whenever a needed landmark is missing.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from formcoach import geometry
from formcoach.core import PoseFrame
from formcoach.skeleton import MIDPOINT_PREFIX, Landmark, SIDED_PARTS, sided
from formcoach.specs import OTHER_PREFIX, ExerciseSpec, MetricSpec, SidePick

NAN = float("nan")

#: An elbow this far outside the hip–shoulder line, on the back's side and between hip and shoulder
#: (in hip–shoulder lengths), forms the silhouette above the back: with hands on the hips the
#: elbows point at the ceiling at the bottom of a hinge and hide the back outline (measured on
#: renders: elbow ≈0.4, back surface ≈0.2). The back is then not judged, never guessed.
ARM_OVER_BACK = 0.3
ARMS_HIDE_BACK = "your arms hide your back outline: let them hang or cross them on your chest"
OUTLINE_UNSTEADY = ("the outline of your back wobbles while you stand still (loose clothing, hair or the "
                    "background): back rounding cannot be judged reliably")
#: Upright frames kept to measure how steady the back outline is (30 s at 30 fps: the whole set
#: up to now, so a brief still moment does not make a wobbly outline trustworthy again).
SPREAD_FRAMES = 900


def opposite(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass(frozen=True, slots=True)
class Resolved:
    """A landmark name resolved for one side: its pixel point and the landmarks it used."""

    point: np.ndarray  # (2,)
    landmarks: tuple[Landmark, ...]


def resolve_point(frame: PoseFrame, name: str, side: str, world: bool = False) -> Resolved:
    """Point for a spec landmark name (`knee`, `other_knee`, `left_hip`, `nose`, `mid_hip`).

    Pixels (2,), or MediaPipe world metres (3,) with `world=True`.
    """
    coords = frame.world if world else frame.xy
    if name.startswith(MIDPOINT_PREFIX):
        part = name[len(MIDPOINT_PREFIX):]
        pair = (sided(part, "left"), sided(part, "right"))
        pts = coords[list(pair)]
        finite = np.all(np.isfinite(pts), axis=1)
        point = pts[finite].mean(axis=0) if finite.any() else np.full(coords.shape[1], np.nan)
        return Resolved(point, pair)
    if name.startswith(OTHER_PREFIX):
        lm = sided(name[len(OTHER_PREFIX):], opposite(side))
    elif name in SIDED_PARTS:
        lm = sided(name, side)
    else:
        lm = Landmark[name.upper()]
    return Resolved(coords[lm], (lm,))


def torso_length(frame: PoseFrame) -> float:
    """Pixel distance mid-shoulder → mid-hip (either side may stand in for a hidden one)."""
    a = resolve_point(frame, "mid_shoulder", "left").point
    b = resolve_point(frame, "mid_hip", "left").point
    length = float(geometry.distance(a, b))
    return length if length > 1.0 else NAN


def facing(frame: PoseFrame, side: str, source: str = "feet") -> float:
    """+1 facing image-right, -1 image-left, NaN unknown (side views); `source` as in FACING_FROM."""
    p = lambda n: resolve_point(frame, n, side).point  # noqa: E731
    if source == "head":
        return geometry.facing_sign(p("shoulder"), p("hip"), p("nose"), p("ear"))
    return geometry.facing_sign(p("foot_index"), p("heel"), p("nose"), p("ear"))


def point_metric(m: MetricSpec, frame: PoseFrame, side: str) -> float:
    """Value of a landmark-based metric on one side of one frame (NaN-propagating)."""
    pts = [resolve_point(frame, n, side, world=m.space == "world").point for n in m.points]
    if m.kind == "angle":
        return float(geometry.joint_angle(*pts))
    if m.kind == "inclination":
        return float(geometry.inclination(pts[0], pts[1], m.reference))
    if m.kind == "elevation":
        return float(geometry.elevation(pts[0], pts[1]))
    scale = torso_length(frame) if m.normalize else 1.0
    if m.kind == "distance":
        return float(geometry.distance(pts[0], pts[1])) / scale
    if m.kind == "offset":
        d = pts[1] - pts[0]
        if m.axis == "x":
            value = d[0]
        elif m.axis == "y":
            value = -d[1]  # + = b above a
        else:
            value = d[0] * facing(frame, side, m.facing)  # + = b ahead of a
        return float(value) / scale
    raise ValueError(f"not a point metric: {m.kind}")


def missing_landmarks(m: MetricSpec, frame: PoseFrame, side: str) -> list[str]:
    """Names of the landmarks a point metric needs that are NaN in this frame."""
    out: list[str] = []
    for name in m.points:
        res = resolve_point(frame, name, side)
        out += [lm.name.lower() for lm in res.landmarks if not np.all(np.isfinite(frame.xy[lm]))]
    return out


class _RunningMedian:
    def __init__(self, frames: int) -> None:
        self.values: deque[float] = deque(maxlen=frames)

    def __call__(self, value: float) -> float:
        self.values.append(value)
        finite = [v for v in self.values if v == v]
        return float(np.median(finite)) if finite and value == value else NAN


class _WindowRange:
    """Peak-to-peak of a value over the last `window_s` seconds (or since `restart`)."""

    def __init__(self, window_s: float | None) -> None:
        self.window_s = window_s
        self.samples: deque[tuple[float, float]] = deque()

    def restart(self) -> None:
        self.samples.clear()

    def __call__(self, t: float, value: float) -> float:
        if value == value:
            self.samples.append((t, value))
        if self.window_s is not None:
            while self.samples and self.samples[0][0] < t - self.window_s:
                self.samples.popleft()
        if len(self.samples) < 2:
            return NAN
        values = [v for _, v in self.samples]
        return max(values) - min(values)


class _Baseline:
    """Median of a value over `frames` frames in which a condition held.

    By default rolling (`keep="latest"`): the reference is how the person stood just before this
    rep (arms placed, stance settled), not while they were still walking in. With `keep="first"`
    it freezes once full: the set-up position, for movements that never return to neutral
    between reps (cat-cow swings through it).
    """

    def __init__(self, frames: int, keep: str = "latest") -> None:
        self.frames = frames
        self.frozen = keep == "first"
        self.values: deque[float] = deque(maxlen=frames)
        self.recent: deque[float] = deque(maxlen=max(frames, SPREAD_FRAMES))

    @property
    def value(self) -> float:
        return float(np.median(self.values)) if len(self.values) >= self.frames else NAN

    @property
    def spread(self) -> float:
        """Interquartile range of the upright values seen lately: how steady the outline is."""
        if len(self.recent) < self.frames:
            return NAN
        q1, q3 = np.percentile(self.recent, [25, 75])
        return float(q3 - q1)

    def offer(self, value: float) -> None:
        if value != value:
            return
        self.recent.append(value)
        if not (self.frozen and len(self.values) >= self.frames):
            self.values.append(value)


class MetricBank:
    """Evaluates all metrics of a spec, frame by frame, in dependency order.

    Stateful only where a metric kind needs history (ranges, baselines, running medians).
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.order = _dependency_order(spec.metrics)
        self.reset()

    def reset(self) -> None:
        self._medians = {n: _RunningMedian(m.smooth_frames) for n, m in self.spec.metrics.items() if m.smooth_frames > 1}
        self._ranges = {n: _WindowRange(m.window_s) for n, m in self.spec.metrics.items() if m.kind == "range"}
        self._baselines = {n: _Baseline(m.baseline_frames, m.baseline_keep) for n, m in self.spec.metrics.items() if m.baseline_metric}
        self._segment_active = {"rep": False, "hold": False}
        self.reasons: dict[str, str] = {}  # metric -> why it is NaN, where the metric knows better than "not visible"

    def baseline_ready(self, name: str) -> bool:
        """Whether a back_curvature metric can be judged yet (true at once without a baseline)."""
        baseline = self._baselines.get(name)
        return baseline is None or baseline.value == baseline.value

    def update(self, frame: PoseFrame | None, side: str, in_rep: bool = False, holding: bool = False) -> dict[str, float]:
        """All metric values for this frame. `frame=None` (no pose) gives NaN everywhere.

        Args:
            side: the tracked near side, "left" or "right", used by `side: auto` metrics.
            in_rep, holding: whether a rep / hold is in progress (ranges `over: rep|hold` restart
                when one begins).
        """
        self._restart_segment_ranges(in_rep, holding)
        values: dict[str, float] = {}
        t = frame.t if frame is not None else NAN
        for name in self.order:
            m = self.spec.metrics[name]
            value = NAN if frame is None else self._value(m, frame, side, values)
            if m.kind == "range" and frame is not None:
                value = self._ranges[name](t, values.get(m.of or "", NAN))
            if name in self._medians:
                value = self._medians[name](value)
            values[name] = value
        return values

    def side_value(self, m: MetricSpec, frame: PoseFrame, side: str) -> float:
        """A metric on one given side (for `pick`/`asymmetry`), ignoring its own side policy."""
        if m.kind in ("range", "back_curvature"):
            raise ValueError(f"metric {m.name!r} ({m.kind}) has no per-side value")
        if m.kind == "asymmetry":
            of = self.spec.metrics[m.of or ""]
            return abs(self.side_value(of, frame, "left") - self.side_value(of, frame, "right"))
        return point_metric(m, frame, side)

    def _value(self, m: MetricSpec, frame: PoseFrame, side: str, done: Mapping[str, float]) -> float:
        if m.kind == "range":
            return NAN  # filled by the caller from the history of `of`
        if m.kind == "asymmetry":
            return self.side_value(m, frame, side)
        chosen = self._choose_side(m, frame, side)
        if chosen in ("mean", "max", "min"):
            both = np.array([self._one_side(m, frame, s, done) for s in ("left", "right")])
            if not np.isfinite(both).any():
                return NAN
            return float({"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[chosen](both))  # type: ignore[operator]  # numpy overloads
        return self._one_side(m, frame, chosen, done)

    def _choose_side(self, m: MetricSpec, frame: PoseFrame, side: str) -> str:
        if isinstance(m.side, SidePick):
            by = self.spec.metrics[m.side.by]
            left, right = (self.side_value(by, frame, s) for s in ("left", "right"))
            if not (left == left or right == right):
                return side
            if not left == left:
                return "right"
            if not right == right:
                return "left"
            pick_left = left >= right if m.side.pick == "max" else left <= right
            return "left" if pick_left else "right"
        return {"auto": side, "other": opposite(side)}.get(m.side, m.side)

    def _one_side(self, m: MetricSpec, frame: PoseFrame, side: str, done: Mapping[str, float]) -> float:
        if m.kind != "back_curvature":
            return point_metric(m, frame, side)
        if frame.mask is None:
            return NAN
        hip = resolve_point(frame, m.points[0], side).point
        shoulder = resolve_point(frame, m.points[1], side).point
        face = facing(frame, side, m.facing)
        if _arm_over_back(frame, hip, shoulder, face):
            self.reasons[m.name] = ARMS_HIDE_BACK
            return NAN
        self.reasons.pop(m.name, None)
        sagitta = geometry.outline_sagitta(frame.mask, hip, shoulder, face)
        baseline = self._baselines.get(m.name)
        if baseline is None:
            return sagitta
        reference = done.get(m.baseline_metric or "", NAN)
        if m.baseline_max is not None and reference == reference and reference <= m.baseline_max:
            baseline.offer(sagitta)
        if m.baseline_max_spread is not None and baseline.spread > m.baseline_max_spread:
            self.reasons[m.name] = OUTLINE_UNSTEADY  # the outline only where it is clean
            return NAN
        return sagitta - baseline.value

    def _restart_segment_ranges(self, in_rep: bool, holding: bool) -> None:
        for key, active in (("rep", in_rep), ("hold", holding)):
            if active and not self._segment_active[key]:
                for name, m in self.spec.metrics.items():
                    if m.kind == "range" and m.over == key:
                        self._ranges[name].restart()
            self._segment_active[key] = active


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


def _dependency_order(metrics: Mapping[str, MetricSpec]) -> list[str]:
    """Metric names so that every metric comes after the ones it is computed from."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        m = metrics[name]
        for dep in (m.of, m.baseline_metric, m.side.by if isinstance(m.side, SidePick) else None):
            if dep and dep != name:
                visit(dep)
        order.append(name)

    for name in metrics:
        visit(name)
    return order
