"""Frame sources yielding `(image_bgr, t)` with `t` from the source clock.

- `VideoFileSource`: a recorded video, as fast as it can be read; t = frame index / fps.
- `CameraSource`: a webcam; t = capture time (monotonic clock at grab, from the first frame).
- `PacedFileSource`: a video file behaving like a camera (real frame rate, frames dropped when
  the consumer is slow) — how tests drive live mode headless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from formcoach._cv2 import cv2

from formcoach.errors import SourceError


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    fps: float
    frame_count: int | None  # None for cameras
    size: tuple[int, int]  # (width, height)


def _open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: video file not found")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, expected a video file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SourceError(f"{path}: cannot open as a video (corrupt or unsupported format)")
    ok, _ = cap.read()
    if not ok:
        cap.release()
        raise SourceError(f"{path}: contains no readable video frames (corrupt or empty)")
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return cap


def _fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 1.0 <= fps <= 240.0 else 30.0


class VideoFileSource:
    """Every frame of a video file, in order."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._cap = _open_video(path)
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.info = SourceInfo(
            name=str(path), fps=_fps(self._cap), frame_count=count if count > 0 else None,
            size=(int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))),
        )

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        index = 0
        while True:
            ok, image = self._cap.read()
            if not ok:
                return
            yield image, index / self.info.fps
            index += 1

    def close(self) -> None:
        self._cap.release()


class PacedFileSource:
    """A video file played like a camera: at its real frame rate, skipping frames it is late for.

    `t` is the file's own timestamp of each delivered frame, so results match `VideoFileSource`
    whenever the consumer keeps up.
    """

    def __init__(self, path: str | Path, clock: callable = time.monotonic, sleep: callable = time.sleep) -> None:
        self._inner = VideoFileSource(path)
        self.info = self._inner.info
        self._clock, self._sleep = clock, sleep
        self.dropped = 0

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        fps = self.info.fps
        start = self._clock()
        for image, t in self._inner:
            lag = (self._clock() - start) - t
            if lag > 1.0 / fps:  # a camera would have overwritten this frame already
                self.dropped += 1
                continue
            if lag < 0:
                self._sleep(-lag)
            yield image, t

    def close(self) -> None:
        self._inner.close()


class CameraSource:
    """A webcam via OpenCV. Raises SourceError when it cannot be opened."""

    def __init__(self, index: int = 0, width: int = 1280, height: int = 720) -> None:
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise SourceError(f"camera {index}: cannot open (not connected, in use, or no permission)")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        ok, frame = self._cap.read()
        if not ok:
            self._cap.release()
            raise SourceError(f"camera {index}: opened but delivers no frames")
        h, w = frame.shape[:2]
        self.info = SourceInfo(name=f"camera:{index}", fps=_fps(self._cap), frame_count=None, size=(w, h))
        self.unplugged = False

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        start: float | None = None
        while True:
            ok, image = self._cap.read()
            now = time.monotonic()
            if not ok:
                self.unplugged = True  # the session ends and keeps what it recorded
                return
            start = now if start is None else start
            yield image, now - start

    def close(self) -> None:
        self._cap.release()


# The annotated-video writer (H.264 via PyAV) lives in formcoach.video_out; kept importable from here.
from formcoach.video_out import VideoWriter  # noqa: E402,F401
