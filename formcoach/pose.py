"""Pose backends behind one protocol: `estimate(image_bgr, t) -> PoseFrame | None`.

`MediaPipePose` is the only place that imports mediapipe (lazily, on first use). `ReplayPose`
plays back landmarks recorded by an earlier run, so re-analysis and tests need no model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np

from formcoach.core import PoseFrame
from formcoach.errors import PoseError
from formcoach.landmarks import LandmarkTrack, PoseOptions
from formcoach.skeleton import NUM_LANDMARKS


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence C++ log lines (TFLite/absl start-up chatter) written straight to file descriptor 2.

    Python exceptions are unaffected: they are raised after the descriptor is restored.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (e.g. captured): nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class PoseEstimator(Protocol):
    """A pose backend. Frames come in order; `t` is the source time in seconds."""

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None: ...

    def close(self) -> None: ...


class MediaPipePose:
    """MediaPipe Pose (legacy `solutions` API of mediapipe==0.10.21, model bundled in the wheel).

    Runs in tracking mode (`static_image_mode=False`): the detector runs only when tracking is
    lost, which is what makes it ~20 ms/frame on a laptop CPU.
    """

    def __init__(
        self,
        model_complexity: int = 1,
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        try:
            import mediapipe as mp  # lazy: importing formcoach must not load the model
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PoseError(
                f"cannot import mediapipe ({exc}); install it with: pip install mediapipe==0.10.21 (Python 3.10-3.12)"
            ) from None
        self.segmentation = segmentation
        self._warmed_up = False
        try:
            with _quiet_native_stderr():
                self._pose = mp.solutions.pose.Pose(
                    static_image_mode=False,
                    model_complexity=model_complexity,
                    smooth_landmarks=True,
                    enable_segmentation=segmentation,
                    smooth_segmentation=segmentation,
                    min_detection_confidence=min_detection_confidence,
                    min_tracking_confidence=min_tracking_confidence,
                )
        except Exception as exc:  # mediapipe raises bare RuntimeErrors when its graph fails
            raise PoseError(f"cannot start MediaPipe Pose: {exc}") from None

    @classmethod
    def from_options(cls, options: PoseOptions) -> MediaPipePose:
        return cls(options.model_complexity, options.segmentation, options.min_detection_confidence, options.min_tracking_confidence)

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        height, width = image_bgr.shape[:2]
        rgb = np.ascontiguousarray(image_bgr[..., ::-1])
        if self._warmed_up:
            result = self._pose.process(rgb)
        else:  # the first inferences (detector, then landmark model) print TFLite start-up notices
            with _quiet_native_stderr():
                result = self._pose.process(rgb)
            self._warmed_up = result.pose_landmarks is not None
        if result.pose_landmarks is None:
            return None
        raw = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float64)
        xy = raw[:, :2] * (width, height)  # normalised → pixels, once, here
        world = np.full((NUM_LANDMARKS, 3), np.nan)
        if result.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float64)
        mask = None
        if self.segmentation and result.segmentation_mask is not None:
            mask = np.asarray(result.segmentation_mask, dtype=np.float32)
        return PoseFrame(t=t, image_size=(width, height), xy=xy, world=world, visibility=raw[:, 2], mask=mask)

    def close(self) -> None:
        self._pose.close()


#: Pose backends: "legacy" = MediaPipePose (mp.solutions, mediapipe 0.10.21, Python <= 3.12),
#: "tasks" = TasksPose (the Tasks API, every mediapipe release), "auto" = legacy where it exists.
POSE_BACKENDS = ("auto", "legacy", "tasks")
BACKEND_ENV, TASK_ENV = "FORMCOACH_POSE_BACKEND", "FORMCOACH_POSE_TASK"


def create_pose(segmentation: bool = False, backend: str | None = None) -> PoseEstimator:
    """The live pose model: `backend` (else `$FORMCOACH_POSE_BACKEND`, else "auto")."""
    backend = backend or os.environ.get(BACKEND_ENV) or "auto"
    if backend not in POSE_BACKENDS:
        raise PoseError(f"unknown pose backend {backend!r} (choose from: {', '.join(POSE_BACKENDS)})")
    if backend == "auto":
        try:
            import mediapipe as mp

            backend = "legacy" if hasattr(mp, "solutions") else "tasks"
        except ImportError:
            backend = "legacy"  # MediaPipePose says how to install it
    return TasksPose(segmentation=segmentation) if backend == "tasks" else MediaPipePose(segmentation=segmentation)


def task_model_path() -> Path:
    """The Tasks bundle: `$FORMCOACH_POSE_TASK`, else `formcoach/models/pose_landmarker_full.task` if shipped."""
    env = os.environ.get(TASK_ENV)
    path = Path(env) if env else Path(__file__).resolve().parent / "models" / "pose_landmarker_full.task"
    if not path.is_file():
        raise PoseError(f"{path}: no Tasks pose model; build one with tools/build_pose_task.py (from mediapipe "
                        f"0.10.21's model files) and set {TASK_ENV}")
    return path


class TasksPose:
    """MediaPipe Pose through the Tasks API (`PoseLandmarker`, VIDEO mode), fed the source's timestamps.

    The bundle is the 0.10.21 model packed by tools/build_pose_task.py; on the samples it gives the
    legacy landmarks within about 1 px mean (640x480). Timestamps must increase: equal or earlier
    `t` (a repeated frame) is nudged 1 ms forward, as the Tasks graph refuses it otherwise.
    """

    def __init__(self, segmentation: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, model: str | Path | None = None) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PoseError(f"cannot import mediapipe's Tasks API ({exc}); install mediapipe") from None
        self._mp, self.segmentation, self._last_ms, self._warmed_up = mp, segmentation, -1, False
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model or task_model_path())),
            running_mode=vision.RunningMode.VIDEO, num_poses=1, output_segmentation_masks=segmentation,
            min_pose_detection_confidence=min_detection_confidence, min_pose_presence_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        try:
            with _quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # the Tasks graph raises bare RuntimeErrors/ValueErrors on a bad bundle
            raise PoseError(f"cannot start the Tasks pose model: {exc}") from None

    def __enter__(self) -> TasksPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        height, width = image_bgr.shape[:2]
        ms = max(int(round(t * 1000)), self._last_ms + 1)
        self._last_ms = ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image_bgr[..., ::-1]))
        if self._warmed_up:
            result = self._landmarker.detect_for_video(image, ms)
        else:  # the first inferences print TFLite start-up notices
            with _quiet_native_stderr():
                result = self._landmarker.detect_for_video(image, ms)
        if not result.pose_landmarks:
            return None
        self._warmed_up = True
        raw = np.array([(p.x, p.y, p.visibility if p.visibility is not None else np.nan) for p in result.pose_landmarks[0]],
                       dtype=np.float64)
        world = np.full((NUM_LANDMARKS, 3), np.nan)
        if result.pose_world_landmarks:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], dtype=np.float64)
        mask = None
        if self.segmentation and result.segmentation_masks:
            mask = np.asarray(result.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(height, width)
        return PoseFrame(t=t, image_size=(width, height), xy=raw[:, :2] * (width, height), world=world,
                         visibility=raw[:, 2], mask=mask)

    def close(self) -> None:
        self._landmarker.close()


class ReplayPose:
    """Plays back a `LandmarkTrack` (or a `.npz` written by one) frame by frame, in order.

    The image passed to `estimate` is ignored, so replay needs neither the video nor the model.
    Masks are replayed when the track has them and `with_masks` is set.
    """

    def __init__(self, track: str | Path | LandmarkTrack, with_masks: bool = True) -> None:
        self.track = track if isinstance(track, LandmarkTrack) else LandmarkTrack.load(track)
        self.with_masks = with_masks
        self._next = 0

    def __len__(self) -> int:
        return len(self.track)

    def __enter__(self) -> ReplayPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray | None, t: float) -> PoseFrame | None:
        i = self._next
        self._next += 1
        if i >= len(self.track):
            return None
        frame = self.track.frame(i, with_mask=self.with_masks)
        return None if frame is None else dataclasses.replace(frame, t=t)

    def close(self) -> None:
        pass
