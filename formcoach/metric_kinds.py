"""The registry of metric kinds: one small class per kind, owning its YAML keys, the landmarks it
needs (resolved at load), its evaluation, its unit, why it is NaN and what the overlay marks for it.

`KINDS` maps each kind's YAML key to its class; `parse_metric` builds a `MetricSpec` (the kind plus the
options every metric has). `MetricBank` (metrics.py) runs them frame by frame. A new kind is one class
here and one line in `KINDS`. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from formcoach import geometry
from formcoach.back_curvature import BackCurvature
from formcoach.core import Choice, PoseFrame, Side
from formcoach.metric_base import MetricKind, PointKind, Sample, Segment
from formcoach.points import Extreme, FacingFrom, PointName, SidePick, SideRule, facing, torso_length
from formcoach.spec_reader import Reader, default_of, did_you_mean

NAN = float("nan")


class Space(Choice):
    """Where angles are measured: image pixels, or MediaPipe's metric 3-D world landmarks."""

    IMAGE = "image"
    WORLD = "world"


class Reference(Choice):
    """What an inclination is measured against (`from:`)."""

    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"


class Axis(Choice):
    """The direction of an offset."""

    X = "x"  # + = image right
    Y = "y"  # + = above
    FORWARD = "forward"  # + = the way the person faces


class Scale(Choice):
    """The unit of a distance or offset (`normalize:`)."""

    TORSO = "torso"  # torso lengths: the same whatever the distance to the camera
    NONE = "none"  # pixels


# ---- landmark kinds ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Angle(PointKind):
    """Inner angle at the middle point, 0–180° (180 = straight)."""

    key: ClassVar[str] = "angle"
    arity: ClassVar[int] = 3
    options: ClassVar[Mapping[str, str]] = {"space": "space"}
    space: Space = Space.IMAGE

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        return float(geometry.joint_angle(*self.coords(s.frame, side, world=self.space is Space.WORLD)))

    def segments(self, metrics: Mapping[str, MetricSpec], depth: int = 0) -> tuple[tuple[PointName, PointName], ...]:
        return tuple(zip(self.points, self.points[1:]))

    @property
    def anchor(self) -> PointName:
        return self.points[1]

    @property
    def three_d(self) -> bool:
        return self.space is Space.WORLD


@dataclass(frozen=True, slots=True)
class Inclination(PointKind):
    """Segment against the vertical, 0–180° (0 = second point straight above the first), or the
    horizon (`from: horizontal`, 0–90°); `space: world` uses the world's vertical."""

    key: ClassVar[str] = "inclination"
    arity: ClassVar[int] = 2
    options: ClassVar[Mapping[str, str]] = {"from": "reference", "space": "space"}
    reference: Reference = Reference.VERTICAL
    space: Space = Space.IMAGE

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        a, b = self.coords(s.frame, side, world=self.space is Space.WORLD)
        return float(geometry.inclination(a, b, self.reference))

    @property
    def three_d(self) -> bool:
        return self.space is Space.WORLD


@dataclass(frozen=True, slots=True)
class Elevation(PointKind):
    """Signed angle above the horizon, −90…90° (+ = second point higher), whichever way the person faces."""

    key: ClassVar[str] = "elevation"
    arity: ClassVar[int] = 2

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        a, b = self.coords(s.frame, side)
        return float(geometry.elevation(a, b))


@dataclass(frozen=True, slots=True)
class Distance(PointKind):
    """Distance between two points in torso lengths (`normalize: none`: pixels)."""

    key: ClassVar[str] = "distance"
    arity: ClassVar[int] = 2
    options: ClassVar[Mapping[str, str]] = {"normalize": "normalize"}
    normalize: Scale = Scale.TORSO

    @property
    def unit(self) -> str:
        return "torso" if self.normalize is Scale.TORSO else "px"

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        a, b = self.coords(s.frame, side)
        return float(geometry.distance(a, b)) / _scale(s.frame, self.normalize)


