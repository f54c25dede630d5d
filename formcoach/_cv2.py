"""Import OpenCV quietly: its own log lines (V4L2 probes, ffmpeg "moov atom not found") would
bury formcoach's one-line errors. Every formcoach module gets cv2 from here."""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")

import cv2  # noqa: E402

__all__ = ["cv2"]
