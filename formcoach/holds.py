"""Posture-gated hold timer: brief dropouts bridged, start and end back-dated to real frames.

Pure Python; imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Sequence

from formcoach.core import Event, Hold, HoldEnded, HoldStarted

#: `broke_because` when the caller gives no reason for leaving the posture.
LEFT_POSTURE = "left posture"
#: `broke_because` when the posture could not be judged (no pose, landmark hidden, no frames).
NOT_JUDGED = "not judged"
#: `broke_because` when the session ended before the target time.
SESSION_ENDED = "session ended"
SESSION_INTERRUPTED = "session interrupted"  # a hold still running when the session was stopped
#: What the screen and the voice tell someone in the posture but still moving (`HoldTimer.settling`),
#: once they have been in it this long past `min_s` without the timer starting (arriving in the
#: posture and stopping there starts it before then: no prompt for an ordinary start).
HOLD_STILL = "Hold still to start the timer"
SETTLE_PROMPT_S = 1.0


@dataclass(frozen=True, slots=True)
class HoldRule:
    """How long and how strictly a posture must be held.

    Attributes:
        target_s: time to hold, seconds (e.g. 5 for a wall squat bottom, 15 for a superman).
        grace_s: dropouts shorter than this do not end a hold (missed detection, wobble); seconds.
        min_s: shorter in-posture stretches are not holds at all (passing through); seconds.
        short_cue: cue id the evaluator raises for a hold that ended before `target_s`.
        short_message: what to tell the user about that.
        still_within: a hold starts only once the posture's values (the caller's, e.g. its angles in
            degrees) have stayed within this range for `min_s`: moving through the posture, as in a
            dynamic variant of the exercise, is not holding it. None: no stillness asked.
    """

    target_s: float
    grace_s: float = 0.5
    min_s: float = 1.0
    short_cue: str = "hold_short"
    short_message: str = "Hold it longer"
    still_within: float | None = None

    def __post_init__(self) -> None:
        if self.target_s <= 0 or self.grace_s < 0 or self.min_s < 0:
            raise ValueError(f"HoldRule: need target_s > 0, grace_s >= 0, min_s >= 0, got "
                             f"{self.target_s}, {self.grace_s}, {self.min_s}")
        if self.still_within is not None and not self.still_within > 0:
            raise ValueError(f"HoldRule: need still_within > 0 (or None), got {self.still_within}")


class HoldTimer:
    """Times holds of a posture predicate, on the caller's clock.

    Decisions:
    - A *run* starts at the first frame in posture. Once the run has lasted `min_s` (at a frame in
      posture), `HoldStarted` is emitted with `start_s` back-dated to that first frame.
    - A *dropout* (frames not in posture, or `None` = not judged, or no frames at all) is measured
      from the last frame in posture: while `t - last_in < grace_s` the run goes on; as soon as a
      frame (in posture or not) sees `t - last_in >= grace_s` the run ends with `end_s` = the last
      frame in posture. A run shorter than `min_s` leaves no trace.
    - A bridged dropout counts towards the hold: a hold is one interval, `duration_s = end_s -
      start_s`, so a 0.4 s missed detection in a 10 s hold gives one 10 s hold. The live
      `elapsed_s` freezes during a dropout (time runs only while in posture) and catches up when
      the posture is back.
    - `broke_because` (only on holds shorter than `target_s`) is the first `failing` reason given
      during the dropout that ended the hold, else `LEFT_POSTURE` / `NOT_JUDGED`; `finish()` on a
      hold still in posture gives `SESSION_ENDED`.
    - With `still_within`, the run's start moves forward while the posture values seen since it
      spread wider than that (the person still moving into, or through, the posture): the hold
      starts after `min_s` of a still posture and is back-dated to the first still frame.
    - `t` must not decrease.
    """

    def __init__(self, rule: HoldRule) -> None:
        self.rule = rule
        self.reset()

    def reset(self) -> None:
        """Forget everything: no run, no holds."""
        self._holds: list[Hold] = []
        self._clear_run()

    def _clear_run(self) -> None:
        self._run_start: float | None = None  # first frame in posture of the current run (still, with `still_within`)
        self._entered: float | None = None  # first frame in posture of the current run, still or not
        self._last_in = 0.0  # last frame in posture of the current run
        self._started = False  # HoldStarted emitted for this run
        self._reason: str | None = None  # why the current dropout happened (None: not in one)
        self._unsettled: deque[tuple[float, Sequence[float]]] = deque()  # in-posture frames before the start

    @property
    def holding(self) -> bool:
        """True from `HoldStarted` until `HoldEnded` (bridged dropouts included)."""
        return self._started

    @property
    def settling(self) -> bool:
        """In the posture for `min_s` + `SETTLE_PROMPT_S` and the timer not started: the person keeps
        moving (`still_within`), and the timer waits for them to stop."""
        if self.rule.still_within is None or self._started or self._entered is None:
            return False
        return self._last_in - self._entered >= self.rule.min_s + SETTLE_PROMPT_S

    @property
    def elapsed_s(self) -> float | None:
        """Current hold's time up to its last frame in posture, seconds; None when not holding."""
        if not self._started or self._run_start is None:
            return None
        return self._last_in - self._run_start

    @property
    def holds(self) -> list[Hold]:
        """Finished holds, in order (a copy)."""
        return list(self._holds)

    def update(self, t: float, in_posture: bool | None, failing: str | None = None,
               values: Sequence[float] = ()) -> tuple[Event, ...]:
        """Feed one frame.

        Args:
            t: source time, seconds (non-decreasing).
            in_posture: the posture predicate; None = cannot be judged this frame (a dropout).
            failing: which condition failed when not in posture (e.g. "legs lowered"), if known.
            values: the posture's measures this frame (used with `still_within`).
        Returns:
            `HoldStarted` / `HoldEnded` events that happened at this frame.
        """
        events: list[Event] = []
        if self._run_start is not None:
            if in_posture is not True:
                if self._reason is None:
                    self._reason = failing or (NOT_JUDGED if in_posture is None else LEFT_POSTURE)
                elif failing and self._reason in (NOT_JUDGED, LEFT_POSTURE):
                    self._reason = failing
            # On a frame in posture a gap can only mean frames that never came (with grace_s = 0
            # that is not a dropout: consecutive frames are always some time apart).
            if t - self._last_in >= self.rule.grace_s and (in_posture is not True or self.rule.grace_s > 0):
                events += self._close(t, self._reason or NOT_JUDGED)
        if in_posture is True:
            if self._run_start is None:
                self._run_start = self._entered = t
            self._last_in = t
            self._reason = None
            if not self._started and self.rule.still_within is not None:
                self._run_start = self._settled_since(t, values, self.rule.still_within)
            if not self._started and t - self._run_start >= self.rule.min_s:
                self._started = True
                self._unsettled.clear()  # stillness is asked before the start only
                events.append(HoldStarted(t=t, start_s=self._run_start, target_s=self.rule.target_s))
        return tuple(events)

    def _settled_since(self, t: float, values: Sequence[float], within: float) -> float:
        """The first frame from which every posture value, up to `t`, stays within `within`."""
        frames = self._unsettled
        frames.append((t, values))
        while len(frames) > 1 and any(max(v) - min(v) > within for v in zip(*(vals for _, vals in frames))):
            frames.popleft()
        return frames[0][0]

    def finish(self, t: float) -> tuple[Event, ...]:
        """End of video/session at `t`: close an open hold (end_s = its last frame in posture)."""
        if self._run_start is None:
            return ()
        return tuple(self._close(t, self._reason or SESSION_ENDED))

    def _close(self, t: float, reason: str) -> list[Event]:
        started, start, end = self._started, self._run_start, self._last_in
        self._clear_run()
        if not started or start is None:
            return []
        target = self.rule.target_s
        completed = end - start >= target - 1e-9  # same tolerance as Hold.completed
        hold = Hold(index=len(self._holds) + 1, start_s=start, end_s=end, target_s=target,
                    broke_because=None if completed else reason)
        self._holds.append(hold)
        return [HoldEnded(t=t, hold=hold)]
