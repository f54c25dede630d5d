"""The workout runner: plays a routine's plan on ONE frame stream.

announce → wait for the camera setup → the set (`run_session(..., until=target)`) → rest with a
countdown → next, all on the source clock. Listeners get workout events and, outside sets, a
status per frame. Routines and the plan are `routines`, the report `workout_report`, the
playlist source `sources.PlaylistSource`. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence, Union

import numpy as np

from formcoach.consumer import Consumer
from formcoach.core import FrameResult
from formcoach.pose import PoseEstimator
from formcoach.routine import PlannedSet, Routine, plan_workout, seconds_words
from formcoach.session import EndReason, SessionRecord, run_session
from formcoach.setup import SetupCheck, SetupConfig, SetupState, image_stats
from formcoach.specs import ExerciseSpec
from formcoach.voice import SchedulerConfig, number_words

if TYPE_CHECKING:
    from formcoach.speech import Speaker
    from formcoach.voice import CueScheduler

#: Seconds of source time the runner waits for a right setup before starting anyway.
SETUP_TIMEOUT_S = 20.0
#: Setup problems are spoken when they appear, at most one per this many seconds ...
SETUP_SAY_GAP_S = 3.0
#: ... and the same one again after this long if it is still not fixed.
SETUP_REPEAT_S = 10.0
#: Rest countdown: numbers said at these seconds left (not within `REST_QUIET_S` of the rest start).
REST_MARKS_S = (10, 5, 4, 3, 2, 1)
REST_QUIET_S = 3.0

GO = "Go"
WORKOUT_DONE = "Workout done"


# ---- what the runner tells its listeners -------------------------------------------------------------------


class Phase(str, Enum):
    SETUP = "setup"  # waiting for the camera setup before a set
    REST = "rest"  # resting between sets (the setup for the next set is checked meanwhile)


@dataclass(frozen=True, slots=True)
class WorkoutStatus:
    """Per frame outside sets, for displays (`on_status(image, status)`).

    Attributes:
        plan: the set being prepared (after a rest: the next one).
        setup: the setup check's state (None when the setup is not checked: `--go`).
        rest_left_s: seconds of rest left (REST only).
    """

    t: float
    phase: Phase
    plan: PlannedSet
    setup: SetupState | None
    rest_left_s: float | None = None
    pose: Any = None  # PoseFrame | None, raw estimate of this frame

    @property
    def message(self) -> str:
        """One line for the screen."""
        if self.phase == Phase.REST:
            return f"Rest {math.ceil(self.rest_left_s or 0.0):d} s · next: {self.plan.spec.name}, set {self.plan.set_no}/{self.plan.sets}"
        if self.setup is not None and self.setup.problems:
            return self.setup.message
        return f"Get ready: {self.plan.spec.name}" + ("" if self.setup is None else " · hold still")


@dataclass(frozen=True, slots=True)
class Announced:
    t: float
    text: str


@dataclass(frozen=True, slots=True)
class SetupChanged:
    """The shown setup problems (or readiness) changed."""

    t: float
    state: SetupState


@dataclass(frozen=True, slots=True)
class SetupTimedOut:
    t: float
    waited_s: float
    state: SetupState


@dataclass(frozen=True, slots=True)
class SetStarted:
    t: float
    plan: PlannedSet


@dataclass(frozen=True, slots=True)
class SetEnded:
    t: float
    plan: PlannedSet
    reps: int
    longest_hold_s: float
    target_reached: bool
    ended_by: str


@dataclass(frozen=True, slots=True)
class RestStarted:
    t: float
    seconds: float
    next: PlannedSet


@dataclass(frozen=True, slots=True)
class WorkoutEnded:
    t: float
    ended_by: str


WorkoutEvent = Union[Announced, SetupChanged, SetupTimedOut, SetStarted, SetEnded, RestStarted, WorkoutEnded]


class WorkoutListener(Consumer):
    """A consumer that also follows the workout (the runner calls these on `WorkoutListener`s only).

    `on_status` gets every frame outside sets (return False to stop the workout, like `q`);
    `on_workout` gets workout events. Set frames still go to `on_frame`.
    """

    def on_status(self, image: np.ndarray, status: WorkoutStatus) -> bool | None:
        return None

    def on_workout(self, event: WorkoutEvent) -> None:
        return None


class Coach(Protocol):
    """What the runner needs of the voice coach (`formcoach.voice.VoiceCoach`)."""

    speaker: Speaker  # `speaks` False (beeps only): announcements take no speaking time
    scheduler: CueScheduler  # its config estimates how long words take

    def on_frame(self, image: np.ndarray | None, result: FrameResult) -> None: ...

    def reset(self) -> None: ...

    def end_set(self, events: Sequence[Any] = ()) -> Any: ...

    def announce(self, text: str, t: float) -> None: ...


# ---- records ---------------------------------------------------------------------------------------------


@dataclass
class SetRecord:
    """One set as it happened. Times are source seconds.

    Attributes:
        setup_ready_t: when the setup was judged right (None: not checked, or timed out).
        start_t, end_t: first and last analysed frame of the set.
        rest_start_t, rest_end_t: the rest after the set (None when there was none).
    """

    plan: PlannedSet
    session: SessionRecord
    announced_t: float
    setup_ready_t: float | None
    setup_timed_out: bool
    start_t: float
    end_t: float
    rest_start_t: float | None = None
    rest_end_t: float | None = None

    @property
    def target_reached(self) -> bool:
        return self.session.ended_by is EndReason.TARGET_REACHED


@dataclass
class WorkoutRecord:
    """Everything a workout report needs: the plan, each set's session record, what was said."""

    routine: Routine
    level: str | None
    plan: tuple[PlannedSet, ...]
    source: str
    fps: float
    sets: list[SetRecord] = field(default_factory=list)
    events: list[WorkoutEvent] = field(default_factory=list)
    ended_by: EndReason = EndReason.DONE
    stopped_by: str | None = None  # INTERRUPTED by what: a signal name (None: Ctrl-C)
    start_t: float = 0.0
    end_t: float = 0.0

    @property
    def ended_text(self) -> str:
        """How the workout ended, as workout.json says it ("interrupted (SIGTERM)")."""
        return self.ended_by.text(self.stopped_by)

    @property
    def announcements(self) -> list[Announced]:
        return [e for e in self.events if isinstance(e, Announced)]