@dataclass(frozen=True, slots=True)
class Offset(PointKind):
    """Signed offset of the second point from the first in torso lengths, along `axis`."""

    key: ClassVar[str] = "offset"
    arity: ClassVar[int] = 2
    options: ClassVar[Mapping[str, str]] = {"axis": "axis", "normalize": "normalize", "facing": "facing"}
    axis: Axis = Axis.Y
    normalize: Scale = Scale.TORSO
    facing: FacingFrom = FacingFrom.FEET  # for `axis: forward`

    @property
    def unit(self) -> str:
        return "torso" if self.normalize is Scale.TORSO else "px"

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        a, b = self.coords(s.frame, side)
        d = b - a
        if self.axis is Axis.X:
            value = d[0]
        elif self.axis is Axis.Y:
            value = -d[1]  # + = b above a
        else:
            value = d[0] * facing(s.frame, side, self.facing)  # + = b ahead of a
        return float(value) / _scale(s.frame, self.normalize)


def _scale(frame: PoseFrame, normalize: Scale) -> float:
    return torso_length(frame) if normalize is Scale.TORSO else 1.0


# ---- kinds computed from another metric ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Derived(MetricKind):
    """A kind computed from another metric (`of`); the overlay marks that metric's segments."""

    of: str
    source_unit: str = "deg"  # the unit of `of`, set at load (`with_units`)
    sided: ClassVar[bool] = False  # its own rule, not the metric's side rule

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.of,)

    @property
    def unit(self) -> str:
        """The unit of the metric it is computed from (a range of an offset is in torso lengths)."""
        return self.source_unit

    def with_units(self, metrics: Mapping[str, MetricSpec]) -> MetricKind:
        return dataclasses.replace(self, source_unit=metrics[self.of].unit)

    def segments(self, metrics: Mapping[str, MetricSpec], depth: int = 0) -> tuple[tuple[PointName, PointName], ...]:
        source = metrics.get(self.of)
        return source.kind.segments(metrics, depth + 1) if source is not None and depth < 3 else ()

    def describe(self) -> str:
        return f"{self.key} of {self.of}"


@dataclass(frozen=True, slots=True)
class Asymmetry(Derived):
    """|left − right| of another metric."""

    key: ClassVar[str] = "asymmetry"
    has_side_value: ClassVar[bool] = True  # the same on either side

    @classmethod
    def parse(cls, r: Reader) -> Asymmetry:
        return cls(of=r.str(cls.key))

    def value(self, s: Sample, side: Side, state: Any = None) -> float:
        return self.side_value(s, side)

    def side_value(self, s: Sample, side: Side) -> float:
        return abs(s.side_value(self.of, Side.LEFT) - s.side_value(self.of, Side.RIGHT))


@dataclass(frozen=True, slots=True)
class Range(Derived):
    """Peak-to-peak of another metric over a sliding window (`window_s`) or since the current rep or
    hold began (`over`)."""

    key: ClassVar[str] = "range"
    window_s: float | None = None
    over: Segment | None = None

    @classmethod
    def parse(cls, r: Reader) -> Range:
        of = r.str(cls.key)
        window = r.seconds("window_s", None, positive=True)
        over = r.choice("over", Segment, None)
        if (window is None) == (over is None):
            r.fail("a range needs exactly one of window_s (seconds) or over (rep | hold)")
        return cls(of=of, window_s=window, over=over)

    def new_state(self) -> WindowRange:
        return WindowRange(self.window_s)

    def restart(self, state: WindowRange, segment: Segment) -> None:
        if self.over is segment:
            state.restart()

    def value(self, s: Sample, side: Side, state: WindowRange) -> float:
        return state(s.frame.t, s.done.get(self.of, NAN))


class WindowRange:
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


# ---- the registry -------------------------------------------------------------------------------

