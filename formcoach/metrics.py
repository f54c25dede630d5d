"""A spec's metrics evaluated on a (smoothed) PoseFrame, frame by frame: `MetricBank.update(frame, side)`.

Each metric's kind (metric_kinds.py) measures and keeps its own history; the bank evaluates them in
dependency order, applies each metric's side rule and running median, and says why a value is NaN.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Mapping

import numpy as np

from formcoach.core import PoseFrame, Side
from formcoach.metric_base import Sample, Segment
from formcoach.metric_kinds import MetricSpec, dependency_order
from formcoach.points import SidePick, SideRule, side_for, torso_length

NAN = float("nan")
#: A landmark closer to the picture's border than this many torso lengths is where MediaPipe puts a body
#: part the frame cuts off: a shoe half out of the picture gets its toe point squeezed inside the border,
#: and a "heel lift" appears that is not there (real footage: formfit_squat1, the near foot cut by the
#: bottom edge: the cue fired on every rep with a band of 0.03, on two at 0.07, on none from 0.1; 0.2
#: leaves a margin). In torso lengths, so the band scales with the body in the picture, not with
#: the resolution. Cues do not judge a metric measured on such a point; counting still uses it.
EDGE_BAND_TORSO = 0.2
#: How `side: mean | max | min` combine the two sides (a side that is not seen is left out).
_COMBINE: Mapping[SideRule | SidePick, Callable[[np.ndarray], Any]] = {SideRule.MEAN: np.nanmean, SideRule.MAX: np.nanmax, SideRule.MIN: np.nanmin}


class _RunningMedian:
    def __init__(self, frames: int) -> None:
        self.values: deque[float] = deque(maxlen=frames)

    def __call__(self, value: float) -> float:
        self.values.append(value)
        finite = [v for v in self.values if v == v]
        return float(np.median(finite)) if finite and value == value else NAN


class MetricBank:
    """Evaluates all metrics of a spec, frame by frame, in dependency order.

    Stateful only where a metric kind needs history (ranges, baselines) and for running medians.

    Args:
        metrics: the spec's metrics.
        far_side_stands_in: a `side: auto` metric whose near-side points are not seen this frame is
            measured on the far side (an exercise whose two sides move alike; stateless kinds only).
    """

    def __init__(self, metrics: Mapping[str, MetricSpec], far_side_stands_in: bool = False) -> None:
        self.metrics = metrics
        self.order = dependency_order(metrics)
        self.far_side_stands_in = far_side_stands_in
        self.reset()

    def reset(self) -> None:
        self._medians = {n: _RunningMedian(m.smooth_frames) for n, m in self.metrics.items() if m.smooth_frames > 1}
        self._states = {n: m.kind.new_state() for n, m in self.metrics.items()}
        self._on_far_side: set[str] = set()  # metrics the far side stood in for, this frame
        self._active = {Segment.REP: False, Segment.HOLD: False}

    def state(self, name: str) -> Any:
        """The history metric `name`'s kind keeps (None for stateless kinds)."""
        return self._states[name]

    def update(self, frame: PoseFrame | None, side: str, in_rep: bool = False, holding: bool = False) -> dict[str, float]:
        """All metric values for this frame. `frame=None` (no pose) gives NaN everywhere.

        Args:
            side: the tracked near side, "left" or "right", used by `side: auto` metrics.
            in_rep, holding: whether a rep / hold is in progress (ranges `over: rep|hold` restart
                when one begins).
        """
        self._restart_segments(in_rep, holding)
        near = Side(side)
        values: dict[str, float] = {}
        self._on_far_side.clear()
        sample = Sample(frame, values, self.metrics) if frame is not None else None
        for name in self.order:
            value = NAN if sample is None else self._measure(self.metrics[name], sample, near)
            if name in self._medians:
                value = self._medians[name](value)
            values[name] = value
        return values

    @property
    def on_far_side(self) -> frozenset[str]:
        """The metrics the far side stood in for on the last frame."""
        return frozenset(self._on_far_side)

    def at_edge(self, frame: PoseFrame, side: str, band: float = EDGE_BAND_TORSO) -> dict[str, str]:
        """{metric: why it is not judged} for the metrics measured on a landmark at the picture's border.

        The landmarks are those of the side the metric's rule picks (both sides for `mean`, `max`, `min`
        and picks), and of the metrics it is computed from.
        """
        margin = band * torso_length(frame)
        if margin != margin:
            return {}
        size = np.asarray(frame.image_size, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # NaN (unseen) compares False: not at the edge
            edge = np.any((frame.xy < margin) | (frame.xy > size - margin), axis=1)
        if not edge.any():
            return {}
        near = Side(side)
        out: dict[str, str] = {}
        for name in self.metrics:
            parts = [p for p, lm in self._landmarks(name, near) if edge[lm]]
            if parts:
                out[name] = f"{', '.join(dict.fromkeys(parts))} at the edge of the picture"
        return out

    def _landmarks(self, name: str, near: Side, depth: int = 0) -> list[tuple[str, int]]:
        """(body part, landmark) pairs metric `name` is measured on, on the side(s) its rule takes."""
        m = self.metrics[name]
        chosen = side_for(m.side, near) if m.kind.sided else near
        if chosen is not None and name in self._on_far_side:
            chosen = chosen.opposite
        sides = (chosen,) if chosen is not None else (Side.LEFT, Side.RIGHT)
        pairs = [(p.part, int(lm)) for p in m.kind.points for s in sides for lm in p.landmarks(s)]
        if depth < len(self.metrics):  # a spec's metrics form no cycle (checked at load); this only bounds it
            pairs += [pair for ref in m.kind.refs for pair in self._landmarks(ref, near, depth + 1)]
        return pairs

    def why_nan(self, name: str, frame: PoseFrame, side: str) -> str:
        """Why metric `name` is NaN on a frame with a pose, in words for the user."""
        return self.metrics[name].kind.why_nan(frame, Side(side), self._states[name])

    def _measure(self, m: MetricSpec, s: Sample, near: Side) -> float:
        kind, state = m.kind, self._states[m.name]
        if not kind.sided:
            return kind.value(s, near, state)
        chosen: Side | None
        if isinstance(m.side, SidePick):
            by = m.side.by
            chosen = m.side.choose(s.side_value(by, Side.LEFT), s.side_value(by, Side.RIGHT), near)
        else:
            chosen = side_for(m.side, near)
        if chosen is not None:
            value = kind.value(s, chosen, state)
            if value != value and self.far_side_stands_in and m.side is SideRule.AUTO and state is None:
                value = kind.value(s, chosen.opposite, state)
                if value == value:
                    self._on_far_side.add(m.name)
            return value
        both = np.array([kind.value(s, one, state) for one in (Side.LEFT, Side.RIGHT)])
        if not np.isfinite(both).any():
            return NAN
        return float(_COMBINE[m.side](both))

    def _restart_segments(self, in_rep: bool, holding: bool) -> None:
        for segment, active in ((Segment.REP, in_rep), (Segment.HOLD, holding)):
            if active and not self._active[segment]:
                for name, m in self.metrics.items():
                    m.kind.restart(self._states[name], segment)
            self._active[segment] = active
