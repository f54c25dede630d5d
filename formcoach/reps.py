"""Rep state machine: one metric, two thresholds with a dead band, full cycles counted, partials kept.

Pure Python on floats; imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcoach.core import Event, Fault, PartialRep, Rep, RepCompleted, RepPhase, Severity, Tempo


#: Rest-posture detection (`RepRule.adapt_start`): a swing turns after this share of the range;
#: one that stops improving for this long is a standstill (standing at lockout, between reps).
REST_TURN = 0.1
REST_STILL_S = 0.5


#: An excursion that starts before the person has been seen for this long (since first found, or
#: found again after a long gap) is getting into position, not a shallow attempt: it is never a
#: partial. The same half second as a standstill (`REST_STILL_S`): they have not yet stood at the
#: start. Real barbell squats begin with the walk-out from the rack; formfit_squat, filmed closer or
#: at 80 %, bent its hips 25 deg stepping back 0.1 s after it was first found, and was told to squat
#: deeper.
SETTLING_S = REST_STILL_S

#: An incomplete return (`incomplete_return_cue`) came back at least this share of the range from
#: the target before going there again: a return, not the chin sagging while held over the bar.
#: A real pull-up (divy_pull_up, camera tilted 6 deg) sagged a fifth of the range at the top and
#: was told to lower to a full hang; the renders' bent-arm returns come back the whole way.
INCOMPLETE_RETURN_SHARE = 0.5

#: A lift that rose out of the top of the picture (`start_above_picture`) and is found again no higher
#: than where it was lost went up and came back down out of sight, if it was gone at least this long:
#: time to finish the pull, stand and lower again. A lifter filmed close from 45 deg (mv_bad_01) was
#: lost 1.0 s with the head above the picture and a plate over the hips, and found on the way down.
UNSEEN_LOCKOUT_S = 0.5

#: An excursion that never reached the target ends (a partial, or jitter) on the second frame in a row back
#: in the start zone, and is dated to the first: a fault needs more than one frame of evidence. A squat
#: filmed tilted with the feet out of the picture (formfit_squat2) was lost near the bottom and read
#: standing on one frame between gaps (163 deg, then 144, then lost again): "squat deeper" on a full rep.
RETURN_MIN_FRAMES = 2

#: Tempo: the pause at the bottom is the time the metric stays within this share of the rep's own range
#: (highest to lowest value) of its deepest value; going down ends, and coming back starts, there. Time
#: in the target zone is not a pause: a kettlebell deadlift's hip spends 1.0-1.4 s under the 110 deg
#: target on its way down and up (shared realvids tby_0016), and was reported as a 1.2 s pause.
PAUSE_BAND = 0.1

#: Without `partial_after`, an excursion this share of the way from start to target is an attempt.
DEFAULT_PARTIAL_FRACTION = 0.3

#: A partial must be measured past `partial_after` on at least this many frames: an attempt is seen,
#: not read off one or two frames between stretches where the pose was lost. A lifter standing at
#: lockout in poor light (mv_good_04/07 at 60 % brightness) was lost for 0.3-0.4 s and read 20-40 deg
#: bent on the one or two frames found in between, and was told to lower the weight all the way.
#: A real shallow rep stays past the edge for a few tenths of a second (9+ frames at 30 fps).
PARTIAL_MIN_FRAMES = 3


@dataclass(frozen=True, slots=True)
class RepRule:
    """How one metric makes a rep. Works in either direction (knee 160 → 100, trunk 10 → 85).

    Attributes:
        metric: name of the spec metric driving the reps (the evaluator passes its value).
        start: edge of the start (rest) zone, metric units (e.g. knee 160°).
        target: edge of the target zone (e.g. knee 100°); direction = sign(target - start).
        min_duration_s: a full cycle shorter than this is noise, not a rep; seconds (a partial
            needs the share of it that its depth is of the range).
        partial_after: how far past `start` an excursion must go to count as an attempt;
            None = DEFAULT_PARTIAL_FRACTION of the way from start to target. Also the depth a
            turn-back must have to count as an incomplete return (as the same fraction of the range, measured from `target`).
        partial_cue: cue id recorded on a partial rep (left start, never reached target).
        partial_message: what to tell the user about that partial.
        partial_at_end: an attempt still short of the target when the stream ends is a partial
            (a wall sit held too high to the end of the clip). Off by default: many rest postures
            lie between start and target (arms hanging in arm circles).
        incomplete_return_cue: cue id for "reached target, came back part way, went to the target
            again without re-entering the start zone" (e.g. "no_full_hang"); None = not checked.
        incomplete_return_message: what to tell the user about that.
        max_gap_s: a metric gap (NaN) longer than this aborts the rep in progress; seconds.
        bridge_gap_s: a rep that had reached the target before a longer gap still counts when the
            person reappears in the start zone within this many seconds: the return happened
            unseen (a lockout with the head out of the picture). The rep records `unseen_s`.
        target_margin: fraction of |target - start| the metric must come back past `target` before
            the target zone counts as left (hysteresis against jitter at the target edge).
        start_above_picture: the start zone may lie above the picture (a lockout with the head out of
            a close camera's frame): a rep rising toward the start whose person is lost with the head
            at the top edge (`update(at_top=True)`) and found again at least `partial_fraction` of
            the range closer to the start has reached it unseen (`unseen_s` set).
        adapt_start: the person's own rest posture widens the start zone: when the most start-ward
            value they have stood still at (for `REST_STILL_S`) never reaches `start` (a lifter who does not stand as tall as the
            spec, a camera that reads a straight knee as 150), the start edge moves to that value
            plus this share of the remaining way to `target` (at most half-way). 0 = fixed edge.
            The target is never adapted: reaching it is what makes a rep full.
    """

    metric: str
    start: float
    target: float
    min_duration_s: float = 0.4
    partial_after: float | None = None
    partial_cue: str = "too_shallow"
    partial_message: str = "Go further"
    partial_at_end: bool = False
    incomplete_return_cue: str | None = None
    incomplete_return_message: str = ""
    max_gap_s: float = 1.0
    bridge_gap_s: float = 3.0
    target_margin: float = 0.05
    adapt_start: float = 0.25
    start_above_picture: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.target)) or self.start == self.target:
            raise ValueError(f"RepRule({self.metric!r}): start and target must be finite and differ, "
                             f"got start={self.start}, target={self.target}")
        if self.partial_after is not None and not 0.0 < self.partial_fraction < 1.0:
            raise ValueError(f"RepRule({self.metric!r}): partial_after must lie strictly between start "
                             f"{self.start} and target {self.target}, got {self.partial_after}")
        if self.min_duration_s < 0 or self.max_gap_s <= 0 or self.bridge_gap_s < 0:
            raise ValueError(f"RepRule({self.metric!r}): need min_duration_s >= 0, max_gap_s > 0, bridge_gap_s >= 0, "
                             f"got {self.min_duration_s}, {self.max_gap_s}")
        if not 0.0 <= self.target_margin < 1.0:
            raise ValueError(f"RepRule({self.metric!r}): target_margin must be in [0, 1), got {self.target_margin}")
        if not 0.0 <= self.adapt_start <= 0.5:
            raise ValueError(f"RepRule({self.metric!r}): adapt_start must be in [0, 0.5], got {self.adapt_start}")

    @property
    def partial_fraction(self) -> float:
        """`partial_after` as a fraction of the way from `start` (0) to `target` (1)."""
        if self.partial_after is None:
            return DEFAULT_PARTIAL_FRACTION
        return (self.partial_after - self.start) / (self.target - self.start)

    def progress(self, value: float) -> float:
        """Metric value → progress: ≤ 0 in the start zone, ≥ 1 in the target zone."""
        return (value - self.start) / (self.target - self.start)


class RepCounter:
    """Counts reps of one metric with a hysteresis state machine, timed by the caller's clock.

    Phases (in progress p = 0 at `start`, 1 at `target`):
    START (p ≤ 0) → ECCENTRIC (p > 0) → TARGET (p ≥ 1) → CONCENTRIC (p < 1 - target_margin)
    → START (p ≤ 0) = one rep, if it lasted at least `min_duration_s`.

    Decisions:
    - **Joining mid-set.** The first frame seen (and the first after a gap longer than `max_gap_s`,
      which drops any rep in progress: we cannot know what happened unseen) may be anywhere. In
      the start zone the counter simply waits; outside it a rep is taken as in progress since that
      frame, so a set that starts at the bottom (a deadlift from the floor: up, then down) or a
      first rep joined mid-descent counts once it reaches the target and comes back. Such a joined
      excursion that turns back before the target is neither a rep nor a partial (a person walking
      in is not attempting a rep).
    - **Unseen returns.** A rep past the target when the person is lost for longer than
      `max_gap_s` is kept aside; if they reappear in the start zone within `bridge_gap_s`, it
      counts with `unseen_s` set (they cannot have got there without coming up). Reappearing
      short of the start zone within that time, the rep goes on from there (the model lost the
      bottom of a squat and found the lifter again on the way up); it too records `unseen_s`.
    - **A start above the picture** (only with `start_above_picture`). A rep that has risen
      `partial_fraction` of the range from its deepest point toward the start, whose person is lost
      with the head at the picture's top edge and found again (after a gap of any length) at least
      `partial_fraction` closer to the start, stood up out of sight: it completes there, with
      `unseen_s`. Found again no higher after `UNSEEN_LOCKOUT_S` or more, it went up and came
      back down out of sight: it completes when found, and the way down from there is the next
      excursion. Found again sooner and lower, or in between, nothing is assumed. Never found
      again before the stream ends, it completes at the end (a clip stopped at lockout).
    - **The person's own start.** With `adapt_start`, the start edge follows the most start-ward
      value seen so far when the spec's `start` is never reached (see `RepRule.adapt_start`).
    - **Partials.** ECCENTRIC → START without reaching the target is a partial when the excursion
      went past `partial_after`, was measured there on `PARTIAL_MIN_FRAMES` frames, and lasted
      `min_duration_s` times the fraction of the range it reached (half the way, half the time);
      smaller, shorter or barely seen ones are jitter. One that starts
      within `SETTLING_S` of the person appearing is getting into position, never a partial.
    - **Incomplete return** (only when `incomplete_return_cue` is set). In CONCENTRIC the deepest
      point of the return (closest to start) is tracked as the candidate turn. Re-entering the
      target zone makes it an incomplete return when the turn came back at least
      `INCOMPLETE_RETURN_SHARE` (and `partial_fraction`) of the range from the target and the metric was out of the target zone
      for at least `min_duration_s / 2` (a one- or two-frame tracking glitch is not a real
      lower-and-pull-again). The previous cycle is recorded as a partial ending at the turn, and a
      new rep starts at the turn. A shallower or briefer dip just resumes the same rep.
    - **Times** are frame times with no debounce bias: `start_s` = last frame in the start zone,
      `bottom_s` = first frame in the target zone (deepest frame for a partial), `end_s` = first
      frame back in the start zone. Tempo: the pause is from the first to the last frame within
      `PAUSE_BAND` of the rep's range from its deepest value; `down_s` = its first frame - start,
      `up_s` = end - its last frame; they add up to the duration. A rep seen only in part (after a
      gap) times its pause in the target zone instead. `min`/`max` cover every frame from
      `start_s` to `end_s` inclusive.
    - NaN values hold the state. `t` must not decrease.
    """

    def __init__(self, rule: RepRule) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        """Forget everything: unarmed, no reps, no partials."""
        self._armed = False
        self._armed_t = 0.0  # when the person was first seen (again, after a long gap)
        self._phase = RepPhase.START
        self._reps: list[Rep] = []
        self._partials: list[Rep] = []
        self._last_valid_t: float | None = None
        self._last_start_t = 0.0  # last frame seen in the start zone
        self._last_start_v = math.nan
        self._pending: tuple[float, Rep] | None = None  # (lost at, rep past target) across a long gap
        self._rest_p = math.inf  # most start-ward turn or standstill seen (the person's own rest posture)
        self._swing_to_start = True  # zig-zag of the progress: heading start-ward (or target-ward)
        self._swing_p = math.inf  # extreme of the current swing, and since when it has not improved
        self._swing_since = 0.0
        self._last_p = math.nan  # progress and top-edge flag of the last measured frame
        self._last_at_top = False
        self._exit: tuple[float, float] | None = None  # (lost at, progress then): left over the top edge, rising
        self._clear_rep()

    def _clear_rep(self) -> None:
        self._rep_start_t = 0.0
        self._lo = math.inf  # metric extremes since the rep started
        self._hi = -math.inf
        self._deep_p = -math.inf  # deepest progress and when (for partials)
        self._deep_t = 0.0
        self._past_partial_frames = 0  # frames measured past `partial_after` (for partials)
        self._back_at_start: list[tuple[float, float]] = []  # (t, value) of frames in a row back at the start
        self._bottom_t = 0.0  # first frame in the target zone
        self._last_target_t = 0.0  # last frame in the target zone
        self._turn_p = math.inf  # candidate turn of an incomplete return
        self._turn_t = 0.0
        self._turn_lo = math.inf  # extremes up to the candidate turn
        self._turn_hi = -math.inf
        self._post_lo = math.inf  # extremes from the candidate turn on
        self._post_hi = -math.inf
        self._joined = False  # the rep was already under way when the counter first saw the person
        self._unseen_s = 0.0  # seconds of the rep in progress the person was lost (resumed after a gap)
        self._frames: list[tuple[float, float]] = []  # (t, value) of the rep's frames, for its tempo

    # ---- public state -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Full reps counted so far."""
        return len(self._reps)

    @property
    def phase(self) -> RepPhase:
        """Current phase; START also while unarmed."""
        return self._phase

    @property
    def armed(self) -> bool:
        """True once the metric has been seen in the start zone (since reset or the last long gap)."""
        return self._armed

    @property
    def in_rep(self) -> bool:
        """True between leaving the start zone and coming back to it."""
        return self._phase is not RepPhase.START

    @property
    def current_index(self) -> int | None:
        """Index the rep in progress would get if it completes; None in START."""
        return self.count + 1 if self.in_rep else None

    @property
    def start_edge(self) -> float:
        """Edge of the start zone in progress units: 0 = the spec's `start`, > 0 once adapted."""
        if not math.isfinite(self._rest_p) or self._rest_p <= 0:
            return 0.0
        rest = self._rest_p
        return min(0.5, max(0.0, rest + self.rule.adapt_start * (1.0 - rest)))

    @property
    def start_threshold(self) -> float:
        """The start edge in metric units (what the overlay can draw)."""
        rule = self.rule
        return rule.start + self.start_edge * (rule.target - rule.start)

    @property
    def reps(self) -> list[Rep]:
        """Counted reps, in order (a copy)."""
        return list(self._reps)

    @property
    def partials(self) -> list[Rep]:
        """Partial reps, in order (a copy); each has `partial_cue` set."""
        return list(self._partials)

    # ---- update -------------------------------------------------------------------------------

    def update(self, t: float, value: float, at_top: bool = False) -> tuple[Event, ...]:
        """Feed one frame.

        Args:
            t: source time, seconds (non-decreasing).
            value: the rule's metric at `t`, metric units; NaN = not measured this frame.
            at_top: the person's head is at the picture's top edge (read with `start_above_picture`).
        Returns:
            `RepCompleted` / `PartialRep` events that happened at this frame (usually none).
        """
        if math.isnan(value):
            self._note_exit()
            self._back_at_start = []  # frames in a row: a gap breaks the row
        if self._last_valid_t is not None and t - self._last_valid_t > self.rule.max_gap_s:
            self._abort()
        if math.isnan(value):
            return ()
        self._last_valid_t = t
        p = self.rule.progress(value)
        exit, self._exit = self._exit, None
        self._last_p, self._last_at_top = p, at_top
        bridged = self._bridge(t, value, p)
        if bridged:
            return bridged
        rising = self._phase in (RepPhase.TARGET, RepPhase.CONCENTRIC)  # also a rep resumed by the bridge
        if exit is not None and rising and (p <= exit[1] - self.rule.partial_fraction  # found well above
                                            or (p >= exit[1] and t - exit[0] >= UNSEEN_LOCKOUT_S)):  # back down
            return self._stood_up_unseen(t, value, exit[0])
        if self.rule.adapt_start > 0:
            self._follow_rest(t, p)
        at_start = p <= self.start_edge
        if not self._armed:
            self._arm(t, value, at_start)
        if self._phase is RepPhase.START:
            if at_start:
                self._last_start_t, self._last_start_v = t, value
                return ()
            self._clear_rep()
            self._rep_start_t = self._last_start_t
            self._lo = self._hi = self._last_start_v
            self._phase = RepPhase.ECCENTRIC
        self._track(t, value, p)
        return tuple(self._advance(t, value, p, at_start))

    def _note_exit(self) -> None:
        """An unmeasured frame: did the person just leave over the top edge, rising toward the start?"""
        if not (self.rule.start_above_picture and self._last_at_top):
            return
        self._last_at_top = False
        rising = self._phase in (RepPhase.TARGET, RepPhase.CONCENTRIC)
        if rising and self._last_valid_t is not None and self._deep_p - self._last_p >= self.rule.partial_fraction:
            self._exit = (self._last_valid_t, self._last_p)

    def _stood_up_unseen(self, t: float, value: float, lost_at: float) -> tuple[Event, ...]:
        """Left over the top edge rising, the start was reached unseen; found again at `value` (well
        above, or back on the way down: the next excursion starts there)."""
        self._unseen_s = max(self._unseen_s, t - lost_at)
        self._track(t, value, self.rule.progress(value))
        return tuple(self._complete(t, value))

    def _arm(self, t: float, value: float, at_start: bool) -> None:
        """First frame seen (since reset or a long gap): outside the start zone, a rep under way since now."""
        self._armed, self._armed_t = True, t
        if not at_start:
            self._clear_rep()  # joined mid-rep: a rep in progress since this frame
            self._rep_start_t, self._lo, self._hi, self._joined = t, value, value, True
            self._phase = RepPhase.ECCENTRIC

    def _advance(self, t: float, value: float, p: float, at_start: bool) -> list[Event]:
        """The phase transitions of one frame in a rep (progress `p`)."""
        events: list[Event] = []
        if self._phase is RepPhase.ECCENTRIC:
            if p >= 1:
                self._phase = RepPhase.TARGET
                self._bottom_t = self._last_target_t = t
            elif at_start:
                self._back_at_start.append((t, value))
                if len(self._back_at_start) >= RETURN_MIN_FRAMES:
                    events += self._end_excursion(*self._back_at_start[0])
            if not at_start:
                self._back_at_start = []
        elif self._phase is RepPhase.TARGET:
            if p >= 1:
                self._last_target_t = t
            elif p < 1 - self.rule.target_margin:
                self._phase = RepPhase.CONCENTRIC
                self._new_turn(t, value, p)
        if self._phase is RepPhase.CONCENTRIC:
            if at_start:
                events += self._complete(t, value)
            elif p >= 1:
                events += self._back_in_target(t, value)
            elif p < self._turn_p:
                self._new_turn(t, value, p)
        return events

    def finish(self, t: float) -> tuple[Event, ...]:
        """End of the stream. With `partial_at_end`, an attempt still short of the target (a shallow
        wall sit held to the end of the clip) is a partial if it went deep and long enough; a rep
        past the target is not counted (it did not come back), unless it left over the picture's top
        edge rising (`start_above_picture`)."""
        if self._exit is not None:
            # Left over the top edge rising, and the clip ended before they came back into the
            # picture: a lift from the floor filmed too close, stopped at lockout.
            lost_at, self._exit = self._exit[0], None
            if self._phase in (RepPhase.TARGET, RepPhase.CONCENTRIC):
                self._unseen_s = max(self._unseen_s, t - lost_at)
                return tuple(self._complete(t, self.rule.start))
            if self._pending is not None:  # a long gap: the rep was set aside
                (_, seen), self._pending = self._pending, None
                return self._count_unseen(seen, t, self.rule.start, lost_at)
        if not self.rule.partial_at_end or self._phase is not RepPhase.ECCENTRIC or self._joined:
            return ()
        if self._last_valid_t is None:
            return ()
        return tuple(self._end_excursion(self._last_valid_t, self._last_start_v))

    # ---- internals ----------------------------------------------------------------------------

    def _bridge(self, t: float, value: float, p: float) -> tuple[Event, ...]:
        """First frame after a long gap: complete a rep that was past the target, if now at start."""
        if self._pending is None:
            return ()
        lost_at, seen = self._pending
        self._pending = None
        if t - lost_at > self.rule.bridge_gap_s:
            return ()
        if p > self.start_edge:  # still on the way up: the rep goes on
            self._resume(t, value, p, lost_at, seen)
            return ()
        self._armed, self._phase = True, RepPhase.START
        self._last_start_t, self._last_start_v = t, value
        return self._count_unseen(seen, t, value, lost_at)

    def _count_unseen(self, seen: Rep, t: float, value: float, lost_at: float) -> tuple[Event, ...]:
        """Count a rep set aside across a long gap, back at the start (`value`) at `t`, unseen since `lost_at`."""
        rep = Rep(
            index=len(self._reps) + 1, start_s=seen.start_s, end_s=t, bottom_s=seen.bottom_s,
            min=min(seen.min, value), max=max(seen.max, value),
            tempo=Tempo(down_s=seen.bottom_s - seen.start_s, pause_s=0.0, up_s=t - seen.bottom_s),
            unseen_s=t - lost_at,
        )
        self._reps.append(rep)
        return (RepCompleted(t=t, rep=rep, count=len(self._reps)),)

    def _resume(self, t: float, value: float, p: float, lost_at: float, seen: Rep) -> None:
        """Reappeared short of the start zone within `bridge_gap_s` of losing a rep past the target:
        that rep is still under way (a squat whose bottom the model lost, seen again rising)."""
        self._armed = True
        self._clear_rep()
        self._rep_start_t, self._bottom_t, self._last_target_t = seen.start_s, seen.bottom_s, lost_at
        self._lo, self._hi = min(seen.min, value), max(seen.max, value)
        self._deep_p, self._deep_t = max(self.rule.progress(seen.min), self.rule.progress(seen.max)), seen.bottom_s
        self._unseen_s = t - lost_at
        if p >= 1:
            self._phase, self._last_target_t = RepPhase.TARGET, t
        else:
            self._phase = RepPhase.CONCENTRIC
            self._new_turn(t, value, p)

    def _follow_rest(self, t: float, p: float) -> None:
        """Update the person's rest posture: the most start-ward place in the start half of the range
        where they stood still.

        A zig-zag detector on the progress with `REST_TURN` of the range as hysteresis: a start-ward
        swing that stops improving for `REST_STILL_S` (standing at lockout, waiting between reps) is
        a rest. Turns without a pause are not: walking strides turn all the time.
        """
        if self._swing_to_start:
            if p < self._swing_p:
                self._swing_p, self._swing_since = p, t
            elif p > self._swing_p + REST_TURN:
                self._swing_to_start, self._swing_p = False, p
            elif t - self._swing_since >= REST_STILL_S and self._swing_p < 0.5:
                self._rest_p = min(self._rest_p, self._swing_p)
        elif p > self._swing_p:
            self._swing_p = p
        elif p < self._swing_p - REST_TURN:
            self._swing_to_start, self._swing_p, self._swing_since = True, p, t

    def _depth(self, p: float) -> float:
        """Progress `p` as the share of the way from the (possibly adapted) start edge to the target."""
        edge = self.start_edge
        return (p - edge) / (1.0 - edge)

    def _track(self, t: float, value: float, p: float) -> None:
        self._frames.append((t, value))
        self._lo, self._hi = min(self._lo, value), max(self._hi, value)
        if self._depth(p) >= self.rule.partial_fraction:
            self._past_partial_frames += 1
        self._post_lo, self._post_hi = min(self._post_lo, value), max(self._post_hi, value)
        if p > self._deep_p:
            self._deep_p, self._deep_t = p, t

    def _new_turn(self, t: float, value: float, p: float) -> None:
        self._turn_p, self._turn_t = p, t
        self._turn_lo, self._turn_hi = self._lo, self._hi
        self._post_lo = self._post_hi = value

    def _abort(self) -> None:
        if self._phase in (RepPhase.TARGET, RepPhase.CONCENTRIC) and self._last_valid_t is not None:
            rep = Rep(index=0, start_s=self._rep_start_t, end_s=self._last_valid_t, bottom_s=self._bottom_t,
                      min=self._lo, max=self._hi, tempo=Tempo(0.0, 0.0, 0.0))
            self._pending = (self._last_valid_t, rep)
        self._armed = False
        self._phase = RepPhase.START
        self._last_valid_t = None
        self._clear_rep()

    def _to_start(self, t: float, value: float) -> None:
        self._phase = RepPhase.START
        self._last_start_t, self._last_start_v = t, value

    def _end_excursion(self, t: float, value: float) -> list[Event]:
        """ECCENTRIC back to START without reaching the target: a partial or jitter."""
        rule = self.rule
        start, joined = self._rep_start_t, self._joined
        self._to_start(t, value)
        if joined or start - self._armed_t < SETTLING_S:
            return []
        # A shallower excursion is quicker at the same tempo: it must last the share of
        # `min_duration_s` that its depth is of the full range.
        depth = self._depth(self._deep_p)
        if (depth < rule.partial_fraction or t - start < rule.min_duration_s * min(depth, 1.0)
                or self._past_partial_frames < PARTIAL_MIN_FRAMES):
            return []
        rep = Rep(
            index=len(self._partials) + 1, start_s=start, end_s=t, bottom_s=self._deep_t,
            min=self._lo, max=self._hi,
            tempo=Tempo(down_s=self._deep_t - start, pause_s=0.0, up_s=t - self._deep_t),
            partial_cue=rule.partial_cue,
        )
        self._partials.append(rep)
        return [self._partial(t, rep, rule.partial_message)]

    def _partial(self, t: float, rep: Rep, message: str) -> PartialRep:
        """The event of a partial rep, with its fault: at its deepest point, valued at its extreme."""
        assert rep.partial_cue is not None  # set on every partial
        extreme = rep.max if self.rule.target > self.rule.start else rep.min
        fault = Fault(cue=rep.partial_cue, message=message, t_s=rep.bottom_s, value=extreme, severity=Severity.WARNING)
        return PartialRep(t=t, rep=rep, fault=fault)

    def _complete(self, t: float, value: float) -> list[Event]:
        """CONCENTRIC back to START: a full cycle."""
        start = self._rep_start_t
        self._to_start(t, value)
        if t - start < self.rule.min_duration_s:
            return []
        rep = Rep(
            index=len(self._reps) + 1, start_s=start, end_s=t, bottom_s=self._bottom_t,
            min=self._lo, max=self._hi, tempo=self._tempo(start, t), unseen_s=self._unseen_s,
        )
        self._reps.append(rep)
        return [RepCompleted(t=t, rep=rep, count=len(self._reps))]

    def _tempo(self, start: float, end: float) -> Tempo:
        """Down, pause and up of the rep from `start` to `end` (see `PAUSE_BAND`)."""
        if self._unseen_s > 0 or not self._frames:  # the bottom may not have been seen: the target zone
            return Tempo(down_s=self._bottom_t - start, pause_s=self._last_target_t - self._bottom_t,
                         up_s=end - self._last_target_t)
        deepest = self._hi if self.rule.target > self.rule.start else self._lo
        band = PAUSE_BAND * (self._hi - self._lo)
        near = [ti for ti, v in self._frames if abs(v - deepest) <= band]
        first, last = near[0], near[-1]
        return Tempo(down_s=first - start, pause_s=last - first, up_s=end - last)

    def _back_in_target(self, t: float, value: float) -> list[Event]:
        """CONCENTRIC back into the target zone: an incomplete return, or just a dip."""
        rule = self.rule
        self._phase = RepPhase.TARGET
        deep_enough = 1 - self._turn_p >= max(rule.partial_fraction, INCOMPLETE_RETURN_SHARE)
        long_enough = t - self._last_target_t >= rule.min_duration_s / 2
        if rule.incomplete_return_cue is None or not (deep_enough and long_enough):
            self._last_target_t = t
            return []
        start, turn = self._rep_start_t, self._turn_t
        rep = Rep(
            index=len(self._partials) + 1, start_s=start, end_s=turn, bottom_s=self._bottom_t,
            min=self._turn_lo, max=self._turn_hi,
            tempo=Tempo(down_s=self._bottom_t - start, pause_s=self._last_target_t - self._bottom_t,
                        up_s=turn - self._last_target_t),
            partial_cue=rule.incomplete_return_cue,
        )
        self._partials.append(rep)
        # A new rep starts at the turn and has just reached the target.
        lo, hi = self._post_lo, self._post_hi
        frames = [(ti, v) for ti, v in self._frames if ti >= turn]
        self._clear_rep()
        self._rep_start_t, self._lo, self._hi, self._frames = turn, lo, hi, frames
        self._post_lo, self._post_hi = lo, hi
        self._deep_p, self._deep_t = rule.progress(value), t
        self._bottom_t = self._last_target_t = t
        return [self._partial(t, rep, rule.incomplete_return_message)]
