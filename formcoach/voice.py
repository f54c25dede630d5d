"""The voice coach: decides what to say and when (`CueScheduler`), and says it (`VoiceCoach`).

`CueScheduler` is pure logic on the source clock (`FrameResult.t`): no I/O, no threads, no wall
clock, so tests state exactly what is said and when. `VoiceCoach` is the consumer that hands the
scheduler's utterances to a non-blocking `Speaker` (formcoach.speech). No cv2, no mediapipe.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from formcoach.consumer import Consumer
from formcoach.core import (
    CueCleared, CueRaised, Event, FrameResult, HoldEnded, HoldStarted, PartialRep, PoseFound, PoseLost,
    UNCHECKED_MIN_S, RepCompleted, RepPhase, Severity,
)
from formcoach.errors import OutputError
from formcoach.holds import HOLD_STILL, NOT_JUDGED
from formcoach.speech import KEEP_PRIORITY, Beep, Speaker, beep_seconds


class UtteranceKind(str, Enum):
    REP = "rep"  # rep number, or a partial rep's message instead
    COUNTDOWN = "countdown"  # hold start and countdown points
    CUE = "cue"  # a form fault's message
    PRAISE = "praise"  # a fault corrected, a clean set
    SET_END = "set_end"
    INFO = "info"  # hold ended early, out of view, announcements


# Priorities, higher first. At or above MUST_SAY an utterance is never dropped for being late:
# it waits for the current one to finish (rep numbers, hold start and "done", set end).
MUST_SAY = KEEP_PRIORITY  # 90
P_REP = 100
P_SET_END = 95
P_HOLD_DONE = 90
P_ANNOUNCE = 90
P_COUNTDOWN = 80
P_HOLD_START = MUST_SAY  # "Hold": like a rep number, never dropped for being late
P_INFO = 70
P_POSE_LOST = 65
P_CUE = {Severity.ERROR: 60, Severity.WARNING: 50, Severity.INFO: 40}
P_PRAISE = 20

#: Kinds that count against the global cue rate cap (coaching talk). Rep numbers, countdowns and
#: info are exempt: they are short, tied to the movement or the clock, and capping them would make
#: the count wrong; "one utterance at a time" already bounds them.
CAPPED = frozenset({UtteranceKind.CUE, UtteranceKind.PRAISE})

PRAISE_WORDS = ("Better", "Good", "That's it")
CLEAN_SET = "Clean set, well done"
#: No fault raised, but a check could not be made for a while (hidden, or not judged from this view):
#: "clean" would claim more than was seen.
NOTHING_SEEN_SOME_UNCHECKED = "No faults seen, but some checks could not be made"

NO_REP = "No rep"
OUT_OF_VIEW = "I can't see you: step back into view"
HOLD = "Hold"
DONE = "Done"

_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen twenty").split()


def unchecked_words(cues: Sequence[str]) -> str:
    """The set-end words when no fault was raised but these cue ids were not judged (one or two named)."""
    if not cues:
        return CLEAN_SET
    if len(cues) > 2:
        return NOTHING_SEEN_SOME_UNCHECKED
    return "No faults seen, but I could not check " + " or ".join(c.replace("_", " ") for c in cues)


def number_words(n: int) -> str:
    """0..20 as words ("three"), larger numbers as digits (engines read "21" fine)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


