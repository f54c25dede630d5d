"""Pose backends behind one protocol: `estimate(image_bgr, t) -> PoseFrame | None`.

`MediaPipePose` (mediapipe 0.10.21's `mp.solutions`) and `TasksPose` (the Tasks API, with the model
shipped in `formcoach/models/`) are the only places that import mediapipe (lazily, on first use);
`create_pose` picks one (`resolve_backend`). `ReplayPose` plays back landmarks recorded by an earlier
run, so re-analysis and tests need no model.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import sys
import weakref
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Protocol

import numpy as np

from formcoach.core import PoseFrame
from formcoach.errors import PoseError
from formcoach.landmarks import MODEL_INPUT_SIDE, NO_LOOK, LandmarkTrack, PoseOptions
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


def model_input(image_bgr: np.ndarray, max_side: int | None) -> np.ndarray:
    """The picture the model is given, RGB: `image_bgr` shrunk to a longer side of at most `max_side`
    (see `MODEL_INPUT_SIDE`), as filmed when it is no larger or `max_side` is None. Halved or more it is
    area-averaged (no aliasing); less, bilinear (OpenCV's area path costs 12 ms on a 1440p frame then)."""
    height, width = image_bgr.shape[:2]
    if max_side is not None and max(height, width) > max_side:
        from formcoach._cv2 import cv2  # lazy: replay and tests of the rest need no OpenCV here

        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image_bgr = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA if scale <= 0.5 else cv2.INTER_LINEAR)
    return np.ascontiguousarray(image_bgr[..., ::-1])


def source_size_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A segmentation mask of the model's input brought to the source picture's `size` (width, height)."""
    if mask.shape[::-1] == size:
        return mask
    from formcoach._cv2 import cv2

    return np.asarray(cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR), dtype=np.float32)


class PoseEstimator(Protocol):
    """A pose backend. Frames come in order; `t` is the source time in seconds."""

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None: ...

    def close(self) -> None: ...


class MediaPipePose:
    """MediaPipe Pose (legacy `solutions` API of mediapipe==0.10.21, model bundled in the wheel).

    Runs in tracking mode (`static_image_mode=False`): the detector runs only when tracking is
    lost, which is what makes it ~20 ms/frame on a laptop CPU. Frames larger than `max_input_side`
    are shrunk before the model sees them (`model_input`); landmarks and mask are in source pixels.
    """

    def __init__(
        self,
        model_complexity: int = 1,
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        max_input_side: int | None = MODEL_INPUT_SIDE,
        static: bool = False,
    ) -> None:
        try:
            import mediapipe as mp  # lazy: importing formcoach must not load the model
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PoseError(
                f"cannot import mediapipe ({exc}); install it with: pip install mediapipe==0.10.21 (Python 3.10-3.12)"
            ) from None
        self.segmentation, self.max_input_side = segmentation, max_input_side
        self._warmed_up = False
        try:
            with _quiet_native_stderr():
                self._pose = mp.solutions.pose.Pose(
                    static_image_mode=static,
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
    def from_options(cls, options: PoseOptions, static: bool = False) -> MediaPipePose:
        return cls(options.model_complexity, options.segmentation, options.min_detection_confidence, options.min_tracking_confidence,
                   options.max_input_side, static)

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        height, width = image_bgr.shape[:2]
        rgb = model_input(image_bgr, self.max_input_side)
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
            mask = source_size_mask(np.asarray(result.segmentation_mask, dtype=np.float32), (width, height))
        return PoseFrame(t=t, image_size=(width, height), xy=xy, world=world, visibility=raw[:, 2], mask=mask)

    def close(self) -> None:
        self._pose.close()


#: Pose backends: "legacy" = MediaPipePose (mp.solutions, mediapipe 0.10.21, Python <= 3.12),
#: "tasks" = TasksPose (the Tasks API, every mediapipe release; the only one in mediapipe 1.x),
#: "auto" = `$FORMCOACH_POSE_BACKEND` when set, else legacy where mp.solutions exists, else tasks.
POSE_BACKENDS = ("auto", "legacy", "tasks")
BACKEND_ENV, TASK_ENV = "FORMCOACH_POSE_BACKEND", "FORMCOACH_POSE_TASK"
#: The shipped Tasks bundle (package data; rebuilt by tools/build_pose_task.py, provenance in models/NOTICE).
TASK_RESOURCE = "models/pose_landmarker_full.task"


def _has_solutions() -> bool:
    """Whether the installed mediapipe has the legacy `mp.solutions` API, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    if spec is None:
        return True  # no mediapipe at all: the legacy backend says how to install it
    return any((Path(p) / "python" / "solutions" / "pose.py").is_file() for p in spec.submodule_search_locations or ())


