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
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from formcoach.confidence import CountConfidence, count_confidence
from formcoach.consumer import Consumer
from formcoach.core import CueRaised, Event, FrameResult, Hold, HoldEnded, NotJudged, PoseFrame, Rep
from formcoach.evaluator import Evaluator
from formcoach.landmarks import LandmarkTrack, TrackBuilder, replay_frames
from formcoach.person_lock import PersonLock
from formcoach.pose import PoseEstimator, ReplayPose
from formcoach.smoothing import LandmarkSmoother
from formcoach.specs import ExerciseSpec

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
    faults: list = field(default_factory=list)
    not_judged: list[NotJudged] = field(default_factory=list)
    ended_by: EndReason = EndReason.END_OF_VIDEO
    stopped_by: str | None = None  # INTERRUPTED by what: a signal name, "stdout closed" (None: Ctrl-C)
    views: dict[str, int] = field(default_factory=dict)  # view -> frames
    warnings: list[str] = field(default_factory=list)  # what may make the numbers wrong (said in the report)
    count_confidence: CountConfidence | None = None  # None for hold-only exercises

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
    """Analyse a stream of frames with one exercise spec.

    Args:
        frames: iterable of (BGR image, t seconds from the source clock). When `until` stops the
            session early, the iterator is left where it was, so a workout can go on reading it.
        estimator: pose backend.
        recorder: if given, raw landmarks are recorded for later replay.
        until: stop after the first frame for which this returns True (e.g. the set's reps are done).
    """
    consumers = list(consumers)
    smoother = smoother or LandmarkSmoother()
    evaluator = Evaluator(spec)
    lock = PersonLock()
    record = SessionRecord(spec=spec, source=source_name, fps=fps)
    first_t: float | None = None
    last_t = 0.0
    try:
        for image, t in iter(frames):
            raw: PoseFrame | None = estimator.estimate(image, t)
            if recorder is not None and image is not None:
                recorder.add(t, raw, (image.shape[1], image.shape[0]))
            result = evaluator.update(t, smoother.update(lock.update(raw)))  # another person: not judged
            record.add(result)
            first_t = t if first_t is None else first_t
            last_t = t
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
        end_t = last_t + (1.0 / fps if record.frames_total else 0.0)
        closing = evaluator.finish(end_t)
        record.duration_s = end_t - (first_t or 0.0)  # a set inside a workout starts later than 0
        record.events = list(evaluator.events)
        record.reps = list(evaluator.reps_done)
        record.partial_reps = list(evaluator.partials)
        record.holds = list(evaluator.hold.holds) if evaluator.hold else []
        record.faults = list(evaluator.cues.faults)
        record.not_judged = [NotJudged(c, r, s) for c, r, s in evaluator.cues.not_judged_summary()]
        if record.interrupted:
            closing = _unfinished_not_short(record, closing)
        record.warnings += [w for w in (lock.warning(),) if w]
        record.count_confidence = _judge_count(record)
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


def _unfinished_not_short(record: SessionRecord, closing: tuple[Event, ...]) -> tuple[Event, ...]:
    """An interrupted session: the hold still running was cut by the stop, not broken by the person.

    It is kept (marked "session interrupted") without its "hold longer" fault.
    """
    out: list[Event] = []
    for ev in closing:
        if isinstance(ev, CueRaised) and ev.fault.hold is not None:
            record.faults = [f for f in record.faults if f is not ev.fault]
            continue
        if isinstance(ev, HoldEnded) and not ev.hold.completed:
            hold = dataclasses.replace(ev.hold, broke_because="session interrupted")
            record.holds = [hold if h is ev.hold else h for h in record.holds]
            ev = HoldEnded(ev.t, hold)
        out.append(ev)
    return tuple(out)


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