# ---- the runner -------------------------------------------------------------------------------------------


class _StreamEnded(Exception):
    """The frame stream ran out (end of the playlist, camera unplugged)."""


class _Quit(Exception):
    """A listener asked to stop (`q` in the window)."""


@dataclass(frozen=True, slots=True)
class SetupOutcome:
    """How a wait for the setup ended. `ready_t` None = timed out or not checked."""

    t: float
    ready_t: float | None
    timed_out: bool
    state: SetupState | None


class _Runner:
    """The frame loop outside sets (setup, rest) and the announcements; shares one frame iterator."""

    def __init__(self, frames: Iterator[tuple[np.ndarray, float]], estimator: PoseEstimator, consumers: Sequence[Consumer],
                 coach: Coach | None, events: list[WorkoutEvent]) -> None:
        self.frames, self.estimator, self.coach = frames, estimator, coach
        self.consumers = list(consumers)
        self.listeners = [c for c in self.consumers if isinstance(c, WorkoutListener)]
        self.events = events
        self.t = 0.0
        # Announcements take time to say: rest countdown numbers are skipped while words are still playing.
        self.speaks = coach is not None and coach.speaker.speaks
        self.voice_config = coach.scheduler.config if coach is not None else SchedulerConfig()
        self.talk_until = -math.inf  # source time when everything said so far has been said
        self._last_setup_key: tuple | None = None
        self._setup_said: tuple[float, str] = (-math.inf, "")

    def emit(self, event: WorkoutEvent) -> None:
        self.events.append(event)
        for listener in self.listeners:
            listener.on_workout(event)

    def announce(self, text: str, t: float | None = None) -> None:
        t = self.t if t is None else t
        if self.coach is not None:
            self.coach.announce(text, t)
        if self.speaks:
            self.talk_until = max(t, self.talk_until) + self.voice_config.speaking_s(text)
        self.emit(Announced(t, text))

    def heard(self, utterances: Iterable[Any]) -> None:
        """The coach said these (set-end words): the next announcement comes after them."""
        if not self.speaks:
            return
        for u in utterances or ():
            self.talk_until = max(self.talk_until, u.t + self.voice_config.speaking_s(u.text))

    def _next_frame(self) -> tuple[np.ndarray, float]:
        try:
            image, t = next(self.frames)
        except StopIteration:
            raise _StreamEnded from None
        self.t = t
        return image, t

    def _status(self, image: np.ndarray, status: WorkoutStatus) -> None:
        keep_going = True
        for listener in self.listeners:
            keep_going &= listener.on_status(image, status) is not False
        if not keep_going or any(c.stop_reason for c in self.consumers):  # `q`, or a signal (`StopOnSignal`)
            raise _Quit

    def _check(self, check: SetupCheck | None, image: np.ndarray, t: float) -> tuple[SetupState | None, Any]:
        if check is None:
            return None, None
        pose = self.estimator.estimate(image, t)
        state = check.update(t, pose, image_stats(image))
        key = (state.ready, tuple(p.message for p in state.problems))
        if key != self._last_setup_key:
            self._last_setup_key = key
            self.emit(SetupChanged(t, state))
        return state, pose

    def rest(self, seconds: float, upcoming: PlannedSet, check: SetupCheck | None) -> None:
        """Rest with a spoken countdown, checking the setup for `upcoming` meanwhile."""
        start = self.t
        self.emit(RestStarted(start, seconds, upcoming))
        self.announce(f"Rest {seconds_words(seconds)}")
        self.announce(upcoming.announcement)
        marks = [m for m in REST_MARKS_S if m < seconds and seconds - m >= REST_QUIET_S]
        while True:
            image, t = self._next_frame()
            left = start + seconds - t
            state, pose = self._check(check, image, t)
            crossed = [m for m in marks if left <= m + 1e-9]
            if crossed:
                marks = marks[len(crossed):]
                if t >= self.talk_until - 1e-9:  # still talking: skip this number, a later one comes
                    self.announce(number_words(crossed[-1]), t)
            self._status(image, WorkoutStatus(t, Phase.REST, upcoming, state, max(left, 0.0), pose))
            if left <= 1e-9:
                return

    def wait_for_setup(self, upcoming: PlannedSet, check: SetupCheck | None, timeout_s: float) -> SetupOutcome:
        """Frames until the setup is ready, or `timeout_s` of source time passed; says what to fix.

        Does not wait for the announcement to be over: a rep done while it is still being said
        counts (the words play in order anyway). With `check` None it returns at once.
        """
        if check is None:
            return SetupOutcome(self.t, None, False, None)
        start = self.t
        while True:
            image, t = self._next_frame()
            state, pose = self._check(check, image, t)
            assert state is not None  # check is set: the None case returned above
            self._say_setup(state, t)
            self._status(image, WorkoutStatus(t, Phase.SETUP, upcoming, state, None, pose))
            if state.ready:
                return SetupOutcome(t, t, False, state)
            if t - start >= timeout_s:
                self.emit(SetupTimedOut(t, t - start, state))
                return SetupOutcome(t, None, True, state)

    def _say_setup(self, state: SetupState, t: float) -> None:
        """Speak a setup problem when it appears (rate-limited) and again if it stays unfixed."""
        said_t, said = self._setup_said
        msg = state.message
        if not msg:
            return
        new = msg != said and t - said_t >= SETUP_SAY_GAP_S
        if new or t - said_t >= SETUP_REPEAT_S:
            self._setup_said = (t, msg)
            self.announce(msg, t)


