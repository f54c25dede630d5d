"""The annotated video: H.264 in MP4 (yuv420p, even size, faststart) that browsers play, via PyAV.

Frames are stamped with the source's own times `t` (a live recording plays at real speed, dropped
frames included), not with a fixed frame rate. PyAV's wheels bundle FFmpeg with libx264, so no
system codec is needed. Imports no mediapipe.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from formcoach.errors import SourceError

#: The annotated video's file name in a session folder, and what report.json says it is.
VIDEO_NAME = "annotated.mp4"
VIDEO_CODEC = "h264"
VIDEO_MIME = 'video/mp4; codecs="avc1.640028"'
#: Timestamps are kept in milliseconds (enough for any camera; what `detect_for_video` uses too).
TIME_BASE = Fraction(1, 1000)
MAX_SIDE_PX = 1280


def output_size(width: int, height: int, max_side: int = MAX_SIDE_PX) -> tuple[int, int]:
    """(width, height) scaled down to at most `max_side` on the long side, both even (yuv420p needs it)."""
    scale = min(1.0, max_side / max(width, height)) if max_side > 0 else 1.0
    w, h = max(2, int(round(width * scale))), max(2, int(round(height * scale)))
    return w - w % 2, h - h % 2


class VideoWriter:
    """Writes BGR frames to an H.264 .mp4, opened lazily on the first frame (its size is known then).

    Args:
        path: the .mp4 to write.
        fps: the source's nominal rate: the encoder's rate hint, and the clock for frames given no `t`.
        max_side: the long side of the output in pixels at most (0 = the source's size, made even).
        crf: x264 quality (lower is better and larger; 23 is x264's default).
    """

    def __init__(self, path: str | Path, fps: float, max_side: int = MAX_SIDE_PX, crf: int = 23) -> None:
        self.path, self.fps, self.max_side, self.crf = Path(path), fps, max_side, crf
        self._container: Any = None  # av.OutputContainer once the first frame sets the size
        self._stream: Any = None
        self._t0: float | None = None
        self._last_pts = -1
        self._held = None  # the last encoded packet, muxed once the next one gives its duration
        self.frames = 0

    def _open(self, width: int, height: int) -> None:
        import av

        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        except (OSError, av.FFmpegError) as exc:
            raise SourceError(f"{self.path}: cannot write video ({exc})") from None
        rate = Fraction(self.fps).limit_denominator(1001) if self.fps > 0 else Fraction(30)
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = output_size(width, height, self.max_side)
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        # No B-frames: with variable frame times, decode order = presentation order keeps every
        # player's timeline (and the file's duration) exact.
        stream.options = {"crf": str(self.crf), "preset": "veryfast", "bf": "0"}
        self._stream = stream

    def write(self, image: np.ndarray, t: float | None = None) -> None:
        """Add one BGR frame (H, W, 3) uint8 shown from `t` seconds (source time; default: index / fps)."""
        import av

        if self._stream is None:
            self._open(image.shape[1], image.shape[0])
        t = self.frames / (self.fps or 30.0) if t is None else t
        self._t0 = t if self._t0 is None else self._t0
        pts = max(int(round((t - self._t0) / TIME_BASE)), self._last_pts + 1)  # strictly increasing
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame = frame.reformat(width=self._stream.width, height=self._stream.height, format="yuv420p")
        frame.pts, frame.time_base = pts, TIME_BASE
        self._last_pts = pts
        self._mux(self._stream.encode(frame))
        self.frames += 1

    def _mux(self, packets, last: bool = False) -> None:
        """Mux packets, each lasting until the next one's time (the last: one nominal frame)."""
        try:
            for packet in packets:
                if self._held is not None:
                    self._held.duration = max(1, packet.pts - self._held.pts)
                    self._container.mux(self._held)
                self._held = packet
            if last and self._held is not None:
                self._held.duration = max(1, int(round(1.0 / (self.fps or 30.0) / TIME_BASE)))
                self._container.mux(self._held)
                self._held = None
        except OSError as exc:  # e.g. the disk is full
            raise SourceError(f"{self.path}: cannot write video ({exc})") from None

    def close(self) -> None:
        """Flush the encoder and finish the file (moov atom first: it plays while downloading)."""
        if self._container is None:
            return
        try:
            self._mux(self._stream.encode(None), last=True)
        finally:
            self._container.close()
            self._container = self._stream = None
