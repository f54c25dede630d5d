"""Cue rules: when each form rule applies, whether it is broken, and reporting each fault once.

`CueBook.update(...)` runs every frame; `CueBook.rep_end(...)` judges whole-rep rules.
A rule whose metric is NaN or whose view is wrong is *not judged* (with a reason), never failed.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from formcoach.core import TOO_CLOSE_TO_CALL, ActiveCue, CueCleared, CueRaised, CueUndecided, Event, Fault, RepPhase, View
from formcoach.spec_types import Aggregate, CueSpec, CueTiming, During

VIEW_WORDS: dict[str, str] = {View.SIDE: "from the side", View.FRONT: "from the front", View.OBLIQUE: "at an angle"}


@dataclass(frozen=True, slots=True)
class CueContext:
    """What the evaluator knows about this frame, for deciding which rules apply."""

    t: float
    view: str | None
    phase: RepPhase | None  # None when the exercise has no reps or the counter is not armed yet
    rep_index: int | None  # index of the rep in progress
    hold_index: int | None  # index of the hold in progress (None = not holding)
    attempt: int | None = None  # serial number of the rep attempt in progress (partials included)
    reasons: Mapping[str, str] = field(default_factory=dict)  # metric -> why it is NaN


def applies(cue: CueSpec, ctx: CueContext) -> bool:
    """Whether a per-frame rule is in force now (rep_end rules are judged at rep end only)."""
    if cue.when is CueTiming.ALWAYS:
        return True
    if cue.when is CueTiming.DURING_REP:
        return ctx.rep_index is not None
    if cue.when is CueTiming.AT_START:
        return ctx.phase == RepPhase.START
    if cue.when is CueTiming.AT_TARGET:
        return ctx.phase == RepPhase.TARGET
    if cue.when is CueTiming.DURING_HOLD:
        return ctx.hold_index is not None
    return False


def deviation(cue: CueSpec, value: float) -> float:
    """How far outside the good range a value is (0 inside; used to keep the worst value)."""
    c = cue.condition
    if c.min is not None and value < c.min:
        return c.min - value
    if c.max is not None and value > c.max:
        return value - c.max
    return 0.0


#: A whole-rep rule is judged only when its metric was measured on at least this share of the frames it
#: looks at: the median of a few frames the outline or a joint survived on is not the rep's (a dimmed barbell
#: pull, shared realvids mv_good_02: 5 of 30 bottom frames kept, a rounded back called on them).
#: `of: lead` has its own rule: its values exist only on the way back.
MIN_MEASURED_SHARE = 0.5
#: `of: lead` is not judged when either metric moves less than this over the way back (metric
#: units, degrees for angles): a joint that hardly moves has no timing to compare.
LEAD_MIN_RANGE = 15.0
LEAD_MIN_FRAMES = 5
#: Each metric is median-filtered over the frames within this many seconds either side before its range is
#: taken: 5 frames at 30 fps. A time, not a frame count: 5 frames of a 7.5 fps camera span 0.67 s, most of
#: a barbell pull's way up, and smeared a good lifter's knees ahead of the hips (shared realvids mv_good_09
#: replayed at every 4th frame: lead 0.16 -> 0.30, a hips-first call; 0.16 with 3 frames, the fewest used).
LEAD_MEDIAN_HALF_S = 2 / 30


def _median_filtered(series: np.ndarray, frames: int) -> np.ndarray:
    """Each value replaced by the median of the `frames` around it (NaN-aware; a ramp stays a ramp):
    one glitched frame (a knee the bar hides) no longer sets a metric's range on the way back."""
    if series.size < frames:
        return series
    half = frames // 2
    padded = np.pad(series, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
        return np.nanmedian(windows, axis=1)


def median_window(times: np.ndarray | None) -> int:
    """Frames of the lead's median filter (odd, 3 or more): those within `LEAD_MEDIAN_HALF_S` either side at
    the frame rate `times` were taken at (30 fps when not given)."""
    steps = np.diff(times[np.isfinite(times)]) if times is not None else np.empty(0)
    step = float(np.median(steps)) if steps.size and np.median(steps) > 0 else 1 / 30
    return 2 * max(1, int(round(LEAD_MEDIAN_HALF_S / step))) + 1  # at least 3: one glitched frame is always dropped


def lead_series(values: np.ndarray, against: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
    """How far `values` runs ahead of `against` on the way back, per frame (NaN where not judged).

    The way back starts where `against` is furthest from where the rep ended (the bottom of a
    deadlift for the hip angle). On it, each metric is scaled to its own range there, 0 where it
    starts and 1 where it ends up, so the camera's foreshortening and the person's own range drop
    out; the lead is the difference (+0.3: the knees a third of their way further than the hips).
    All NaN when either metric hardly moves or too few frames see both. `times`: the frames' times, for
    the median filter's width (`median_window`).
    """
    out = np.full(values.size, np.nan)
    seen = np.flatnonzero(np.isfinite(against))
    if seen.size < LEAD_MIN_FRAMES:
        return out
    bottom = int(np.argmax(np.abs(against[seen] - against[seen[-1]])))
    back = slice(int(seen[bottom]), values.size)
    progress = []
    frames = median_window(times)
    for series in (_median_filtered(values[back], frames), _median_filtered(against[back], frames)):
        finite = series[np.isfinite(series)]
        if finite.size < LEAD_MIN_FRAMES or np.ptp(finite) < LEAD_MIN_RANGE:
            return out
        low, high = float(np.min(finite)), float(np.max(finite))
        rising = np.median(finite[-3:]) >= np.median(finite[:3])
        progress.append((series - low) / (high - low) if rising else (high - series) / (high - low))
    lead = progress[0] - progress[1]
    if np.count_nonzero(np.isfinite(lead)) < LEAD_MIN_FRAMES:
        return out
    out[back] = lead
    return out


def worst_index(cue: CueSpec, values: np.ndarray) -> int:
    """Index of the frame that shows a broken whole-rep rule best (values: (N,), finite).

    The frame furthest outside the good range; for `of: range` (too much movement) the frame
    furthest from the rep's median, where the movement peaked.
    """
    if cue.aggregate is Aggregate.RANGE:
        return int(np.argmax(np.abs(values - np.median(values))))
    return int(np.argmax([deviation(cue, float(v)) for v in values]))


def view_reason(cue: CueSpec, view: str | None) -> str | None:
    """Why the current camera view cannot judge this cue, or None if it can."""
    if view is None or view in cue.views:
        return None
    wanted = " or ".join(VIEW_WORDS[v] for v in cue.views)
    return f"needs the camera {wanted}; it sees you {VIEW_WORDS.get(view, view)}"


class _CueState:
    def __init__(self) -> None:
        self.violating_since: float | None = None
        self.worst: float = float("nan")
        self.raised_scope: tuple[str, int] | None = None
        self.episode = 0


class CueBook:
    """Tracks every cue of a spec; reports each fault once per rep, hold or episode."""

    def __init__(self, cues: Sequence[CueSpec]) -> None:
        self.cues = tuple(cues)
        self.reset()

    def reset(self) -> None:
        self._covered: dict[str, frozenset[str]] = {}
        for cue in self.cues:
            self._covered[cue.id] = self._covered.get(cue.id, frozenset()) | frozenset(cue.views)
        self._states = [_CueState() for _ in self.cues]
        self._reported: set[tuple[str, str, int]] = set()
        self._attempt_cues: dict[int, list[str]] = {}  # attempt -> cues raised in it, in order

    def update(self, metrics: Mapping[str, float], ctx: CueContext) -> tuple[tuple[Event, ...], tuple[ActiveCue, ...], dict[str, str]]:
        """Judge the per-frame rules.

        Returns:
            events (CueRaised / CueCleared), the cues currently violated, and {cue id: reason}
            for rules that apply now but cannot be judged.
        """
        events: list[Event] = []
        active: list[ActiveCue] = []
        not_judged: dict[str, str] = {}
        for cue, state in zip(self.cues, self._states):
            if cue.when is CueTiming.REP_END:  # judged when the rep ends; here only note what cannot be seen
                if ctx.rep_index is not None:
                    value = metrics.get(cue.condition.metric, float("nan"))
                    if ctx.view in self._covered[cue.id] and ctx.view not in cue.views:
                        continue  # a sibling variant judges this view
                    reason = view_reason(cue, ctx.view) or (
                        ctx.reasons.get(cue.condition.metric, "not visible") if value != value else None)
                    if reason:
                        not_judged[cue.id] = reason
                continue
            if not applies(cue, ctx):
                events += self._clear(cue, state, ctx.t)
                continue
            if ctx.view in self._covered[cue.id] and ctx.view not in cue.views:
                events += self._clear(cue, state, ctx.t)
                continue  # a sibling variant judges this view
            reason = view_reason(cue, ctx.view)
            value = metrics.get(cue.condition.metric, float("nan"))
            if reason is None and value != value:
                reason = ctx.reasons.get(cue.condition.metric, "not visible")
            if reason is not None:
                not_judged[cue.id] = reason
                events += self._clear(cue, state, ctx.t)
                continue
            if cue.condition.holds(value):
                events += self._clear(cue, state, ctx.t)
                continue
            if state.violating_since is None:
                state.violating_since, state.worst = ctx.t, value
            elif deviation(cue, value) > deviation(cue, state.worst):
                state.worst = value
            if ctx.t - state.violating_since + 1e-9 >= cue.persist_s:
                active.append(ActiveCue(cue.id, cue.say, cue.severity, value))
                scope = self._scope(state, ctx)
                if state.raised_scope != scope:
                    state.raised_scope = scope
                    fault = self._report(cue, state.violating_since, state.worst, ctx, scope)
                    if fault is not None:
                        events.append(CueRaised(ctx.t, fault))
        return tuple(events), tuple(active), not_judged

    def rep_end(
        self, rep_index: int, t: float, series: Mapping[str, Sequence[float]], at_target: Sequence[bool],
        view: str | None, attempt: int, fault_t: float | None = None, times: Sequence[float] | None = None,
    ) -> tuple[Event, ...]:
        """Judge `rep_end` rules on the values a metric took during one rep.

        Args:
            series: metric name -> values over the rep's frames.
            at_target: per frame of the rep, whether it was in the target zone.
            fault_t: the time a fault is reported at when `times` is not given (default `t`).
            times: per frame of the rep, its source time: the fault is then reported at the
                frame where the measured value was worst (`worst_index`), the moment it is about.
        Returns:
            a `CueRaised` per rule broken, a `CueUndecided` per rule too close to call (its seconds: the rep's,
            from its first frame in `times` to `t`).
        """
        events: list[Event] = []
        for cue in self.cues:
            if cue.when is not CueTiming.REP_END or view_reason(cue, view) is not None:
                continue
            values = np.asarray(series.get(cue.condition.metric, ()), dtype=float)
            frame_t = np.asarray(times if times is not None else [], dtype=float)
            if cue.against is not None:
                against = np.asarray(series.get(cue.against, ()), dtype=float)
                values = (lead_series(values, against, frame_t if frame_t.size == values.size else None)
                          if against.size == values.size else np.full(values.size, np.nan))
            scope = np.ones(values.size, dtype=bool)
            if cue.during is During.TARGET:
                mask = np.asarray(at_target, dtype=bool)
                scope = mask[: values.size] if mask.size >= values.size else np.zeros(values.size, dtype=bool)
            keep = np.isfinite(values) & scope
            if frame_t.size != values.size:
                frame_t = np.full(values.size, np.nan)
            values, frame_t = values[keep], frame_t[keep]
            if values.size == 0:
                continue
            if cue.against is None and values.size < MIN_MEASURED_SHARE * np.count_nonzero(scope):
                continue  # measured on too few of its frames to stand for the rep; their time is already not judged
            value = cue.reduce.of(values)
            if cue.undecided(value):
                start = float(times[0]) if times is not None and len(times) else t
                events.append(CueUndecided(t, cue.id, rep_index, value, max(t - start, 0.0), TOO_CLOSE_TO_CALL))
                continue
            if cue.condition.holds(value):
                continue
            worst_t = float(frame_t[worst_index(cue, values)])
            at = worst_t if math.isfinite(worst_t) else (t if fault_t is None else fault_t)
            ctx = CueContext(t=t, view=view, phase=None, rep_index=rep_index, hold_index=None, attempt=attempt)
            fault = self._report(cue, at, value, ctx, ("attempt", attempt), rep=rep_index)
            if fault is not None:
                events.append(CueRaised(t, fault))
        return tuple(events)

    def take_attempt_cues(self, attempt: int) -> tuple[str, ...]:
        """The cues raised in a rep attempt (each once, in order), forgotten here: the attempt is over."""
        return tuple(dict.fromkeys(self._attempt_cues.pop(attempt, ())))

    # -- internals --

    def _scope(self, state: _CueState, ctx: CueContext) -> tuple[str, int]:
        if ctx.attempt is not None:
            return ("attempt", ctx.attempt)
        if ctx.hold_index is not None:
            return ("hold", ctx.hold_index)
        return ("episode", state.episode)

    def _report(self, cue: CueSpec, t: float, value: float, ctx: CueContext, scope: tuple[str, int],
                rep: int | None = None) -> Fault | None:
        """The fault, the first time this cue breaks in this scope (None after that).

        A fault seen during a rep attempt has no rep number yet (`rep=None`, `attempt` set): the
        attempt may still turn out a partial; the rep it belongs to is known when it closes.
        """
        key = (cue.id, *scope)
        if key in self._reported:
            return None
        self._reported.add(key)
        fault = Fault(
            cue=cue.id, message=cue.say, t_s=t, value=value, severity=cue.severity, spoken=cue.short,
            rep=rep, hold=ctx.hold_index, attempt=ctx.attempt,
        )
        if ctx.attempt is not None:
            self._attempt_cues.setdefault(ctx.attempt, []).append(cue.id)
        return fault

    def _clear(self, cue: CueSpec, state: _CueState, t: float) -> list[Event]:
        was_raised = state.violating_since is not None and state.raised_scope is not None
        if state.violating_since is not None:
            state.episode += 1
        state.violating_since, state.worst, state.raised_scope = None, float("nan"), None
        return [CueCleared(t, cue.id)] if was_raised else []
