"""Workouts: routine files (YAML → validated `Routine`), the set plan, the runner and the workout report.

A routine lists exercises with sets × reps or hold seconds and rest; whatever an entry leaves out
comes from the exercise spec (`levels`, then `defaults`). `run_workout` plays the plan on ONE
frame stream: announce → wait for the camera setup → the set (`run_session(..., until=target)`) →
rest with a countdown → next, all on the source clock. No cv2 and no mediapipe at import time
(`PlaylistSource` imports `formcoach.sources` when built).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence, TextIO, Union

import numpy as np
import yaml

from formcoach.core import FrameResult
from formcoach.errors import SourceError, SpecError
from formcoach.pose import PoseEstimator
from formcoach.resources import DataKind, search_dirs, shipped_dir, yaml_files
from formcoach.report import report_dict
from formcoach.session import Consumer, SessionRecord, run_session
from formcoach.setup import SetupCheck, SetupConfig, SetupState, image_stats
from formcoach.specs import Defaults, ExerciseSpec, describe, did_you_mean, Reader  # same validation style as specs
from formcoach.voice import SchedulerConfig, number_words

SCHEMA_VERSION = 1
DOSE_KEYS = ("sets", "reps", "hold_s", "rest_s")

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


# ---- routine files ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dose:
    """What a routine entry prescribes; None = not given here (taken from the next layer)."""

    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    rest_s: float | None = None


@dataclass(frozen=True, slots=True)
class RoutineEntry:
    """One exercise of a routine: its own dose and per-level overrides (level name → Dose)."""

    exercise: str
    dose: Dose
    levels: Mapping[str, Dose] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Routine:
    id: str
    name: str
    source: str
    path: str
    exercises: tuple[RoutineEntry, ...]
    levels: tuple[str, ...] = ()
    description: str = ""


def _parse_dose(r: Reader, exercise: str | None, catalog: Mapping[str, ExerciseSpec]) -> Dose:
    sets, reps = r.int("sets", None), r.int("reps", None)
    for key, value in (("sets", sets), ("reps", reps)):
        if value == 0:
            r.fail("expected at least 1, found 0", key)
    dose = Dose(sets=sets, reps=reps, hold_s=r.num("hold_s", None, positive=True), rest_s=r.num("rest_s", None))
    if dose.rest_s is not None and dose.rest_s < 0:
        r.fail(f"expected seconds >= 0, found {dose.rest_s:g}", "rest_s")
    spec = catalog.get(exercise or "")
    if spec is not None:
        if dose.reps is not None and spec.reps is None:
            r.fail(f"{spec.id} is timed, not counted (it has no reps block): give hold_s instead", "reps")
        if dose.hold_s is not None and spec.hold is None:
            r.fail(f"{spec.id} has no hold to time: give reps instead", "hold_s")
    return dose


def parse_routine(data: Any, path: str, catalog: Mapping[str, ExerciseSpec]) -> Routine:
    """Validate a parsed routine YAML document against the exercise catalog. Raises SpecError."""
    r = Reader(path, data, "")
    routine_id = r.str("id")
    stem = Path(path).stem
    if path != "<routine>" and stem != routine_id:
        r.fail(f"id {routine_id!r} must match the file name {stem!r}", "id")
    levels_raw = r.raw("levels", [])
    if not isinstance(levels_raw, list) or not all(isinstance(v, str) and v for v in levels_raw) or len(set(levels_raw)) != len(levels_raw):
        r.fail(f"expected a list of distinct level names, e.g. [beginner, standard], found {describe(levels_raw)}", "levels")
    clash = [lv for lv in levels_raw if lv in DOSE_KEYS or lv == "exercise"]
    if clash:
        r.fail(f"level name {clash[0]!r} clashes with an entry key ({', '.join(('exercise',) + DOSE_KEYS)})", "levels")
    levels = tuple(levels_raw)
    items = r.raw("exercises")
    if not isinstance(items, list) or not items:
        r.fail(f"expected a list of exercises ({{exercise: ID, sets: N, reps: N | hold_s: S, rest_s: S}}), found {describe(items)}", "exercises")
    entries = []
    for i, item in enumerate(items):
        er = r.child(f"exercises[{i}]", item)
        exercise = er.str("exercise")
        if exercise not in catalog:
            known = sorted(catalog)
            er.fail(f"unknown exercise {exercise!r}{did_you_mean(exercise, known)} (known: {', '.join(known)})", "exercise")
        dose = _parse_dose(er, exercise, catalog)
        per_level: dict[str, Dose] = {}
        for level in levels:
            if er.has(level):
                lr = er.child(level, er.raw(level))
                per_level[level] = _parse_dose(lr, exercise, catalog)
                lr.done()
        for key, value in er.data.items():
            if isinstance(value, dict) and key not in levels:
                declared = f"declared: {', '.join(levels)}" if levels else "none declared"
                er.fail(f"level block for an undeclared level ({declared}); list it at the top: levels: [{key}, ...]", str(key))
        er.done()
        entries.append(RoutineEntry(exercise=exercise, dose=dose, levels=per_level))
    routine = Routine(
        id=routine_id, name=r.str("name"), source=r.str("source"), path=path, exercises=tuple(entries), levels=levels,
        description=r.str("description", ""),
    )
    r.done()
    plan_workout(routine, catalog, None)  # every level must resolve to a full plan: fail at load, not mid-workout
    for level in levels:
        plan_workout(routine, catalog, level)
    return routine


def default_routine_dir() -> Path:
    """The shipped routine folder (package data `formcoach.routines`)."""
    return shipped_dir(DataKind.ROUTINES)


def load_routine(path_or_id: str | Path, catalog: Mapping[str, ExerciseSpec], routine_dir: str | Path | None = None) -> Routine:
    """Read and validate a routine: a YAML file path, or an id among the shipped routines and those in
    `routine_dir` (else `$FORMCOACH_ROUTINES`)."""
    path = Path(path_or_id)
    if not path.is_file():
        by_id = yaml_files(DataKind.ROUTINES, routine_dir)
        if path.suffix in (".yaml", ".yml") or str(path_or_id) not in by_id:
            known = list(by_id)
            folders = ", ".join(str(f) for f in search_dirs(DataKind.ROUTINES, routine_dir))
            raise SpecError(f"{path_or_id}: no such routine file or id{did_you_mean(str(path_or_id), known)} "
                            f"(routines in {folders}: {', '.join(known) or 'none'})")
        path = by_id[str(path_or_id)]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read routine file ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise SpecError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_routine(data, str(path), catalog)


# ---- the plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedSet:
    """One set of the workout, fully resolved.

    Attributes:
        index: 1-based position in the workout.
        entry: 0-based index of the routine entry it comes from.
        spec: the exercise spec, its hold target set to `hold_s` when the set has a hold.
        set_no, sets: "set 2 of 3".
        reps: reps to count (exercises with a reps block), else None.
        hold_s: hold target, seconds: the set's target for hold-only exercises, the hold at the
            bottom of each rep for exercises with both; None without a hold.
        rest_s: rest after this set, seconds (0 after the last set of the workout).
    """

    index: int
    entry: int
    spec: ExerciseSpec
    set_no: int
    sets: int
    reps: int | None
    hold_s: float | None
    rest_s: float

    def target_reached(self, result: FrameResult) -> bool:
        """The set is done: `reps` counted, or (hold-only) the current hold has lasted `hold_s`."""
        if self.reps is not None:
            return result.rep_count >= self.reps
        return result.hold_elapsed_s is not None and result.hold_elapsed_s >= (self.hold_s or 0.0) - 1e-9

    @property
    def dose_words(self) -> str:
        """"three reps" / "hold fifteen seconds" / "five reps, hold five seconds each"."""
        hold = f"hold {_seconds_words(self.hold_s)}" if self.hold_s is not None else ""
        if self.reps is None:
            return hold
        reps = f"{number_words(self.reps)} {'rep' if self.reps == 1 else 'reps'}"
        return f"{reps}, {hold} each" if hold else reps

    @property
    def announcement(self) -> str:
        """"Next: superman hold, set 1 of 3, hold fifteen seconds" (no "set 1 of 1" for a single set)."""
        which = f", set {self.set_no} of {self.sets}" if self.sets > 1 else ""
        return f"Next: {spoken_name(self.spec)}{which}, {self.dose_words}"


def speaking_s(text: str, config: SchedulerConfig | None = None) -> float:
    """Estimated seconds to say `text` (the voice scheduler's own estimate)."""
    cfg = config or SchedulerConfig()
    return len(text.split()) / cfg.words_per_s + cfg.pause_s


def spoken_name(spec: ExerciseSpec) -> str:
    """The exercise name as said in a sentence: no parenthesis, lower-case first letter."""
    name = re.sub(r"\s*\([^)]*\)", "", spec.name).strip() or spec.id.replace("_", " ")
    return name[0].lower() + name[1:]


def _seconds_words(seconds: float | None) -> str:
    n = int(round(seconds or 0.0))
    return f"{number_words(n)} {'second' if n == 1 else 'seconds'}"


def plan_workout(routine: Routine, catalog: Mapping[str, ExerciseSpec], level: str | None = None) -> tuple[PlannedSet, ...]:
    """Every set of the workout in order. Raises SpecError (unknown level, a set without a target).

    Each value comes from the first layer that gives it: the entry's `level` block, the entry,
    the spec's `levels[level]`, the spec's `defaults`. `level=None` skips both level layers.
    """
    if level is not None and routine.levels and level not in routine.levels:
        raise SpecError(f"{routine.path}: levels: unknown level {level!r}{did_you_mean(level, routine.levels)} "
                        f"(this routine has: {', '.join(routine.levels)})")
    out: list[PlannedSet] = []
    for i, entry in enumerate(routine.exercises):
        spec = catalog[entry.exercise]
        spec_layer: Defaults = spec.levels.get(level, spec.defaults) if level is not None else spec.defaults
        layers: list[Any] = [entry.levels.get(level) if level is not None else None, entry.dose, spec_layer]

        def pick(key: str) -> Any:
            return next((getattr(x, key) for x in layers if x is not None and getattr(x, key) is not None), None)  # noqa: B023 (called in this iteration)

        sets, rest_s = pick("sets") or 1, float(pick("rest_s") or 0.0)
        reps = pick("reps") if spec.reps is not None else None
        hold_s = pick("hold_s") if spec.hold is not None else None
        where = f"{routine.path}: exercises[{i}] ({entry.exercise}{', level ' + level if level else ''})"
        if spec.reps is not None and reps is None:
            raise SpecError(f"{where}: no reps given and the spec has no default reps: add reps: N")
        if spec.hold is not None:
            if hold_s is None:
                hold_s = spec.hold.rule.target_s
            spec = spec.with_hold_target(hold_s)
        for s in range(1, sets + 1):
            out.append(PlannedSet(index=len(out) + 1, entry=i, spec=spec, set_no=s, sets=sets, reps=reps,
                                  hold_s=float(hold_s) if hold_s is not None else None, rest_s=rest_s))
    if out:
        out[-1] = dataclasses.replace(out[-1], rest_s=0.0)
    return tuple(out)


def describe_plan(plan: Sequence[PlannedSet]) -> str:
    """The plan as lines for the terminal: one per exercise."""
    lines: list[str] = []
    for p in plan:
        if p.set_no == 1:
            dose = f"{p.reps} reps" if p.reps is not None else f"{p.hold_s:g} s hold"
            if p.reps is not None and p.hold_s is not None:
                dose += f" ({p.hold_s:g} s hold each)"
            rest = f", rest {p.rest_s:g} s" if p.rest_s > 0 else ""
            lines.append(f"  {p.spec.name}: {p.sets} x {dose}{rest}  [{'/'.join(p.spec.views)} view]")
    return "\n".join(lines)


def needs_segmentation(plan: Sequence[PlannedSet]) -> bool:
    """Whether the pose backend must produce segmentation masks for some set."""
    return any(p.spec.needs_segmentation for p in plan)


# ---- a fake camera from several files --------------------------------------------------------------------


class PlaylistSource:
    """Several video files played one after another as ONE camera stream, timestamps continuous.

    Args:
        paths: video files, in order.
        paced: play at the real frame rate like a camera (frames dropped when the consumer is late);
            False = every frame, as fast as they are read (tests).
    """

    def __init__(self, paths: Sequence[str | Path], paced: bool = False) -> None:
        from formcoach.sources import PacedFileSource, SourceInfo, VideoFileSource  # lazy: cv2

        if not paths:
            raise SourceError("a playlist needs at least one video file")
        kind = PacedFileSource if paced else VideoFileSource
        self._sources: list[Any] = []
        try:
            for p in paths:
                self._sources.append(kind(p))
        except SourceError:
            self.close()
            raise
        infos = [s.info for s in self._sources]
        counts = [i.frame_count for i in infos]
        self.info = SourceInfo(
            name=" + ".join(i.name for i in infos), fps=infos[0].fps,
            frame_count=sum(counts) if all(counts) else None, size=infos[0].size,
        )
        self.unplugged = False

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        offset = 0.0
        for source in self._sources:
            last = -1.0 / source.info.fps
            for image, t in source:
                last = t
                yield image, offset + t
            # The next file starts one frame after this one ends (its full length when frames were dropped).
            offset += max(last + 1.0 / source.info.fps, (source.info.frame_count or 0) / source.info.fps)

    def close(self) -> None:
        for s in self._sources:
            s.close()


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


class WorkoutListener(Protocol):
    """Optional methods a workout consumer may have, besides the session `Consumer` ones.

    `on_status` gets every frame outside sets (return False to stop the workout, like `q`);
    `on_workout` gets workout events. Set frames still go to `on_frame`.
    """

    def on_status(self, image: np.ndarray, status: WorkoutStatus) -> bool | None: ...

    def on_workout(self, event: WorkoutEvent) -> None: ...


class Coach(Protocol):
    """What the runner needs of the voice coach (`formcoach.voice.VoiceCoach`)."""

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
        return self.session.ended_by == "target reached"


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
    ended_by: str = "done"  # or "end of video", "quit", "interrupted", "camera lost"
    start_t: float = 0.0
    end_t: float = 0.0

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

    def __init__(self, frames: Iterator[tuple[np.ndarray, float]], estimator: PoseEstimator, listeners: Sequence[Any],
                 coach: Coach | None, events: list[WorkoutEvent]) -> None:
        self.frames, self.estimator, self.listeners, self.coach = frames, estimator, list(listeners), coach
        self.events = events
        self.t = 0.0
        # Announcements take time to say: rest countdown numbers are skipped while words are still playing.
        speaker = getattr(coach, "speaker", None)
        self.speaks = coach is not None and getattr(speaker, "speaks", True)
        scheduler = getattr(coach, "scheduler", None)
        self.voice_config: SchedulerConfig = getattr(scheduler, "config", None) or SchedulerConfig()
        self.talk_until = -math.inf  # source time when everything said so far has been said
        self._last_setup_key: tuple | None = None
        self._setup_said: tuple[float, str] = (-math.inf, "")

    def emit(self, event: WorkoutEvent) -> None:
        self.events.append(event)
        for listener in self.listeners:
            hook = getattr(listener, "on_workout", None)
            if hook is not None:
                hook(event)

    def announce(self, text: str, t: float | None = None) -> None:
        t = self.t if t is None else t
        if self.coach is not None:
            self.coach.announce(text, t)
        if self.speaks:
            self.talk_until = max(t, self.talk_until) + speaking_s(text, self.voice_config)
        self.emit(Announced(t, text))

    def heard(self, utterances: Iterable[Any]) -> None:
        """The coach said these (set-end words): the next announcement comes after them."""
        if not self.speaks:
            return
        for u in utterances or ():
            self.talk_until = max(self.talk_until, u.t + speaking_s(u.text, self.voice_config))

    def set_consumer(self) -> _CoachTap | None:
        return _CoachTap(self.coach, self) if self.coach is not None else None

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
            hook = getattr(listener, "on_status", None)
            if hook is not None:
                keep_going &= hook(image, status) is not False
        if not keep_going:
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
        self.announce(f"Rest {_seconds_words(seconds)}")
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


class _CoachTap:
    """The coach as a set consumer that also tells the runner how long its set-end words take."""

    def __init__(self, coach: Coach, runner: _Runner) -> None:
        self.coach, self.runner = coach, runner

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self.coach.on_frame(image, result)

    def on_events(self, events: Sequence[Any]) -> None:
        self.runner.heard(self.coach.end_set(events))

    def close(self) -> None:
        pass  # the coach lives for the whole workout; its owner closes it


def run_workout(
    frames: Iterable[tuple[np.ndarray, float]],
    estimator: PoseEstimator,
    routine: Routine,
    catalog: Mapping[str, ExerciseSpec],
    consumers: Iterable[Any] = (),
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
        consumers: for the whole workout. Set frames go to `on_frame`; outside sets, `on_status`
            and `on_workout` are called when present (see `WorkoutListener`). Not closed here.
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
    workout_consumers = list(consumers)
    runner = _Runner(iter(frames), estimator, workout_consumers, coach, record.events)
    check: SetupCheck | None = None
    announced_t = 0.0
    try:
        for i, p in enumerate(plan):
            if i == 0:
                announced_t = runner.t
                runner.announce(p.announcement)
                check = SetupCheck(p.spec, setup_config) if setup else None
            outcome = runner.wait_for_setup(p, check, setup_timeout_s)
            ready_t, timed_out = outcome.ready_t, outcome.timed_out
            runner.announce(GO)
            runner.emit(SetStarted(runner.t, p))
            if coach is not None:
                coach.reset()
            per_set = list(make_set_consumers(p)) if make_set_consumers is not None else []
            tap = runner.set_consumer()
            try:
                session = run_session(
                    runner.frames, estimator, p.spec, [*workout_consumers, *per_set, *([tap] if tap is not None else [])],
                    source_name=source_name, fps=fps, until=p.target_reached,
                )
            finally:
                for c in per_set:
                    c.close()
            if coach is not None:
                runner.heard(coach.end_set())
            if session.t:
                runner.t = session.t[-1]
            start_t = session.t[0] if session.t else runner.t
            set_record = SetRecord(p, session, announced_t, ready_t, timed_out, start_t, runner.t)
            record.sets.append(set_record)
            longest = max((h.duration_s for h in session.holds), default=0.0)
            runner.emit(SetEnded(runner.t, p, len(session.reps), longest, set_record.target_reached, session.ended_by))
            if not set_record.target_reached:
                record.ended_by = session.ended_by
                break
            if i + 1 == len(plan):
                runner.announce(WORKOUT_DONE)
                break
            nxt = plan[i + 1]
            if setup and (check is None or nxt.spec is not p.spec):
                check = SetupCheck(nxt.spec, setup_config)  # same exercise: keep its settled state
            announced_t = runner.t
            set_record.rest_start_t = runner.t
            if p.rest_s > 0:
                runner.rest(p.rest_s, nxt, check)
            else:
                runner.announce(nxt.announcement)
            set_record.rest_end_t = runner.t
    except _StreamEnded:
        record.ended_by = "end of video"
    except _Quit:
        record.ended_by = "quit"
    except KeyboardInterrupt:
        record.ended_by = "interrupted"
    record.end_t = runner.t
    runner.emit(WorkoutEnded(runner.t, record.ended_by))
    return record


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


# ---- the workout report ----------------------------------------------------------------------------------


def set_dir_name(plan: PlannedSet) -> str:
    """Folder of one set's report inside the workout folder, e.g. `sets/03_superman_2`."""
    return f"sets/{plan.index:02d}_{plan.spec.id}_{plan.set_no}"


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def set_summary(s: SetRecord) -> dict[str, Any]:
    """One set of workout.json: plan, timings, outcome and the full session report."""
    p, session = s.plan, s.session
    return {
        "index": p.index,
        "exercise": p.spec.id,
        "exercise_name": p.spec.name,
        "set": p.set_no,
        "of": p.sets,
        "target": {"reps": p.reps, "hold_s": p.hold_s},
        "planned_rest_s": p.rest_s,
        "announced_s": _r(s.announced_t),
        "setup_ready_s": _r(s.setup_ready_t),
        "setup_timed_out": s.setup_timed_out,
        "start_s": _r(s.start_t),
        "end_s": _r(s.end_t),
        "duration_s": _r(s.end_t - s.start_t),
        "rest_s": _r(s.rest_end_t - s.rest_start_t) if s.rest_start_t is not None and s.rest_end_t is not None else None,
        "target_reached": s.target_reached,
        "rep_count": len(session.reps),
        "holds_s": [_r(h.duration_s) for h in session.holds],
        "fault_count": len(session.faults),
        "report_dir": set_dir_name(p),
        "report": report_dict(session),
    }


def workout_report_dict(record: WorkoutRecord) -> dict[str, Any]:
    """The workout.json document: totals, what was said, and every set (each with its session report)."""
    sets = [set_summary(s) for s in record.sets]
    holds = [h for s in record.sets for h in s.session.holds]
    active = sum(s.end_t - s.start_t for s in record.sets)
    rest = sum((s.rest_end_t or 0.0) - (s.rest_start_t or 0.0) for s in record.sets if s.rest_start_t is not None)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "workout",
        "routine": record.routine.id,
        "routine_name": record.routine.name,
        "level": record.level,
        "source": record.source,
        "ended_by": record.ended_by,
        "duration_s": _r(record.end_t - record.start_t),
        "totals": {
            "sets_planned": len(record.plan),
            "sets_done": len(record.sets),
            "sets_on_target": sum(s.target_reached for s in record.sets),
            "reps": sum(len(s.session.reps) for s in record.sets),
            "partial_reps": sum(len(s.session.partial_reps) for s in record.sets),
            "holds_completed": sum(h.completed for h in holds),
            "hold_s": _r(sum(h.duration_s for h in holds)),
            "faults": sum(len(s.session.faults) for s in record.sets),
            "active_s": _r(active),
            "rest_s": _r(rest),
        },
        "plan": [{"index": p.index, "exercise": p.spec.id, "set": p.set_no, "of": p.sets, "reps": p.reps,
                  "hold_s": p.hold_s, "rest_s": p.rest_s} for p in record.plan],
        "announcements": [{"t_s": _r(a.t), "text": a.text} for a in record.announcements],
        "sets": sets,
    }


def write_workout_report(record: WorkoutRecord, out_dir: str | Path) -> Path:
    """Write `workout.json` + `workout.html` (index) and, per set, `sets/NN_.../report.{json,html}`.

    Returns the workout.json path. Per-set pages are the session report (`formcoach report` can
    rebuild each); thumbnails are picked up from each set folder's `thumbs/` when a consumer wrote them.
    """
    from formcoach.report_html import regenerate  # its own module; keeps this import light

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = workout_report_dict(record)
    for s in doc["sets"]:
        set_dir = out / s["report_dir"]
        set_dir.mkdir(parents=True, exist_ok=True)
        path = set_dir / "report.json"
        planned = {"target_reps": s["target"]["reps"]} if s["target"]["reps"] else {}  # a set has a plan: "3 of 5 planned"
        path.write_text(json.dumps({**s["report"], **planned}, indent=2) + "\n", encoding="utf-8")
        regenerate(path)
    path = out / "workout.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (out / "workout.html").write_text(render_workout_html(doc), encoding="utf-8")
    return path


def render_workout_html(doc: dict[str, Any]) -> str:
    """The workout index page, in the session report's style: totals, then one row per set linking to its report."""
    from formcoach.report_html import ENDED_WORDS, card, page, plural, table

    e = html.escape
    t = doc["totals"]
    rows = []
    for s in doc["sets"]:
        target = (plural(s["target"]["reps"], "rep") if s["target"]["reps"] is not None
                  else f"{s['target']['hold_s']:g} s hold")
        holds = ", ".join(f"{h:.1f} s" for h in s["holds_s"] if h is not None) or "–"
        setup = ("timed out" if s["setup_timed_out"] else
                 f"{s['setup_ready_s']:.1f} s" if s["setup_ready_s"] is not None else "skipped")
        reached = '<span class="ok">✓</span>' if s["target_reached"] else '<span class="badge">short</span>'
        rows.append([str(s["index"]), f'<a href="{e(s["report_dir"])}/report.html">{e(s["exercise_name"])}</a>',
                     f"{s['set']}/{s['of']}", e(target), str(s["rep_count"]), e(holds), str(s["fault_count"]), reached,
                     e(setup), f"{s['duration_s'] or 0:.1f} s"])
    done, planned = t["sets_done"], t["sets_planned"]
    cards = [
        card("Sets done", f"{done}<small> / {planned}</small>", f"{t['sets_on_target']} on target",
             "good" if done == planned else "warn"),
        card("Reps", str(t["reps"]), f"+{t['partial_reps']} partial, not counted" if t["partial_reps"] else "counted"),
        card("Holds done", str(t["holds_completed"]), f"{t['hold_s'] or 0:.0f} s held"),
        card("Form faults", str(t["faults"]), "see each set's report" if t["faults"] else "clean workout",
             "bad" if t["faults"] else "good"),
        card("Active", f"{t['active_s'] or 0:.0f} s", f"rest {t['rest_s'] or 0:.0f} s"),
    ]
    facts = [f"<span>Level <b>{e(doc['level'])}</b></span>"] if doc.get("level") else []
    if doc.get("source"):
        facts.append(f"<span>Source <b>{e(str(doc['source']))}</b></span>")
    facts.append(f"<span>Ended: <b>{e(ENDED_WORDS.get(doc['ended_by'], doc['ended_by']))}</b></span>")
    headers = ["#", "Exercise", "Set", "Target", "Reps", "Holds", "Faults", "On target", "Set-up", "Length"]
    body = (
        f'<header><div class="brand">formcoach · workout report</div><h1>{e(doc["routine_name"])}</h1>'
        f'<div class="facts">{"".join(facts)}</div></header>'
        f'<section class="cards">{"".join(cards)}</section>'
        '<section><h2>Sets</h2><p class="hint">Each exercise links to its set\'s full report.</p>'
        f'{table(headers, rows, "sets", 4)}</section>'
    )
    return page(f"{doc['routine_name']} — formcoach workout", body)


def workout_summary_text(record: WorkoutRecord) -> str:
    """A short summary for the terminal."""
    doc = workout_report_dict(record)
    t = doc["totals"]
    lines = [f"{record.routine.name}{' (' + record.level + ')' if record.level else ''}: "
             f"{t['sets_done']} of {t['sets_planned']} sets, {record.ended_by}"]
    for s in doc["sets"]:
        what = f"{s['rep_count']}/{s['target']['reps']} reps" if s["target"]["reps"] is not None else (
            f"hold {max([h for h in s['holds_s'] if h is not None], default=0.0):.1f}/{s['target']['hold_s']:g} s")
        faults = f", {s['fault_count']} faults" if s["fault_count"] else ""
        lines.append(f"  {s['index']:2d}. {s['exercise_name']} set {s['set']}/{s['of']}: {what}{faults}")
    lines.append(f"  active {t['active_s'] or 0:.0f} s, rest {t['rest_s'] or 0:.0f} s, {t['faults']} faults")
    return "\n".join(lines)


# ---- a terminal listener ------------------------------------------------------------------------------------


class WorkoutLog:
    """Prints workout events as lines (`  12.30s  next: ...`): what a headless user or a test sees."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        pass  # set events are cli.EventLog's job

    def on_workout(self, event: WorkoutEvent) -> None:
        line = _workout_line(event)
        if line:
            print(f"{event.t:7.2f}s  {line}", file=self.stream or sys.stdout, flush=True)

    def close(self) -> None:
        pass


def _workout_line(ev: WorkoutEvent) -> str | None:
    if isinstance(ev, Announced):
        return f"say: {ev.text}"
    if isinstance(ev, SetupChanged):
        if ev.state.problems:
            return "setup: " + "; ".join(p.message for p in ev.state.problems)
        return "setup: ready" if ev.state.ready else None
    if isinstance(ev, SetupTimedOut):
        what = ev.state.message or "not settled"
        return f"warning: setup still not right after {ev.waited_s:.0f} s ({what}); starting anyway"
    if isinstance(ev, SetStarted):
        return f"set {ev.plan.index}: {ev.plan.spec.name} {ev.plan.set_no}/{ev.plan.sets} started"
    if isinstance(ev, SetEnded):
        hold = f", longest hold {ev.longest_hold_s:.1f} s" if ev.longest_hold_s else ""
        return f"set {ev.plan.index} ended ({ev.ended_by}): {ev.reps} reps{hold}"
    if isinstance(ev, RestStarted):
        return f"rest {ev.seconds:g} s"
    if isinstance(ev, WorkoutEnded):
        return f"workout ended: {ev.ended_by}"
    return None