@dataclass(frozen=True, slots=True)
class Utterance:
    """Something to say at source time `t` (seconds).

    Attributes:
        beep: the sound standing in for it in beep-only mode (None: silent there).
        cue: the cue id it is about (cooldown and praise bookkeeping), if any.
    """

    t: float
    text: str
    kind: UtteranceKind
    priority: int
    beep: Beep | None = None
    cue: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """Timing rules of the voice, all in seconds of source time.

    Attributes:
        cooldown_s: a cue id is not spoken again within this time after it was spoken.
        cue_gap_s: at most one cue or praise message per this interval (global cap).
        stale_s: an utterance below MUST_SAY still waiting after this long is dropped.
        words_per_s: speaking-time estimate (espeak-ng at 160 wpm measures 2.5-3 words/s).
        pause_s: per utterance on top of the words (engine start, leading/trailing silence).
        praise_after_s: a spoken fault must stay corrected this long to earn praise.
        praise_cooldown_s: at most one praise per cue id in this time.
        pose_lost_after_s: out of view this long before "step back into view" (ignores flicker).
        pose_lost_cooldown_s: at most one "step back into view" in this time.
        hold_still_cooldown_s: at most one "hold still" in this time.
        beeps_only: only utterances with a beep are made; speaking time = beep length.
    """

    cooldown_s: float = 8.0
    cue_gap_s: float = 2.5
    stale_s: float = 2.0
    words_per_s: float = 2.6
    pause_s: float = 0.3
    praise_after_s: float = 1.5
    praise_cooldown_s: float = 20.0
    pose_lost_after_s: float = 1.5
    pose_lost_cooldown_s: float = 15.0
    hold_still_cooldown_s: float = 10.0
    beeps_only: bool = False

    def speaking_s(self, text: str) -> float:
        """Estimated seconds to say `text`."""
        return len(text.split()) / self.words_per_s + self.pause_s


def countdown_marks(target_s: float) -> list[tuple[float, str]]:
    """(elapsed s, words) points of a hold countdown; the last one, at the target, is "Done".

    Few on purpose: "five seconds left" for holds of 10 s or more, "ten seconds left" from 20 s,
    "halfway" from 30 s. A 5 s hold gets only "Hold" ... "Done".
    """
    marks: list[tuple[float, str]] = []
    if target_s >= 30:
        marks.append((target_s / 2, "Halfway"))
    for left in (10, 5):
        if target_s >= 2 * left:
            marks.append((target_s - left, f"{number_words(left).capitalize()} seconds left"))
    marks.append((target_s, DONE))
    return marks


