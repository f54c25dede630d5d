"""Frame sources yielding `(image_bgr, t)` with `t` from the source clock.

- `VideoFileSource`: a recorded video, as fast as it can be read; t = the frame's presentation time.
- `CameraSource`: a webcam; t = capture time (monotonic clock at grab, from the first frame).
- `PacedFileSource`: a video file behaving like a camera (real frame rate, frames dropped when
  the consumer is slow) — how tests drive live mode headless.
- `PlaylistSource`: several files played one after another as one camera stream (workouts).

Every source is a `Source`: iterable, a context manager that closes it, and explicit `warnings`,
`dropped` and `unplugged` attributes the session reads at the end.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from formcoach._cv2 import cv2

from formcoach.errors import SourceError


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    fps: float
    frame_count: int | None  # None for cameras
    size: tuple[int, int]  # (width, height) as analysed, i.e. after rotation
    rotation: int = 0  # degrees the frames were turned (the file's rotation metadata); 0 = none


class Source:
    """Base of the frame sources: iterate for `(image_bgr, t)`; `with source:` closes it.

    Attributes:
        info: name, frame rate, frame count and size.
        warnings: what may make the numbers wrong (rotated, damaged, cut short), said in the report.
        dropped: frames a real-time source skipped because the consumer was late.
        unplugged: the camera stopped delivering frames (the session ends as "camera lost").
    """

    info: SourceInfo

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.dropped = 0
        self.unplugged = False

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file or camera."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise SourceError(f"{path}: video file not found")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, expected a video file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except PermissionError:
        raise SourceError(f"{path}: permission denied (the file cannot be read by this user)") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _open_capture(path: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SourceError(f"{path}: cannot open as a video (corrupt or unsupported format)")
    # Phones store portrait clips sideways plus a rotation tag; every player honours it, so do we.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def _fps(cap: cv2.VideoCapture) -> float:
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 1.0 <= fps <= 240.0 else 30.0


def presented_seconds(path: Path) -> float | None:
    """Seconds of video the file presents as FFmpeg reads it (PyAV), None when unknown.

    A phone that trims a clip often keeps every recorded frame and adds an MP4 edit list that skips
    the cut part: FFmpeg honours the list and decodes only the presented frames, while OpenCV's
    `CAP_PROP_FRAME_COUNT` counts all the stored ones; read alone, a trimmed clip looks damaged.
    """
    import av  # lazy: PyAV (FFmpeg) is loaded by the annotated video's writer anyway

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
    except (av.error.FFmpegError, IndexError):
        return None


class VideoFileSource(Source):
    """Every frame of a video file, in order, with its presentation time.

    `t` is the container's time stamp of each frame (variable-frame-rate phone clips are timed
    right), from the first frame; where the container gives none usable, frame index / fps.
    The first frame is read at opening (a file without one is refused) and delivered first, so
    a one-frame video is one frame. `warnings` says when the file ended before its stated
    length (damaged) or was rotated.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        _check_readable(self.path)
        self._cap = _open_capture(self.path)
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"{self.path}: contains no readable video frames (corrupt or empty)")
        self._first = first
        self._first_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        count, fps = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), _fps(self._cap)
        presented = presented_seconds(self.path)  # a phone's trim keeps the cut frames, skipped by an edit list
        if presented is not None and count > 0:
            count = min(count, math.ceil(presented * fps - 0.01))
        rotation = int(self._cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        self.info = SourceInfo(
            name=str(path), fps=fps, frame_count=count if count > 0 else None,
            size=(first.shape[1], first.shape[0]), rotation=rotation,
        )
        self.frames_read = 0
        if rotation:
            self.warnings.append(f"the video was turned {rotation} degrees as its rotation metadata says (phone recording)")

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        fps = self.info.fps
        image, pos_ms, last_t = self._first, self._first_ms, -1.0
        while image is not None:
            t = (pos_ms - self._first_ms) / 1000.0
            t_index = self.frames_read / fps
            if abs(t - t_index) <= 0.002:  # constant frame rate: the exact value, not the ms-rounded stamp
                t = t_index
            elif not (t > last_t and t - last_t < 10.0):  # no usable time stamp here: one frame on
                t = last_t + 1.0 / fps if last_t >= 0 else 0.0
            last_t = t
            self.frames_read += 1
            yield image, t
            ok, image = self._cap.read()
            image = image if ok else None  # type: ignore[assignment]  # None ends the loop
            pos_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        self._check_complete()

    def _check_complete(self) -> None:
        expected = self.info.frame_count
        if expected and self.frames_read < expected * 0.98 - 1:
            self.warnings.append(
                f"the video stopped after {self.frames_read} of its {expected} frames: the file looks damaged "
                "or cut short; only that part was analysed")

    def close(self) -> None:
        self._cap.release()


class PacedFileSource(Source):
    """A video file played like a camera: at its real frame rate, skipping frames it is late for.

    `t` is the file's own timestamp of each delivered frame, so results match `VideoFileSource`
    whenever the consumer keeps up.
    """

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self._inner = VideoFileSource(path)
        self.info = self._inner.info
        self.warnings = self._inner.warnings  # the same list: damage found while playing shows up here
        self._clock, self._sleep = clock, sleep

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


class CameraSource(Source):
    """A webcam via OpenCV. Raises SourceError when it cannot be opened."""

    def __init__(self, index: int = 0, width: int = 1280, height: int = 720) -> None:
        super().__init__()
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


class PlaylistSource(Source):
    """Several video files played one after another as ONE camera stream, timestamps continuous.

    Args:
        paths: video files, in order.
        paced: play at the real frame rate like a camera (frames dropped when the consumer is late);
            False = every frame, as fast as they are read (tests).
    """

    def __init__(self, paths: Sequence[str | Path], paced: bool = False) -> None:
        super().__init__()
        if not paths:
            raise SourceError("a playlist needs at least one video file")
        kind: type[VideoFileSource | PacedFileSource] = PacedFileSource if paced else VideoFileSource
        self._sources: list[VideoFileSource | PacedFileSource] = []
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
            frame_count=sum(counts) if all(counts) else None, size=infos[0].size,  # type: ignore[arg-type]  # all(counts): no None
        )

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


# The annotated-video writer (H.264 via PyAV) lives in formcoach.video_out; kept importable from here.
from formcoach.video_out import VideoWriter  # noqa: E402,F401
