"""What every metric kind answers (`MetricKind`), the shared base of the landmark kinds, and the frame
as a metric sees it (`Sample`). The kinds themselves: metric_kinds.py, back_curvature.py.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np

from formcoach.core import Choice, PoseFrame, Side
from formcoach.points import KNOWN_NAMES, NAME_HELP, PointName
from formcoach.spec_reader import Reader, default_of, describe, did_you_mean

if TYPE_CHECKING:
    from formcoach.metric_kinds import MetricSpec

NOT_MEASURABLE = "not measurable yet"


class Segment(Choice):
    """A stretch of the session a metric may restart with (`range: ..., over: rep`)."""

    REP = "rep"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class Sample:
    """One frame as a metric sees it: the pose, the metrics already evaluated this frame, and the spec's
    metrics (a kind computed from another asks for that one's value on a given side)."""

    frame: PoseFrame
    done: Mapping[str, float]
    metrics: Mapping[str, MetricSpec]

    def side_value(self, name: str, side: Side) -> float:
        """Metric `name` on one given side, ignoring its own side rule."""
        return self.metrics[name].kind.side_value(self, side)


class MetricKind:
    """One kind of measurement. Subclasses are small frozen dataclasses holding the parsed options.

    Class attributes: `key` (the YAML key), `sided` (measured on the side(s) the metric's `side` rule
    picks, one call of `value` per side; False: the kind has its own rule and `value` gets the near
    side), `has_side_value` (can give its value on a named side, for `asymmetry` and `side: {pick}`),
    `needs_mask` (needs MediaPipe's segmentation mask).
    """

    __slots__ = ()
    key: ClassVar[str]
    sided: ClassVar[bool] = True
    has_side_value: ClassVar[bool] = False
    needs_mask: ClassVar[bool] = False
    #: YAML key -> field, for the kind's options that are one of an Enum's values (the field's default)
    options: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def parse(cls, r: Reader) -> MetricKind:
        """The kind's options from the metric's mapping (Reader `r`; the kind key is `cls.key`). Raises SpecError."""
        raise NotImplementedError

    @property
    def unit(self) -> str:
        """"deg", "torso" (torso lengths), "px" or "ratio"."""
        return "deg"

    @property
    def points(self) -> tuple[PointName, ...]:
        """The landmark names it is measured on (none for kinds computed from another metric)."""
        return ()

    @property
    def refs(self) -> tuple[str, ...]:
        """The metrics it is computed from."""
        return ()

    @property
    def anchor(self) -> PointName | None:
        """Where the overlay writes the value (None: not drawn at a joint)."""
        return None

    @property
    def three_d(self) -> bool:
        """Measured on MediaPipe's 3-D world landmarks."""
        return False

    def with_units(self, metrics: Mapping[str, MetricSpec]) -> MetricKind:
        """The kind once every metric it is computed from is known (at load, in dependency order)."""
        return self

    def new_state(self) -> Any:
        """Per-session state for kinds with a history (None: stateless)."""
        return None

    def restart(self, state: Any, segment: Segment) -> None:
        """A rep or hold has begun."""

    def value(self, s: Sample, side: Side, state: Any) -> float:
        """The value on `side` this frame (NaN when it cannot be measured)."""
        raise NotImplementedError

    def side_value(self, s: Sample, side: Side) -> float:
        """The value on a named side, for another metric (only where `has_side_value`)."""
        raise ValueError(f"a {self.key} metric has no per-side value")

    def why_nan(self, frame: PoseFrame, near: Side, state: Any) -> str:
        """Why the value is NaN on a frame with a pose, in words for the user."""
        return NOT_MEASURABLE

    def segments(self, metrics: Mapping[str, MetricSpec], depth: int = 0) -> tuple[tuple[PointName, PointName], ...]:
        """The body segments (pairs of points) the overlay marks when a cue on this metric fires."""
        return ()

    def describe(self) -> str:
        """What it measures, in a few words for the exercise catalog ("angle hip–knee–ankle")."""
        return self.key


@dataclass(frozen=True, slots=True)
class PointKind(MetricKind):
    """A kind measured on landmark points (resolved at load)."""

    names: tuple[PointName, ...]
    arity: ClassVar[int]
    has_side_value: ClassVar[bool] = True

    @property
    def points(self) -> tuple[PointName, ...]:
        return self.names

    @classmethod
    def parse(cls, r: Reader) -> MetricKind:
        return cls(point_names(r, cls.key, cls.arity), **read_options(r, cls))

    def coords(self, frame: PoseFrame, side: Side, world: bool = False) -> list[np.ndarray]:
        """The points on `side`: (2,) pixels, or (3,) world metres."""
        coords = frame.world if world else frame.xy
        return [p.at(coords, side) for p in self.points]

    def side_value(self, s: Sample, side: Side) -> float:
        return self.value(s, side, None)

    def why_nan(self, frame: PoseFrame, near: Side, state: Any) -> str:
        missing = [lm.name.lower() for p in self.points for lm in p.landmarks(near) if not np.all(np.isfinite(frame.xy[lm]))]
        return f"{', '.join(dict.fromkeys(missing))} not visible" if missing else NOT_MEASURABLE

    def segments(self, metrics: Mapping[str, MetricSpec], depth: int = 0) -> tuple[tuple[PointName, PointName], ...]:
        return ((self.points[0], self.points[1]),)

    @property
    def anchor(self) -> PointName | None:
        return self.points[0]

    def describe(self) -> str:
        return f"{self.key} {'–'.join(p.text for p in self.points)}{', 3D' if self.three_d else ''}"


def read_options(r: Reader, cls: type[MetricKind]) -> dict[str, Any]:
    """The kind's `options` (Enum values) from the YAML, each defaulting to its field's default."""
    out = {}
    for key, name in cls.options.items():
        default = default_of(cls, name)
        out[name] = r.choice(key, type(default), default)
    return out


def point_names(r: Reader, key: str, arity: int) -> tuple[PointName, ...]:
    """The list of `arity` landmark names under `key`, resolved. Raises SpecError naming the bad one."""
    names = r.raw(key)
    if not isinstance(names, list) or len(names) != arity or not all(isinstance(p, str) for p in names):
        r.fail(f"expected a list of {arity} landmark names, found {describe(names)}", key)
    out = []
    for text in names:
        name = PointName.parse(text)
        if name is None:
            r.fail(f"unknown landmark {text!r}{did_you_mean(text, KNOWN_NAMES)}; {NAME_HELP}", key)
        out.append(name)
    return tuple(out)