class CueScheduler:
    """Turns a stream of `FrameResult`s into what the coach says, one utterance at a time.

    Rules (times are source time):
    - Rep numbers ("three") on `RepCompleted`; a partial rep says its message instead ("No rep"
      if that message was said within the cooldown). Highest priority, never dropped.
    - Holds: "Hold" at `HoldStarted`, then `countdown_marks`, "Done" at the target (never
      dropped); "Hold ended early: <why>" on a short `HoldEnded`.
    - Cues: the fault message on `CueRaised`, ranked error > warning > info; not again within
      `cooldown_s` of being spoken; at most one cue/praise per `cue_gap_s`. A pending cue whose
      fault clears before it is said is dropped.
    - Praise ("Better") when a spoken fault is corrected and stays corrected `praise_after_s`
      (not when it merely stopped applying: phase change, hold end, out of view).
    - Out of view for `pose_lost_after_s`: "step back into view", once per loss.
    - One at a time: the next utterance waits until the estimated speaking time of the previous
      one is over; then the highest priority goes first (ties: oldest). Waiting utterances below
      MUST_SAY are dropped after `stale_s`; a newer countdown replaces an older waiting one.
    - `flush` at set end: "Set done: ten reps" (or the longest hold) and "Clean set, well done"
      when the set had reps or completed holds and no faults.
    """

    def __init__(self, config: SchedulerConfig | None = None) -> None:
        self.config = config or SchedulerConfig()
        self._busy_until = -math.inf  # survives reset(): words already playing keep playing
        self.reset()

    def reset(self) -> None:
        """Forget the set (a new set starts); what is being spoken right now still finishes."""
        self.dropped: list[Utterance] = []  # never said: stale, replaced or made moot
        self._pending: list[Utterance] = []
        self._last_capped = -math.inf
        self._last_said: dict[str, float] = {}  # cue id -> when its message was spoken
        self._last_praised: dict[str, float] = {}
        self._heard: set[str] = set()  # cues spoken and not praised since
        self._clearing: dict[str, float] = {}  # cue id -> when it cleared (praise candidate)
        self._marks: list[tuple[float, str]] = []  # countdown points left for the current hold
        self._pose_lost_at: float | None = None
        self._last_out_of_view = -math.inf
        self._was_settling = False
        self._last_hold_still = -math.inf
        self._prev_phase: RepPhase | None = None
        self._praise_turn = 0
        self._last_t = 0.0
        self._reps = 0
        self._holds_done = 0
        self._longest_hold = 0.0
        self._faults = 0
        self._unchecked_s: dict[str, float] = {}  # cue id -> seconds it applied but could not be judged
        self._frame_t: float | None = None  # the previous frame's time in this set

    # -- public --

    def update(self, result: FrameResult) -> list[Utterance]:
        """One analysed frame → what to start saying now (empty, or one utterance)."""
        t = result.t
        dt = max(t - self._frame_t, 0.0) if self._frame_t is not None else 0.0
        self._frame_t = t
        for cue in result.not_judged:
            self._unchecked_s[cue] = self._unchecked_s.get(cue, 0.0) + dt
        self._last_t = t
        self._ingest(result.events, t, result)
        self._timers(result)
        self._prev_phase = result.rep_phase
        return self._emit(t)

    def flush(self, events: Sequence[Event] = ()) -> list[Utterance]:
        """End of the set: closing events, then set end and clean-set praise, all returned now.

        Waiting rep numbers, "Done" and info are kept (in order, before the set end); waiting
        cues, praise, countdowns and a hold's "Hold" are moot and dropped. Times are spaced by speaking time.
        """
        t = max([self._last_t, *(ev.t for ev in events)])
        self._ingest(events, t, None)
        keep = [u for u in self._pending
                if (u.priority >= MUST_SAY and not (u.kind == UtteranceKind.COUNTDOWN and u.text == HOLD))
                or (u.kind == UtteranceKind.INFO and t - u.t <= self.config.stale_s)]
        self.dropped += [u for u in self._pending if u not in keep]
        keep.sort(key=lambda u: (u.priority < MUST_SAY, u.t))  # must-say first, then chronological
        self._pending = []
        if self._reps:
            summary = f"Set done: {number_words(self._reps)} {'rep' if self._reps == 1 else 'reps'}"
        elif self._holds_done or self._longest_hold >= 1.0:
            secs = round(self._longest_hold)  # as the summary rounds it: 14.97 s is "fifteen", shown 15.0 s
            summary = f"Set done: longest hold {number_words(secs)} {'second' if secs == 1 else 'seconds'}"
        else:
            summary = "Set done"
        keep.append(Utterance(t, summary, UtteranceKind.SET_END, P_SET_END, Beep.SET_END))
        if self._faults == 0 and (self._reps or self._holds_done):
            unchecked = [cue for cue, s in self._unchecked_s.items() if s >= UNCHECKED_MIN_S]
            keep.append(Utterance(t, unchecked_words(unchecked), UtteranceKind.PRAISE, P_SET_END))
        out: list[Utterance] = []
        for u in keep:
            if self.config.beeps_only and u.beep is None:
                continue
            when = max(t, self._busy_until)
            out.append(self._said(dataclasses.replace(u, t=when)))
        return out

    def say_now(self, t: float, text: str) -> Utterance:
        """An announcement from outside the analysis (workout: "Next: superman"); takes the floor."""
        return self._said(Utterance(max(t, self._busy_until), text, UtteranceKind.INFO, P_ANNOUNCE))

    def duration_s(self, u: Utterance) -> float:
        """Estimated time to say (or beep) `u`, seconds."""
        if self.config.beeps_only:
            return beep_seconds(u.beep) + 0.1 if u.beep is not None else 0.0
        return self.config.speaking_s(u.text)

    # -- internals --

    def _queue(self, u: Utterance) -> None:
        if self.config.beeps_only and u.beep is None:
            return
        if u.kind == UtteranceKind.COUNTDOWN:
            old = [p for p in self._pending if p.kind == UtteranceKind.COUNTDOWN and p.priority < MUST_SAY]
            self.dropped += old
            self._pending = [p for p in self._pending if p not in old]
        self._pending.append(u)

    def _in_cooldown(self, cue: str, t: float) -> bool:
        return t - self._last_said.get(cue, -math.inf) < self.config.cooldown_s

    def _ingest(self, events: Iterable[Event], t: float, result: FrameResult | None) -> None:
        events = tuple(events)
        hold_ended = any(isinstance(ev, HoldEnded) for ev in events)
        for ev in events:
            if isinstance(ev, RepCompleted):
                self._reps = ev.count
                self._queue(Utterance(t, number_words(ev.count), UtteranceKind.REP, P_REP, Beep.REP))
            elif isinstance(ev, PartialRep):
                self._faults += 1
                if self._in_cooldown(ev.cue, t):
                    self._queue(Utterance(t, NO_REP, UtteranceKind.REP, P_REP))
                else:
                    self._queue(Utterance(t, ev.fault.spoken or ev.message, UtteranceKind.REP, P_REP, cue=ev.cue))
            elif isinstance(ev, HoldStarted):
                self._marks = countdown_marks(ev.target_s)
                # Must-say: someone face down on the floor hears, not sees, that the timer started.
                self._queue(Utterance(t, HOLD, UtteranceKind.COUNTDOWN, P_HOLD_START, Beep.START))
            elif isinstance(ev, HoldEnded):
                self._marks = []
                hold = ev.hold
                self._longest_hold = max(self._longest_hold, hold.duration_s)
                if hold.completed:
                    self._holds_done += 1
                elif ev.fault is not None:  # broken short by the person, not by the end of the session
                    self._faults += 1
                    why = "I couldn't see you" if hold.broke_because == NOT_JUDGED else hold.broke_because
                    text = f"Hold ended early: {why}" if why else "Hold ended early"
                    self._queue(Utterance(t, text, UtteranceKind.INFO, P_INFO))
            elif isinstance(ev, CueRaised):
                f = ev.fault
                self._faults += 1
                self._clearing.pop(f.cue, None)
                if self._in_cooldown(f.cue, t) or any(p.cue == f.cue for p in self._pending):
                    continue
                self._queue(Utterance(t, f.spoken or f.message, UtteranceKind.CUE, P_CUE[Severity(f.severity)], cue=f.cue))
            elif isinstance(ev, CueCleared):
                moot = [p for p in self._pending if p.cue == ev.cue and p.kind == UtteranceKind.CUE]
                self.dropped += moot
                self._pending = [p for p in self._pending if p not in moot]
                corrected = (
                    result is not None and result.pose is not None and not hold_ended
                    and result.rep_phase == self._prev_phase and ev.cue not in result.not_judged
                )
                if corrected and ev.cue in self._heard:
                    self._clearing[ev.cue] = t
            elif isinstance(ev, PoseLost):
                self._pose_lost_at = t
            elif isinstance(ev, PoseFound):
                self._pose_lost_at = None

    def _timers(self, result: FrameResult) -> None:
        t, cfg = result.t, self.config
        elapsed = result.hold_elapsed_s
        if elapsed is not None and self._marks:
            crossed = [m for m in self._marks if elapsed >= m[0] - 1e-9]
            if crossed:
                self._marks = self._marks[len(crossed):]
                text = crossed[-1][1]  # after a frozen dropout only the latest point still matters
                final = not self._marks  # the target itself ("Done") is always the last mark
                self._queue(Utterance(t, text, UtteranceKind.COUNTDOWN, P_HOLD_DONE if final else P_COUNTDOWN,
                                      Beep.DONE if final else None))
        active = {c.cue for c in result.active_cues}
        for cue, since in list(self._clearing.items()):
            if cue in active or cue in result.not_judged or result.pose is None:
                del self._clearing[cue]
            elif t - since >= cfg.praise_after_s:
                del self._clearing[cue]
                if t - self._last_praised.get(cue, -math.inf) >= cfg.praise_cooldown_s:
                    text = PRAISE_WORDS[self._praise_turn % len(PRAISE_WORDS)]
                    self._queue(Utterance(t, text, UtteranceKind.PRAISE, P_PRAISE, cue=cue))
        if result.hold_settling and not self._was_settling and t - self._last_hold_still >= cfg.hold_still_cooldown_s:
            self._last_hold_still = t  # once as the waiting starts, then not again for a while
            self._queue(Utterance(t, HOLD_STILL, UtteranceKind.INFO, P_INFO))
        self._was_settling = result.hold_settling
        if (self._pose_lost_at is not None and result.pose is None and t - self._pose_lost_at >= cfg.pose_lost_after_s
                and t - self._last_out_of_view >= cfg.pose_lost_cooldown_s):
            self._pose_lost_at = None  # once per loss
            self._last_out_of_view = t
            self._queue(Utterance(t, OUT_OF_VIEW, UtteranceKind.INFO, P_POSE_LOST))

    def _emit(self, t: float) -> list[Utterance]:
        cfg = self.config
        stale = [u for u in self._pending if u.priority < MUST_SAY and t - u.t > cfg.stale_s]
        if stale:
            self.dropped += stale
            self._pending = [u for u in self._pending if u not in stale]
        if t < self._busy_until - 1e-9:
            return []
        capped = t - self._last_capped < cfg.cue_gap_s - 1e-9
        eligible = [(i, u) for i, u in enumerate(self._pending) if not (capped and u.kind in CAPPED)]
        if not eligible:
            return []
        i, u = min(eligible, key=lambda iu: (-iu[1].priority, iu[0]))
        del self._pending[i]
        return [self._said(dataclasses.replace(u, t=t))]

    def _said(self, u: Utterance) -> Utterance:
        """Bookkeeping for an utterance that starts now (at `u.t`)."""
        self._busy_until = u.t + self.duration_s(u)
        if u.kind in CAPPED:
            self._last_capped = u.t
        if u.cue is not None:
            if u.kind == UtteranceKind.PRAISE:
                self._last_praised[u.cue] = u.t
                self._heard.discard(u.cue)
                self._praise_turn += 1
            else:
                self._last_said[u.cue] = u.t
                if u.kind == UtteranceKind.CUE:
                    self._heard.add(u.cue)
        return u