class _CoachTap(Consumer):
    """The coach as a set consumer that also tells the runner how long its set-end words take."""

    def __init__(self, coach: Coach, runner: _Runner) -> None:
        self.coach, self.runner = coach, runner

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self.coach.on_frame(image, result)

    def on_events(self, events: Sequence[Any]) -> None:
        self.runner.heard(self.coach.end_set(events))

    def close(self) -> None:
        pass  # the coach lives for the whole workout; its owner closes it


def run_workout(  # 74 lines: 34 are the signature and docstring; the loop itself is one screen
    frames: Iterable[tuple[np.ndarray, float]],
    estimator: PoseEstimator,
    routine: Routine,
    catalog: Mapping[str, ExerciseSpec],
    consumers: Iterable[Consumer] = (),
    level: str | None = None,
    *,
    rest_override_s: float | None = None,
    setup: bool = True,
    setup_timeout_s: float = SETUP_TIMEOUT_S,
    setup_config: SetupConfig | None = None,
    coach: Coach | None = None,
    make_set_consumers: Callable[[PlannedSet], Iterable[Consumer]] | None = None,
    source_name: str = "",
    fps: float = 30.0,
) -> WorkoutRecord:
    """Run a routine on one frame stream: announce, wait for the setup, count the set, rest, next.

    Args:
        frames: (BGR image, t seconds from the source clock); read by one shared iterator.
        consumers: for the whole workout. Set frames go to `on_frame`; outside sets, `WorkoutListener`s
            get `on_status` and `on_workout`. Not closed here.
        level: e.g. "beginner"; None = the routine's plain values and the specs' defaults.
        rest_override_s: rest this long after every set instead of the plan's rests (tests, quick runs).
        setup: wait for a right camera setup before each set (False = `--go`: start at once).
        setup_timeout_s: start anyway after waiting this long (source seconds).
        coach: the voice coach: `reset()` before, `end_set()` after each set, `announce()` for
            the workout's own words; also receives the set frames.
        make_set_consumers: per-set consumers (overlay video, thumbnails), closed after their set.
    Returns:
        The record, also when the stream ends, a listener quits or Ctrl-C interrupts: what was
        done so far is kept.
    """
    plan = plan_workout(routine, catalog, level)
    if rest_override_s is not None:
        plan = tuple(dataclasses.replace(p, rest_s=float(rest_override_s) if p.rest_s > 0 else 0.0) for p in plan)
    record = WorkoutRecord(routine=routine, level=level, plan=plan, source=source_name, fps=fps)
    runner = _Runner(iter(frames), estimator, list(consumers), coach, record.events)
    sets = _SetRunner(runner, make_set_consumers, source_name, fps)
    check: SetupCheck | None = None
    announced_t = 0.0
    try:
        for i, p in enumerate(plan):
            if i == 0:
                announced_t = runner.t
                runner.announce(p.announcement)
                check = SetupCheck(p.spec, setup_config) if setup else None
            done = sets.run(p, runner.wait_for_setup(p, check, setup_timeout_s), announced_t)
            record.sets.append(done)
            if not done.target_reached:
                record.ended_by, record.stopped_by = done.session.ended_by, done.session.stopped_by
                break
            if i + 1 == len(plan):
                runner.announce(WORKOUT_DONE)
                break
            nxt = plan[i + 1]
            if setup and (check is None or nxt.spec is not p.spec):
                check = SetupCheck(nxt.spec, setup_config)  # same exercise: keep its settled state
            announced_t = done.rest_start_t = runner.t
            if p.rest_s > 0:
                runner.rest(p.rest_s, nxt, check)
            else:
                runner.announce(nxt.announcement)
            done.rest_end_t = runner.t
    except _StreamEnded:
        record.ended_by = EndReason.END_OF_VIDEO
    except _Quit:
        record.ended_by = EndReason.QUIT
    except KeyboardInterrupt:
        record.ended_by = EndReason.INTERRUPTED
    record.end_t = runner.t
    runner.emit(WorkoutEnded(runner.t, record.ended_text))
    return record