def resolve_backend(backend: str | None = None) -> str:
    """"legacy" or "tasks": `backend`, where "auto" (or None) means `$FORMCOACH_POSE_BACKEND`, else detect."""
    if backend in (None, "auto"):
        backend = os.environ.get(BACKEND_ENV) or "auto"
    if backend not in POSE_BACKENDS:
        raise PoseError(f"unknown pose backend {backend!r} (choose from: {', '.join(POSE_BACKENDS)})")
    if backend == "auto":
        backend = "legacy" if _has_solutions() else "tasks"
    return backend


def create_pose(segmentation: bool = False, backend: str | None = None) -> PoseEstimator:
    """The live pose model: `backend` (else `$FORMCOACH_POSE_BACKEND`, else "auto")."""
    return pose_from_options(PoseOptions(segmentation=segmentation, backend=backend or "auto"))


def pose_from_options(options: PoseOptions) -> PoseEstimator:
    """The pose model `options` describe (their backend resolved by `resolve_backend`), kept on the
    largest person in the picture unless `follow_largest` is off (`formcoach.subject`)."""
    if options.follow_largest:
        from formcoach.subject import SubjectPicker

        second = dataclasses.replace(options, segmentation=False, follow_largest=False)  # each look a new picture
        return SubjectPicker(_model(dataclasses.replace(options, follow_largest=False)), lambda: _model(second, static=True))
    return _model(options)


def _model(options: PoseOptions, static: bool = False) -> PoseEstimator:
    if resolve_backend(options.backend) == "tasks":
        if options.model_complexity != 1:
            raise PoseError(f"the Tasks backend ships the full model only (model_complexity 1, got {options.model_complexity})")
        return TasksPose(options.segmentation, options.min_detection_confidence, options.min_tracking_confidence,
                         max_input_side=options.max_input_side, static=static)
    return MediaPipePose.from_options(options, static)


def task_model_path() -> Path:
    """The Tasks bundle: `$FORMCOACH_POSE_TASK`, else the one shipped in the package (`formcoach/models/`)."""
    env = os.environ.get(TASK_ENV)
    path = Path(env) if env else Path(str(resources.files("formcoach").joinpath(TASK_RESOURCE)))
    if not path.is_file():
        where = f"{TASK_ENV}={env}" if env else "the package (reinstall formcoach)"
        raise PoseError(f"{path}: no Tasks pose model in {where}; build one with tools/build_pose_task.py")
    return path


