"""Per-frame analysis of one exercise: metrics → rep counter, hold timer, cue rules → FrameResult.

Everything here is driven by the spec; no exercise is named in code.
Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

from formcoach.core import (
    CueUndecided, Event, Fault, FrameResult, HoldEnded, PartialRep, PoseFound, PoseFrame, PoseLost, RepCompleted, RepPhase, Severity, Side,
    View,
)
from formcoach.cues import CueBook, CueContext
from formcoach.holds import SESSION_ENDED, SESSION_INTERRUPTED, HoldTimer
from formcoach.metrics import MetricBank
from formcoach.points import SideRule, head_at_top, head_top
from formcoach.reps import RepCounter
from formcoach.specs import Condition, ExerciseSpec
from formcoach.view import SideTracker, ViewTracker

#: The head this close to the picture's top edge (torso lengths) when the lifter is lost means they left
#: over the top (`start_above_picture`). Wider than the cut-off band of cues (`metrics.EDGE_BAND_TORSO`): in a pull
#: the head rises several hundredths of a torso per frame, and the model may lose the pose before it
#: reaches the edge (mv_bad_07, a close 45-degree camera, Tasks backend: last seen with the ears 0.27
#: torso lengths below the edge, then lost to the end of the clip). The band grows by the head's rise since
#: the previous frame (`head_at_top`): at 7.5 fps (mv_bad_05 replayed every 4th frame) the last frame before
#: the loss read the head, smoothed, just outside it, and the single was not counted.
TOP_EXIT_BAND_TORSO = 0.35

NO_PERSON = "no person in view"


def posture_state(posture: tuple[Condition, ...], metrics: Mapping[str, float]) -> tuple[bool | None, str | None]:
    """(in posture?, what broke). False wins over unknown: one failed condition is enough."""
    unknown = False
    for c in posture:
        ok = c.holds(metrics.get(c.metric, math.nan))
        if ok is False:
            return False, c.label or c.metric
        unknown |= ok is None
    return (None, None) if unknown else (True, None)


class Evaluator:
    """Runs one exercise spec over a stream of (t, PoseFrame | None)."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.bank = MetricBank(spec.metrics, far_side_stands_in=spec.symmetric and spec.side is SideRule.AUTO)
        self.reps = RepCounter(spec.reps.rule) if spec.reps else None
        self.hold = HoldTimer(spec.hold.rule) if spec.hold else None
        self.cues = CueBook(spec.cues)
        self.views = ViewTracker()
        self.sides = SideTracker(spec.side)
        self.reset()

    def reset(self) -> None:
        for stage in (self.bank, self.reps, self.hold, self.cues, self.views, self.sides):
            if stage is not None:
                stage.reset()
        self._had_pose = False
        self._attempt = 0
        self._rep_series: dict[str, list[float]] = {}
        self._rep_at_target: list[bool] = []
        self._rep_times: list[float] = []
        # (t, value) of the last measured frame when a `start_requires` condition alone kept the rep
        # metric out of its start zone; None otherwise.
        self._held_out: tuple[float, float] | None = None
        self._head_row = math.nan  # `head_top` on the previous frame (NaN: nobody, or no head, there)

    @property
    def rep_count(self) -> int:
        return self.reps.count if self.reps else 0

    def update(self, t: float, frame: PoseFrame | None) -> FrameResult:
        """Analyse one frame at source time `t` (frame None = no person detected)."""
        events: list[Event] = []
        if (frame is not None) != self._had_pose:
            events.append(PoseFound(t) if frame is not None else PoseLost(t))
            self._had_pose = frame is not None

        view = self.views.update(frame)
        side = self.sides.update(frame)
        in_rep = bool(self.reps and self.reps.in_rep)
        holding = bool(self.hold and self.hold.holding)
        metrics = self.bank.update(frame, side, in_rep=in_rep, holding=holding)
        at_edge = self.bank.at_edge(frame, side) if frame is not None and self.spec.cues else {}
        judged = {name: math.nan if name in at_edge else value for name, value in metrics.items()} if at_edge else metrics
        rep_value = math.nan
        if self.reps is not None:
            rep_value = self._rep_value(metrics)
            raw = metrics[self.reps.rule.metric]
            if raw == raw:
                self._held_out = (t, raw) if raw != rep_value else None
            at_top = self.reps.rule.start_above_picture and self._head_at_top(frame)
            events += self._count(t, metrics, judged, rep_value, view, at_top)
        if self.hold is not None:
            events += self._time_hold(t, metrics)

        context = self._cue_context(t, view, frame, side, metrics, at_edge)
        cue_events, active, not_judged = self.cues.update(judged, context)
        events += cue_events
        return FrameResult(
            t=t,
            pose=frame,
            metrics=metrics,
            rep_count=self.rep_count,
            rep_value=rep_value,
            rep_phase=self.reps.phase if self.reps else None,
            hold_elapsed_s=self.hold.elapsed_s if self.hold else None,
            hold_target_s=self.spec.hold.rule.target_s if self.spec.hold else None,
            hold_settling=bool(self.hold and self.hold.settling),
            active_cues=active,
            not_judged=not_judged,
            view=view,
            side=side,
            events=tuple(events),
            on_far_side=self.bank.on_far_side,
        )

    def finish(self, t: float, interrupted: bool = False) -> tuple[Event, ...]:
        """End of the stream: close an open hold; an attempt short of the target becomes a partial
        (a rep in progress past the target is not counted, unless only a `start_requires`
        condition kept it from its start zone).

        `interrupted`: the session was stopped (Ctrl-C, a signal), so a hold still running was cut by
        the stop, not broken by the person: it ends "session interrupted", without a "hold longer" fault.
        """
        events: list[Event] = []
        if self.reps is not None and self._held_out is not None and self.reps.phase is RepPhase.CONCENTRIC:
            # The stream ended on the way back, the rep metric already in its start zone and only a
            # `start_requires` condition still unmet (a pull-up's arms straightening as the clip
            # ends): the rep is done; what the clip cut off is the confirmation, not the rep.
            last_t, raw = self._held_out
            for ev in self.reps.update(last_t, raw):
                events += self._on_rep_event(ev, last_t, self.views.view)
        if self.reps is not None:
            for ev in self.reps.finish(t):
                events += self._on_rep_event(ev, t, self.views.view)
        if self.hold is not None:
            for ev in self.hold.finish(t):
                if interrupted and isinstance(ev, HoldEnded) and not ev.hold.completed:
                    ev = HoldEnded(ev.t, dataclasses.replace(ev.hold, broke_because=SESSION_INTERRUPTED))
                events += self._on_hold_event(ev)
        return tuple(events)

    # -- internals --

    def _head_at_top(self, frame: PoseFrame | None) -> bool:
        """`head_at_top`, the band grown by the head's rise since the previous frame (`TOP_EXIT_BAND_TORSO`)."""
        row = head_top(frame) if frame is not None else math.nan
        rise = self._head_row - row if math.isfinite(self._head_row) and math.isfinite(row) else 0.0
        self._head_row = row
        return frame is not None and head_at_top(frame, TOP_EXIT_BAND_TORSO, rise)

    def _count(self, t: float, metrics: Mapping[str, float], judged: Mapping[str, float], rep_value: float,
               view: View | None, at_top: bool = False) -> list[Event]:
        """Feed the rep counter; keep the rep's per-frame values for the rules judged at its end
        (`judged`: the metrics with those cues may not judge this frame set to NaN)."""
        assert self.reps is not None  # called only when the spec counts reps
        if self.reps.in_rep:
            for name, value in judged.items():
                self._rep_series.setdefault(name, []).append(value)
            self._rep_at_target.append(self.reps.phase == RepPhase.TARGET)
            self._rep_times.append(t)
        was_in_rep = self.reps.in_rep
        events: list[Event] = []
        for ev in self.reps.update(t, rep_value, at_top):
            events += self._on_rep_event(ev, t, view)
        if self.reps.in_rep and (not was_in_rep or any(isinstance(ev, PartialRep) for ev in events)):
            self._attempt += 1  # a new attempt: from the start zone, or from the turn of an incomplete return
            self._rep_series, self._rep_at_target, self._rep_times = {}, [], []
        return events

    def _time_hold(self, t: float, metrics: Mapping[str, float]) -> list[Event]:
        assert self.hold is not None and self.spec.hold is not None  # a hold timer exists only for a spec with a hold
        in_posture, failing = posture_state(self.spec.hold.posture, metrics)
        events: list[Event] = []
        still = self.spec.hold.rule.still_within is not None  # only then does the timer read the values
        values = tuple(metrics.get(c.metric, math.nan) for c in self.spec.hold.posture) if still else ()
        for ev in self.hold.update(t, in_posture, failing, values):
            events += self._on_hold_event(ev)
        return events

    def _cue_context(self, t: float, view: View | None, frame: PoseFrame | None, side: Side,
                     metrics: Mapping[str, float], at_edge: Mapping[str, str]) -> CueContext:
        rep_in_progress = self.reps is not None and self.reps.in_rep
        return CueContext(
            t=t, view=view,
            phase=self.reps.phase if self.reps else None,
            rep_index=self.reps.current_index if rep_in_progress and self.reps is not None else None,
            hold_index=len(self.hold.holds) + 1 if self.hold is not None and self.hold.holding else None,
            attempt=self._attempt if rep_in_progress else None,
            reasons={**self._reasons(frame, side, metrics), **at_edge},
        )

    def _rep_value(self, metrics: Mapping[str, float]) -> float:
        """The rep metric, kept just outside the start zone while a `start_requires` condition fails.

        (A pull-up's start zone is a full hang: chin low *and* arms straight. Bent-arm returns
        then never re-enter it, so the next pull is an incomplete return, not a new rep.)
        """
        reps = self.spec.reps
        assert reps is not None  # called only when the spec counts reps
        value = metrics[reps.rule.metric]
        if value != value and reps.fallback is not None:  # e.g. ankles out of the picture: the hip angle
            backup = metrics.get(reps.fallback.metric, math.nan)
            value = reps.rule.start + reps.fallback.progress(backup) * (reps.rule.target - reps.rule.start)
        if reps.start_requires and value == value and reps.rule.progress(value) <= 0.0:
            if not all(c.holds(metrics.get(c.metric, math.nan)) for c in reps.start_requires):
                return reps.rule.start + 0.01 * (reps.rule.target - reps.rule.start)
        return value

    def _on_rep_event(self, ev: Event, t: float, view: str | None) -> list[Event]:
        """A closed rep gets the faults of its attempt (rep-end rules judged now); a partial's fault
        gets its spoken words. Either way the attempt is over."""
        if isinstance(ev, RepCompleted):
            judged = self.cues.rep_end(
                ev.rep.index, t, self._rep_series, self._rep_at_target, view, attempt=self._attempt, fault_t=ev.rep.bottom_s,
                times=self._rep_times,
            )
            undecided = tuple(e.cue for e in judged if isinstance(e, CueUndecided))
            rep = dataclasses.replace(ev.rep, faults=self.cues.take_attempt_cues(self._attempt), too_close=undecided)
            return [dataclasses.replace(ev, rep=rep, attempt=self._attempt), *judged]
        if isinstance(ev, PartialRep):
            self.cues.take_attempt_cues(self._attempt)  # they belong to no rep
            return [dataclasses.replace(ev, fault=dataclasses.replace(ev.fault, spoken=self.spec.spoken.get(ev.cue, "")))]
        return [ev]

    def _on_hold_event(self, ev: Event) -> list[Event]:
        """A hold that the person broke before the target is a "hold longer" fault; one still held
        when the video or session ended is not (the recording stopped, not the person)."""
        if isinstance(ev, HoldEnded) and not ev.hold.completed and ev.hold.broke_because not in (SESSION_ENDED, SESSION_INTERRUPTED):
            assert self.spec.hold is not None  # hold events come only from a spec with a hold
            rule = self.spec.hold.rule
            fault = Fault(
                cue=rule.short_cue, message=rule.short_message, t_s=ev.hold.end_s, value=ev.hold.duration_s,
                severity=Severity.WARNING, hold=ev.hold.index, spoken=self.spec.spoken.get(rule.short_cue, ""),
            )
            return [dataclasses.replace(ev, fault=fault)]
        return [ev]

    def _reasons(self, frame: PoseFrame | None, side: str, metrics: Mapping[str, float]) -> dict[str, str]:
        """Why each NaN metric is NaN, in words for the user."""
        reasons: dict[str, str] = {}
        for name, value in metrics.items():
            if value == value:
                continue
            reasons[name] = NO_PERSON if frame is None else self.bank.why_nan(name, frame, side)
        return reasons
