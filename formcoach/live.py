"""Live mode: one session from a camera (or a file played like one): wait until the camera set-up
is right, then coach; afterwards the record says what the camera did (unplugged, frames dropped).

Imports neither cv2 nor mediapipe (the caller builds the source and the pose model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from formcoach.consumer import Consumer
from formcoach.consumers import MIN_ANALYSED_FPS
from formcoach.pose import PoseEstimator
from formcoach.session import EndReason, SessionRecord, run_session
from formcoach.specs import ExerciseSpec
from formcoach.voice import VoiceCoach
from formcoach.workout import GO, wait_for_setup

if TYPE_CHECKING:
    from formcoach.sources import Source  # not at run time: it loads cv2



def run_live(source: Source, estimator: PoseEstimator, spec: ExerciseSpec, consumers: Sequence[Consumer], *,
             setup_listeners: Sequence[Consumer] = (), coach: VoiceCoach | None = None,
             wait_setup: bool = True) -> SessionRecord:
    """Coach one session from `source`; with `wait_setup`, count only once the camera sees the person
    properly (or after the set-up timeout, with a warning). `setup_listeners` follow the wait."""
    frames = iter(source)
    if wait_setup:
        outcome = wait_for_setup(frames, estimator, spec, setup_listeners, coach=coach)
        if coach is not None:
            coach.announce(GO, outcome.t)
    return run_session(frames, estimator, spec, consumers, source_name=source.info.name, fps=source.info.fps)


def finish_live_record(record: SessionRecord, source: Source) -> None:
    """What the camera did, into the record: unplugged (the session ended "camera lost"), frames
    dropped, and the source's warnings."""
    if source.unplugged:
        record.ended_by, record.stopped_by = EndReason.CAMERA_LOST, None
    record.frames_dropped = source.dropped
    record.warnings += [*source.warnings, *dropped_warning(record)]


def dropped_warning(record: SessionRecord) -> list[str]:
    """Live analysis that fell so far behind the camera that fewer than `MIN_ANALYSED_FPS` frames per second
    were analysed: the counts may be wrong, and the report says so."""
    seen = record.frames_total + record.frames_dropped
    if not record.frames_dropped or record.duration_s <= 0:
        return []
    rate = record.frames_total / record.duration_s
    if rate >= MIN_ANALYSED_FPS:
        return []
    return [f"analysis fell behind the camera: {rate:.0f} frames per second analysed ({record.frames_dropped} of "
            f"{seen} frames skipped); below {MIN_ANALYSED_FPS:.0f} counts and times may be wrong "
            "(use a lower camera resolution or a faster computer)"]
