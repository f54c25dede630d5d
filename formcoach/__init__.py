"""formcoach — a computer-vision form coach for home back training.

The whole pipeline, one way through (live and recorded video run the same code)::

    source (frames, t) ─► pose (PoseFrame, pixels) ─► smoothing (One Euro, NaN when unseen)
        ─► metrics (named by the exercise spec) ─► evaluator (reps, holds, cue rules)
        ─► events (RepCompleted, HoldEnded, CueRaised...) ─► overlay / voice / report

    >>> from formcoach import get_spec, run_session, MediaPipePose, VideoFileSource
    >>> spec = get_spec("wall_squat")
    >>> record = run_session(VideoFileSource("sample_videos/wall_squat_good.mp4"), MediaPipePose(), spec)
    >>> len(record.reps), [h.duration_s for h in record.holds]

Exercises are YAML specs in `exercise_specs/`; Python holds only generic machinery.
Heavy modules (cv2, mediapipe) are imported lazily: `import formcoach` stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "get_spec": "formcoach.specs",
    "load_catalog": "formcoach.specs",
    "load_spec_file": "formcoach.specs",
    "run_session": "formcoach.session",
    "SessionRecord": "formcoach.session",
    "Evaluator": "formcoach.evaluator",
    "MediaPipePose": "formcoach.pose",
    "ReplayPose": "formcoach.pose",
    "VideoFileSource": "formcoach.sources",
    "CameraSource": "formcoach.sources",
    "PacedFileSource": "formcoach.sources",
    "Overlay": "formcoach.overlay",
    "report_dict": "formcoach.report",
    "SetupCheck": "formcoach.setup",
    "run_workout": "formcoach.workout",
    "load_routine": "formcoach.routine",
    "PlaylistSource": "formcoach.sources",
    "FormcoachError": "formcoach.errors",
    "SpecError": "formcoach.errors",
    "SourceError": "formcoach.errors",
    "PoseError": "formcoach.errors",
}

__all__ = ["__version__", *_LAZY]  # noqa: PLE0604 (the keys of _LAZY are the names)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'formcoach' has no attribute {name!r}")
