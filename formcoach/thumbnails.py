"""Session consumer that saves a small JPEG of the frame on which each form fault was raised.

The HTML report embeds `thumbs/fault_XX.jpg`, XX = the fault's index in report["faults"]. cv2 is
imported lazily (only when a thumbnail is written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from formcoach.core import CueRaised, Event, FrameResult
from formcoach.report_html import THUMBS_DIR, thumb_name

THUMB_WIDTH_PX = 320
JPEG_QUALITY = 80


class FaultThumbnails:
    """Writes `out_dir/thumbs/fault_{i:02d}.jpg` for the i-th `CueRaised` event of the session.

    Faults are appended to the report in exactly the order `CueRaised` events are emitted, so the
    i-th event is report["faults"][i]. Events that arrive through `on_events` after the last frame
    (a hold closed at the end of the video) reuse the last frame seen.

    Args:
        out_dir: the session's output folder (the report folder).
        draw: optional annotator `(BGR image (H, W, 3), result) -> BGR image`, e.g. `Overlay(spec).draw`.
    """

    def __init__(self, out_dir: Path, draw: Callable[[np.ndarray, FrameResult], np.ndarray] | None = None) -> None:
        self.dir = Path(out_dir) / THUMBS_DIR
        self.draw = draw
        self.count = 0  # CueRaised events seen so far = index of the next fault
        self._last: tuple[np.ndarray, FrameResult] | None = None
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("fault_*.jpg"):  # stale pictures from an earlier run would be mislabelled
            old.unlink()

    def on_frame(self, image: np.ndarray, result: FrameResult) -> None:
        self._last = (image, result)
        self._save(result.events)

    def on_events(self, events: Iterable[Event]) -> None:
        self._save(events)

    def close(self) -> None:
        self._last = None

    def _save(self, events: Iterable[Event]) -> None:
        for ev in events:
            if not isinstance(ev, CueRaised):
                continue
            index, self.count = self.count, self.count + 1
            if self._last is not None:
                self._write(index, *self._last)

    def _write(self, index: int, image: np.ndarray, result: FrameResult) -> None:
        import cv2

        frame = self.draw(image, result) if self.draw is not None else image
        h, w = frame.shape[:2]
        if w > THUMB_WIDTH_PX:
            frame = cv2.resize(frame, (THUMB_WIDTH_PX, max(1, round(h * THUMB_WIDTH_PX / w))), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:  # cv2 only fails on impossible inputs (empty/odd dtype): a programming error
            raise ValueError(f"cannot encode thumbnail {index} of shape {frame.shape}")
        (self.dir / thumb_name(index)).write_bytes(buf.tobytes())
