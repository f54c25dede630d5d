"""One pipeline for live and recorded video: source → pose → smoothing → evaluator → consumers.

`run_session` returns a `SessionRecord` even when interrupted (Ctrl-C, camera unplugged): what
was analysed so far is kept. Consumers (overlay writer, window, voice, progress) only receive
results; they never feed back into the analysis.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from formcoach.confidence import CountConfidence, count_confidence
from formcoach.consumer import Consumer
from formcoach.core import (
    CueUndecided, Event, Fault, FrameResult, Hold, HoldEnded, NotJudged, PartialRep, PoseFrame, Rep, RepCompleted, fault_of,
)
from formcoach.evaluator import Evaluator
from formcoach.landmarks import LandmarkTrack, TrackBuilder, replay_frames
from formcoach.person_lock import PersonLock
from formcoach.pose import PoseEstimator, ReplayPose
from formcoach.smoothing import LandmarkSmoother
from formcoach.specs import ExerciseSpec
from formcoach.subject import someone_else_warning

if TYPE_CHECKING:
    from formcoach.sources import SourceInfo


class EndReason(str, Enum):
    """How a session (or a workout) ended; the value is what report.json and workout.json say."""

    END_OF_VIDEO = "end of video"
    TARGET_REACHED = "target reached"
    DONE = "done"  # a workout: every set done
    QUIT = "quit"  # `q` in the window
    INTERRUPTED = "interrupted"  # Ctrl-C, a signal or a closed output
    CAMERA_LOST = "camera lost"

    def __str__(self) -> str:
        return self.value

    def text(self, stopped_by: str | None = None) -> str:
        """As the reports write it: "interrupted (SIGTERM)" when a signal stopped it."""
        return f"{self.value} ({stopped_by})" if stopped_by else self.value


@dataclass
class SessionRecord:
    """Everything a report needs, collected while the session runs."""

    spec: ExerciseSpec
    source: str
    fps: float
    frames_total: int = 0
    frames_with_pose: int = 0
    frames_dropped: int = 0  # frames a real-time source skipped because analysis fell behind
    duration_s: float = 0.0
    t: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=dict)  # metric -> per-frame values
    rep_counts: list[int] = field(default_factory=list)
    rep_values: list[float] = field(default_factory=list)  # what the rep counter saw, per frame
    events: list[Event] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    partial_reps: list[Rep] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    not_judged: list[NotJudged] = field(default_factory=list)
    ended_by: EndReason = EndReason.END_OF_VIDEO
    stopped_by: str | None = None  # INTERRUPTED by what: a signal name, "stdout closed" (None: Ctrl-C)
    views: dict[str, int] = field(default_factory=dict)  # view -> frames
    warnings: list[str] = field(default_factory=list)  # what may make the numbers wrong (said in the report)
    count_confidence: CountConfidence | None = None  # None for hold-only exercises

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def interrupted(self) -> bool:
        """Ended by Ctrl-C, a signal or a closed output rather than by the video, the target or `q`."""
        return self.ended_by is EndReason.INTERRUPTED

    @property
    def ended_text(self) -> str:
        """How the session ended, as report.json says it ("interrupted (SIGTERM)")."""
        return self.ended_by.text(self.stopped_by)

    def add(self, result: FrameResult) -> None:
        self.frames_total += 1
        self.frames_with_pose += result.pose is not None
        self.t.append(result.t)
        for name, value in result.metrics.items():
            self.series.setdefault(name, []).append(value)
        self.rep_counts.append(result.rep_count)
        self.rep_values.append(result.rep_value)
        if result.view:
            self.views[result.view] = self.views.get(result.view, 0) + 1


class Analysis:
    """One exercise analysed frame by frame; the caller owns the loop (as norfair's `tracker.update`).

    pose → person lock → smoothing → evaluator, for one (image, t) at a time::

        with contextlib.closing(create_pose()) as estimator:
            analysis = Analysis(estimator, spec)
            for image, t in source:
                result = analysis.update(image, t)  # FrameResult: metrics, count, cues, events
            closing = analysis.finish(t + 1 / fps)  # the events only the end produces
    """

    def __init__(self, estimator: PoseEstimator, spec: ExerciseSpec, smoother: LandmarkSmoother | None = None,
                 recorder: TrackBuilder | None = None) -> None:
        self.estimator = estimator
        self.spec = spec
        self.smoother = smoother or LandmarkSmoother()
        self.lock = PersonLock()
        self.evaluator = Evaluator(spec)
        self.recorder = recorder  # raw landmarks, for later replay
        self._moves = 0  # times the estimator moved to a larger person (SubjectPicker) during this analysis
        self._looks = 0  # times it looked at the rest of the picture (SubjectPicker)
        self._someone_else_at: list[float] = []  # ... and found someone else there

    def update(self, image: np.ndarray | None, t: float) -> FrameResult:
        """Analyse one picture taken at source time `t` (seconds)."""
        raw: PoseFrame | None = self.estimator.estimate(image, t)  # type: ignore[arg-type]  # replay takes no picture
        moved: bool = getattr(self.estimator, "moved", False)  # SubjectPicker or its replay; other models never move
        if moved:  # on purpose: the lock follows
            self._moves += 1
            self.lock.retarget()
        someone_else: bool | None = getattr(self.estimator, "saw_someone_else", None)  # SubjectPicker or its replay
        if someone_else is not None:
            self._looks += 1
            if someone_else:
                self._someone_else_at.append(t)
        if self.recorder is not None and image is not None:
            self.recorder.add(t, raw, (image.shape[1], image.shape[0]), moved, someone_else)
        return self.evaluator.update(t, self.smoother.update(self.lock.update(raw)))  # another person: not judged

    def finish(self, t: float, interrupted: bool = False) -> tuple[Event, ...]:
        """End of the stream at `t`: close what is open (see `Evaluator.finish`)."""
        return self.evaluator.finish(t, interrupted)

    @property
    def warnings(self) -> list[str]:
        """What may make the numbers wrong (someone else in the picture, or taking the place of the one followed)."""
        times = self._moves
        moved = (f"someone further back was followed at first; formcoach moved to the person nearest the camera "
                 f"({'once' if times == 1 else f'{times} times'})") if times else None
        return [w for w in (moved, someone_else_warning(self._someone_else_at, self._looks), self.lock.warning()) if w]


def analyse(frames: Iterable[tuple[np.ndarray | None, float]], estimator: PoseEstimator, spec: ExerciseSpec) -> Iterator[FrameResult]:
    """Each frame's result, lazily: `for result in analyse(source, estimator, spec): ...`.

    The end's own events (a hold cut short by the end of the video) are not frames: use `Analysis`
    to get them, or `run_session` for the whole record.
    """
    analysis = Analysis(estimator, spec)
    for image, t in frames:
        yield analysis.update(image, t)


class SessionRecorder(Consumer):
    """Builds the session record from what the analysis emits and nothing else: each frame's result,
    the events it carries, and the events of the end.

    Reps, partial reps, holds and faults are read from their events (`fault_of`: one event per
    fault, in order); a fault seen during a rep attempt gets the rep number its attempt became.
    """

    def __init__(self, spec: ExerciseSpec, source: str = "", fps: float = 30.0) -> None:
        self.record = SessionRecord(spec=spec, source=source, fps=fps)
        self._rep_of_attempt: dict[int, int] = {}
        self._faults: list[Fault] = []
        self._not_judged_s: dict[tuple[str, str], float] = {}

    def on_frame(self, image: np.ndarray | None, result: FrameResult) -> None:
        times = self.record.t
        dt = max(result.t - times[-1], 0.0) if times else 0.0
        self.record.add(result)
        for cue, reason in result.not_judged.items():
            self._not_judged_s[cue, reason] = self._not_judged_s.get((cue, reason), 0.0) + dt
        self.on_events(result.events)

    def on_events(self, events: Sequence[Event]) -> None:
        record = self.record
        for ev in events:
            record.events.append(ev)
            if isinstance(ev, RepCompleted):
                record.reps.append(ev.rep)
                self._rep_of_attempt[ev.attempt] = ev.rep.index
            elif isinstance(ev, PartialRep):
                record.partial_reps.append(ev.rep)
            elif isinstance(ev, HoldEnded):
                record.holds.append(ev.hold)
            elif isinstance(ev, CueUndecided):  # a rep too close to call: its time was not judged
                key = (ev.cue, ev.reason)
                self._not_judged_s[key] = self._not_judged_s.get(key, 0.0) + ev.seconds
            fault = fault_of(ev)
            if fault is not None:
                self._faults.append(fault)

    @property
    def end_t(self) -> float:
        """When the stream ended: one frame after the last one seen."""
        times = self.record.t
        return times[-1] + 1.0 / self.record.fps if times else 0.0

    def finish(self, warnings: Iterable[str] = ()) -> SessionRecord:
        """The record, once the end's events are in: faults tied to their reps, times, confidence."""
        record = self.record
        record.faults = [
            dataclasses.replace(f, rep=self._rep_of_attempt.get(f.attempt)) if f.rep is None and f.attempt is not None else f
            for f in self._faults
        ]
        record.not_judged = [NotJudged(cue, reason, s) for (cue, reason), s in self._not_judged_s.items()]
        record.duration_s = self.end_t - (record.t[0] if record.t else 0.0)  # a set inside a workout starts later than 0
        record.warnings += list(warnings)
        record.count_confidence = _judge_count(record)
        return record


def run_session(
    frames: Iterable[tuple[np.ndarray, float]],
    estimator: PoseEstimator,
    spec: ExerciseSpec,
    consumers: Iterable[Consumer] = (),
    source_name: str = "",
    fps: float = 30.0,
    smoother: LandmarkSmoother | None = None,
    recorder: TrackBuilder | None = None,
    until: Callable[[FrameResult], bool] | None = None,
) -> SessionRecord:
    """Analyse a stream of frames with one exercise spec, feeding every result to the consumers.

    Args:
        frames: iterable of (BGR image, t seconds from the source clock). When `until` stops the
            session early, the iterator is left where it was, so a workout can go on reading it.
        estimator: pose backend.
        recorder: if given, raw landmarks are recorded for later replay.
        until: stop after the first frame for which this returns True (e.g. the set's reps are done).
    """
    consumers = list(consumers)
    analysis = Analysis(estimator, spec, smoother, recorder)
    session = SessionRecorder(spec, source_name, fps)
    record = session.record
    try:
        for image, t in iter(frames):
            result = analysis.update(image, t)
            session.on_frame(image, result)
            keep_going = True
            for consumer in consumers:
                keep_going &= consumer.on_frame(image, result) is not False
            if not keep_going:  # `q`, or a signal / closed output (a consumer with a `stop_reason`)
                record.stopped_by = next((c.stop_reason for c in consumers if c.stop_reason), None)
                record.ended_by = EndReason.INTERRUPTED if record.stopped_by else EndReason.QUIT
                break
            if until is not None and until(result):
                record.ended_by = EndReason.TARGET_REACHED
                break
    except KeyboardInterrupt:
        record.ended_by = EndReason.INTERRUPTED
    finally:
        closing = analysis.finish(session.end_t, interrupted=record.interrupted)
        session.on_events(closing)
        session.finish(analysis.warnings)
        if closing:
            for consumer in consumers:
                consumer.on_events(closing)
    return record


def _judge_count(record: SessionRecord) -> CountConfidence | None:
    """The count's confidence from the rep metric's own rhythm and what was not seen."""
    reps = record.spec.reps
    if reps is None:
        return None
    rule = reps.rule
    return count_confidence(
        record.rep_values, rule.start, rule.target, len(record.reps), len(record.partial_reps),
        unseen_reps=sum(1 for r in record.reps if r.unseen_s > 0),
    )


class StopOnSignal(Consumer):
    """SIGTERM, SIGHUP and SIGINT end a session the way `q` does (a second signal stops at once).

    Use as a context manager around the session, and pass it as a consumer (and as a workout
    listener): it asks the session to stop at the next frame. `request` does the same for other
    reasons (stdout closed). `stop_reason` is None until then.
    """

    SIGNALS = ("SIGTERM", "SIGHUP", "SIGINT")

    def __init__(self) -> None:
        self.stop_reason: str | None = None
        self._saved: dict[int, Any] = {}  # signal number -> the handler before ours

    def request(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    def _handler(self, signum: int, frame: object) -> None:
        import signal

        if self.stop_reason is not None:
            raise KeyboardInterrupt  # asked twice: stop now (the session still keeps what it has)
        self.request(signal.Signals(signum).name)

    def __enter__(self) -> StopOnSignal:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                if hasattr(signal, name):
                    num = getattr(signal, name)
                    self._saved[num] = signal.signal(num, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for num, handler in self._saved.items():
            signal.signal(num, handler)
        self._saved.clear()

    def on_frame(self, image: np.ndarray | None, result: FrameResult) -> bool:
        return self.stop_reason is None


def analyse_file(
    path: str | Path,
    spec: ExerciseSpec,
    consumers: Iterable[Consumer] = (),
    recorder: TrackBuilder | None = None,
    make_consumers: Callable[[SourceInfo], Iterable[Consumer]] | None = None,
    landmarks: LandmarkTrack | None = None,
) -> SessionRecord:
    """Analyse a video file, every frame, and close everything afterwards.

    Args:
        make_consumers: builds consumers that need the source's frame rate or size (video writers).
        landmarks: replay these recorded landmarks instead of running the pose model (the video
            still supplies the pictures for the annotated video and thumbnails).
    """
    from formcoach.pose import create_pose  # lazy: keeps this module free of mediapipe and cv2
    from formcoach.sources import VideoFileSource

    with contextlib.ExitStack() as stack:
        source = stack.enter_context(VideoFileSource(path))
        consumers = [*consumers, *(make_consumers(source.info) if make_consumers else ())]
        for consumer in consumers:
            stack.enter_context(contextlib.closing(consumer))
        estimator = ReplayPose(landmarks) if landmarks is not None else create_pose(segmentation=spec.needs_segmentation)
        stack.enter_context(contextlib.closing(estimator))
        record = run_session(source, estimator, spec, consumers, source_name=str(path), fps=source.info.fps, recorder=recorder)
        record.warnings += source.warnings  # rotated, damaged or cut short: said in the report
        return record


def analyse_track(track: LandmarkTrack, spec: ExerciseSpec, source_name: str = "", consumers: Iterable[Consumer] = ()) -> SessionRecord:
    """Analyse recorded landmarks without video or model: the same session code, seconds per clip."""
    return run_session(replay_frames(track), ReplayPose(track, with_masks=spec.needs_segmentation), spec, consumers,  # type: ignore[arg-type]  # no pictures
                       source_name=source_name, fps=track.fps)