class TasksPose:
    """MediaPipe Pose through the Tasks API (`PoseLandmarker`, VIDEO mode), fed the source's timestamps.

    The bundle is the 0.10.21 model packed by tools/build_pose_task.py and shipped in the package; on
    the samples it gives the legacy landmarks within about 1 px mean (640x480). Timestamps must
    increase: equal or earlier `t` (a repeated frame) is nudged 1 ms forward, as the Tasks graph
    refuses it otherwise. Close it (or use it as a context manager); one left open is closed at exit.
    """

    def __init__(self, segmentation: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, model: str | Path | None = None,
                 max_input_side: int | None = MODEL_INPUT_SIDE, static: bool = False) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise PoseError(f"cannot import mediapipe's Tasks API ({exc}); install mediapipe") from None
        self._mp, self.segmentation, self._last_ms, self._warmed_up = mp, segmentation, -1, False
        self.max_input_side, self.static = max_input_side, static
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model or task_model_path())),
            running_mode=vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO, num_poses=1,
            output_segmentation_masks=segmentation,
            min_pose_detection_confidence=min_detection_confidence, min_pose_presence_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        try:
            with _quiet_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # the Tasks graph raises bare RuntimeErrors/ValueErrors on a bad bundle
            raise PoseError(f"cannot start the Tasks pose model: {exc}") from None
        _LEFT_OPEN.add(self)

    def __enter__(self) -> TasksPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        height, width = image_bgr.shape[:2]
        ms = max(int(round(t * 1000)), self._last_ms + 1)
        self._last_ms = ms
        rgb = model_input(image_bgr, self.max_input_side)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        if self._warmed_up:
            result = self._detect(image, ms)
        else:  # the first inferences print TFLite start-up notices
            with _quiet_native_stderr():
                result = self._detect(image, ms)
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
            mask = np.asarray(result.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(rgb.shape[:2])
            mask = source_size_mask(mask, (width, height))
        return PoseFrame(t=t, image_size=(width, height), xy=raw[:, :2] * (width, height), world=world,
                         visibility=raw[:, 2], mask=mask)

    def _detect(self, image: Any, ms: int) -> Any:  # a mediapipe Image and result
        return self._landmarker.detect(image) if self.static else self._landmarker.detect_for_video(image, ms)

    def close(self) -> None:
        _LEFT_OPEN.discard(self)
        with _quiet_native_stderr():  # mediapipe 1.x logs each accelerator it destroys
            self._landmarker.close()


_LEFT_OPEN: weakref.WeakSet[TasksPose] = weakref.WeakSet()


@atexit.register
def _close_left_open() -> None:
    """Close Tasks models nobody closed, before interpreter teardown.

    Left to `PoseLandmarker.__del__` at teardown, mediapipe 1.x's close finds its module globals gone and
    prints a TypeError traceback. Registered before mediapipe is imported (lazily), this runs after
    mediapipe's own exit hook, which turns its C calls into no-ops: closing here just drops the handle.
    """
    for pose in list(_LEFT_OPEN):
        with contextlib.suppress(RuntimeError):  # mediapipe imported first: its executor is already shut down
            pose.close()


class ReplayPose:
    """Plays back a `LandmarkTrack` (or a `.npz` written by one) frame by frame, in order.

    The image passed to `estimate` is ignored, so replay needs neither the video nor the model.
    Masks are replayed when the track has them and `with_masks` is set.
    """

    def __init__(self, track: str | Path | LandmarkTrack, with_masks: bool = True) -> None:
        self.track = track if isinstance(track, LandmarkTrack) else LandmarkTrack.load(track)
        self.with_masks = with_masks
        self._next = 0
        self.moved = False  # the recorded move to a larger person on the frame just played (SubjectPicker.moved)
        self.saw_someone_else: bool | None = None  # the recorded look at the rest of the picture (SubjectPicker)

    def __len__(self) -> int:
        return len(self.track)

    def __enter__(self) -> ReplayPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image_bgr: np.ndarray | None, t: float) -> PoseFrame | None:
        i = self._next
        self._next += 1
        self.moved = self.track.moved is not None and i < len(self.track) and bool(self.track.moved[i])  # as recorded
        looked = int(self.track.looks[i]) if self.track.looks is not None and i < len(self.track) else NO_LOOK
        self.saw_someone_else = None if looked == NO_LOOK else bool(looked)
        if i >= len(self.track):
            return None
        return self.track.frame(i, with_mask=self.with_masks, t=t)  # at the source's t, built once

    def close(self) -> None:
        pass