class VoiceCoach(Consumer):
    """Consumer: speaks (or beeps) what the `CueScheduler` decides, without blocking the video loop.

    With a beep-only speaker (`speaker.speaks` False) it beeps per rep, at hold start and target,
    and at set end. Call `end_set()` (or `on_events`, which the session calls with its closing
    events) at the end of each set, and `reset()` before the next one; `close()` ends the set if
    that was not done and closes the speaker (letting the last words play).
    """

    def __init__(self, speaker: Speaker, config: SchedulerConfig | None = None) -> None:
        config = config or SchedulerConfig()
        if not speaker.speaks:
            config = dataclasses.replace(config, beeps_only=True)
        self.speaker = speaker
        self.scheduler = CueScheduler(config)
        self._set_open = False

    def on_frame(self, image: np.ndarray | None, result: FrameResult) -> None:
        self._set_open = True
        self._send(self.scheduler.update(result))

    def on_events(self, events: Sequence[Event]) -> None:
        """End-of-session events (an open hold closed by the session end)."""
        self.end_set(events)

    def end_set(self, events: Sequence[Event] = ()) -> list[Utterance]:
        """Close the set: set-end words (and clean-set praise). Returns what was sent.

        Idempotent: once a set is closed, another call without events says nothing.
        """
        if not self._set_open and not events:
            return []
        said = self.scheduler.flush(events)
        self._send(said)
        self._set_open = False
        return said

    def reset(self) -> None:
        """Start a new set."""
        self.scheduler.reset()
        self._set_open = False

    def announce(self, text: str, t: float) -> None:
        """Say something outside the analysis (workout: next exercise, rest countdown)."""
        if self.speaker.speaks:
            self._send([self.scheduler.say_now(t, text)])

    def close(self) -> None:
        if self._set_open:
            self.end_set()
        self.speaker.close()

    def _send(self, utterances: Iterable[Utterance]) -> None:
        for u in utterances:
            if self.speaker.speaks:
                self.speaker.say(u.text, priority=u.priority, t=u.t, beep=u.beep)
            elif u.beep is not None:
                self.speaker.beep(u.beep, t=u.t)


def make_coach(mode: str, volume: float = 1.0, log_path: str | Path | None = None) -> VoiceCoach | None:
    """The voice coach of a command: None when there is neither sound (`mode` "off") nor a speech log.

    Raises:
        OutputError: the speech log cannot be written.
    """
    if mode == "off" and not log_path:
        return None
    from formcoach.speech import make_speaker

    try:
        return VoiceCoach(make_speaker(mode, volume, log_path))
    except OSError as exc:
        raise OutputError(f"{log_path}: cannot write the speech log ({exc.strerror or exc})") from None