class _SetRunner:
    """One set: "Go", the session until the set's target, the coach's set-end words, the set's record."""

    def __init__(self, runner: _Runner, make_set_consumers: Callable[[PlannedSet], Iterable[Consumer]] | None,
                 source_name: str, fps: float) -> None:
        self.runner, self.make_set_consumers, self.source_name, self.fps = runner, make_set_consumers, source_name, fps

    def run(self, p: PlannedSet, setup: SetupOutcome, announced_t: float) -> SetRecord:
        runner, coach = self.runner, self.runner.coach
        runner.announce(GO)
        runner.emit(SetStarted(runner.t, p))
        if coach is not None:
            coach.reset()
        with contextlib.ExitStack() as stack:  # the set's own consumers (journal, video) close with the set
            per_set = [stack.enter_context(contextlib.closing(c)) for c in
                       (self.make_set_consumers(p) if self.make_set_consumers is not None else ())]
            tap = [_CoachTap(coach, runner)] if coach is not None else []
            session = run_session(runner.frames, runner.estimator, p.spec, [*runner.consumers, *per_set, *tap],
                                  source_name=self.source_name, fps=self.fps, until=p.target_reached)
        if coach is not None:
            runner.heard(coach.end_set())
        if session.t:
            runner.t = session.t[-1]
        start_t = session.t[0] if session.t else runner.t
        done = SetRecord(p, session, announced_t, setup.ready_t, setup.timed_out, start_t, runner.t)
        longest = max((h.duration_s for h in session.holds), default=0.0)
        runner.emit(SetEnded(runner.t, p, len(session.reps), longest, done.target_reached, session.ended_text))
        return done


def wait_for_setup(
    frames: Iterator[tuple[np.ndarray, float]],
    estimator: PoseEstimator,
    spec: ExerciseSpec,
    consumers: Iterable[Any] = (),
    *,
    coach: Coach | None = None,
    timeout_s: float = SETUP_TIMEOUT_S,
    setup_config: SetupConfig | None = None,
) -> SetupOutcome:
    """Live mode's gate: read `frames` until the setup for `spec` is right (or times out).

    Leaves the iterator at the first frame after the wait, ready for `run_session`. Listeners get
    `on_status`/`on_workout` as in a workout; setup problems are spoken through `coach`.
    Raises KeyboardInterrupt as usual; returns with `t` of the last frame when the stream ends.
    """
    plan = PlannedSet(index=1, entry=0, spec=spec, set_no=1, sets=1, reps=None, hold_s=None, rest_s=0.0)
    runner = _Runner(frames, estimator, list(consumers), coach, [])
    try:
        return runner.wait_for_setup(plan, SetupCheck(spec, setup_config), timeout_s)
    except (_StreamEnded, _Quit):
        return SetupOutcome(runner.t, None, False, None)
