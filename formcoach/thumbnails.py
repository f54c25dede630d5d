"""Session consumer that saves a small JPEG of each form fault at its worst moment.

A fault decided at the end of a rep carries the time of the frame where the measured value was
worst (`Fault.t_s`); the consumer keeps the last `BUFFER_S` seconds of frames, downscaled, and
pictures the one nearest that time. The HTML report embeds `thumbs/fault_XX.jpg`, XX = the fault's
index in report["faults"]. cv2 is imported lazily.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from formcoach.consumer import Consumer
from formcoach.core import Event, Fault, FrameResult, fault_of
from formcoach.report_html import THUMBS_DIR, thumb_name

THUMB_WIDTH_PX = 320
JPEG_QUALITY = 80
#: Seconds of past frames kept to find a fault's worst moment (longer than any rep).
BUFFER_S = 12.0

Draw = Callable[[np.ndarray, FrameResult, Fault], np.ndarray]


def _scaled(result: FrameResult, k: float, size: tuple[int, int]) -> FrameResult:
    """The same result with its pose in the pixels of an image scaled by `k`."""
    if result.pose is None or k == 1.0:
        return result
    return dataclasses.replace(result, pose=dataclasses.replace(result.pose, xy=result.pose.xy * k, image_size=size))


class FaultThumbnails(Consumer):
    """Writes `out_dir/thumbs/fault_{i:02d}.jpg` for the i-th fault of the session.

    The session record lists faults in the order of the events that carry them (`fault_of`), so
    the i-th such event is report["faults"][i]. The picture is the buffered frame nearest the fault's time
    (`Fault.t_s`); events that arrive through `on_events` after the last frame use the buffer too.

    Args:
        out_dir: the session's output folder (the report folder).
        draw: optional annotator `(BGR image (H, W, 3), result, fault) -> BGR image`, e.g.
            `Overlay(spec).draw_fault`; called on the downscaled frame.
    """

    def __init__(self, out_dir: Path, draw: Draw | None = None, buffer_s: float = BUFFER_S) -> None:
        self.dir = Path(out_dir) / THUMBS_DIR
        self.draw = draw
        self.buffer_s = buffer_s
        self.count = 0  # faults seen so far = index of the next one
        self._frames: deque[tuple[np.ndarray, FrameResult]] = deque()
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("fault_*.jpg"):  # stale pictures from an earlier run would be mislabelled
            old.unlink()

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        if image is not None:
            self._frames.append(self._small(image, result))
            while self._frames and self._frames[0][1].t < result.t - self.buffer_s:
                self._frames.popleft()
        self._save(result.events)

    def on_events(self, events: Iterable[Event]) -> None:
        self._save(events)

    def close(self) -> None:
        self._frames.clear()

    def _small(self, image: np.ndarray, result: FrameResult) -> tuple[np.ndarray, FrameResult]:
        import cv2

        h, w = image.shape[:2]
        if w <= THUMB_WIDTH_PX:
            return image.copy(), result
        size = (THUMB_WIDTH_PX, max(1, round(h * THUMB_WIDTH_PX / w)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return small, _scaled(result, THUMB_WIDTH_PX / w, size)

    def _save(self, events: Iterable[Event]) -> None:
        for ev in events:
            fault = fault_of(ev)
            if fault is None:
                continue
            index, self.count = self.count, self.count + 1
            if self._frames:
                image, result = min(self._frames, key=lambda f: abs(f[1].t - fault.t_s))  # noqa: B023  # used at once
                self._write(index, image, result, fault)

    def _write(self, index: int, image: np.ndarray, result: FrameResult, fault: Fault) -> None:
        import cv2

        frame = self.draw(image, result, fault) if self.draw is not None else image
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:  # cv2 only fails on impossible inputs (empty/odd dtype): a programming error
            raise ValueError(f"cannot encode thumbnail {index} of shape {frame.shape}")
        (self.dir / thumb_name(index)).write_bytes(buf.tobytes())