KINDS: dict[str, type[MetricKind]] = {k.key: k for k in (Angle, Inclination, Elevation, Distance, Offset, Asymmetry, Range,
                                                        BackCurvature)}


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One named measurement: its kind, and the options every metric has."""

    name: str
    kind: MetricKind
    side: SideRule | SidePick = SideRule.AUTO
    smooth_frames: int = 1  # running median over this many frames (noisy metrics such as masks)
    display_name: str = ""  # what people read ("Trunk lean"); empty: the name with spaces

    @property
    def label(self) -> str:
        """Human name for screens and reports."""
        return self.display_name or self.name.replace("_", " ").capitalize()

    @property
    def unit(self) -> str:
        return self.kind.unit

    @property
    def points(self) -> tuple[PointName, ...]:
        return self.kind.points

    @property
    def deps(self) -> tuple[str, ...]:
        """The metrics this one needs first: what its kind is computed from, and its side pick."""
        by = (self.side.by,) if isinstance(self.side, SidePick) and self.side.by != self.name else ()
        return self.kind.refs + by


def parse_metric(r: Reader, name: str) -> MetricSpec:
    """One entry of `metrics:` (exactly one kind key, its options, and `side`, `smooth_frames`, `display_name`)."""
    kinds = [k for k in KINDS if r.has(k)]
    if len(kinds) != 1:
        found = "none" if not kinds else ", ".join(kinds)
        r.fail(f"expected exactly one metric kind ({', '.join(KINDS)}), found {found}")
    kind = KINDS[kinds[0]].parse(r)
    metric = MetricSpec(
        name=name, kind=kind, side=_parse_side(r),
        smooth_frames=r.int("smooth_frames", default_of(MetricSpec, "smooth_frames"), minimum=1),
        display_name=r.str("display_name", default_of(MetricSpec, "display_name")),
    )
    r.done()
    return metric


def _parse_side(r: Reader) -> SideRule | SidePick:
    side = r.raw("side", default_of(MetricSpec, "side"))
    if isinstance(side, dict):
        sr = r.child("side", side)
        pick = SidePick(pick=sr.choice("pick", Extreme), by=sr.str("by"))
        sr.done()
        return pick
    if not isinstance(side, str) or side not in tuple(SideRule):
        r.fail(f"expected one of {', '.join(SideRule)} or {{pick: max|min, by: METRIC}}, found {side!r}", "side")
    return SideRule(side)


def check_references(r: Reader, metrics: Mapping[str, MetricSpec]) -> None:
    """Every metric a metric refers to exists, can give what is asked of it, and no metric depends on itself."""
    for m in metrics.values():
        by = m.side.by if isinstance(m.side, SidePick) else None
        for ref in m.kind.refs + ((by,) if by else ()):
            if ref not in metrics:
                r.fail(f"refers to unknown metric {ref!r}{did_you_mean(ref, tuple(metrics))} (defined: {', '.join(metrics)})",
                       m.name)
        if m.name in m.kind.refs:
            r.fail("a metric cannot be computed from itself", m.name)
        per_side = (m.kind.refs if isinstance(m.kind, Asymmetry) else ()) + ((by,) if by else ())
        for ref in per_side:
            if not metrics[ref].kind.has_side_value:
                r.fail(f"{ref!r} is a {metrics[ref].kind.key} metric, which has no value per side (use a metric of kind "
                       f"{', '.join(k.key for k in KINDS.values() if k.has_side_value)})", m.name)
    _check_acyclic(r, metrics)


def with_units(metrics: Mapping[str, MetricSpec]) -> dict[str, MetricSpec]:
    """The metrics with the units of those computed from others filled in (references checked first)."""
    out = dict(metrics)
    for name in dependency_order(out):
        out[name] = dataclasses.replace(out[name], kind=out[name].kind.with_units(out))
    return out


def _check_acyclic(r: Reader, metrics: Mapping[str, MetricSpec]) -> None:
    for start in metrics:
        seen: set[str] = set()
        stack = [start]
        while stack:
            name = stack.pop()
            for d in metrics[name].deps:
                if d == start:
                    r.fail(f"metrics refer to each other in a circle through {d!r}", start)
                if d not in seen:
                    seen.add(d)
                    stack.append(d)


def dependency_order(metrics: Mapping[str, MetricSpec]) -> list[str]:
    """Metric names so that every metric comes after the ones it is computed from (no cycles: checked at load)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dep in metrics[name].deps:
            visit(dep)
        order.append(name)

    for name in metrics:
        visit(name)
    return order
