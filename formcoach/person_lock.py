"""Person lock: follow the person seen first; a pose that jumps to someone else is not judged.

MediaPipe Pose tracks one person. With two people in the picture it may switch between them
from one frame to the next. A real body cannot teleport: between two frames its hip centre moves
a fraction of a torso length and its torso length (its size on screen) changes by a few percent.
A frame whose pose breaks both limits of the last accepted pose, scaled by the time since it,
is another person: it is dropped (the frame is "not judged") and counted. Pure numpy; no cv2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcoach.core import PoseFrame
from formcoach.skeleton import Landmark


@dataclass(frozen=True, slots=True)
class LockConfig:
    """Limits of a plausible move from the last accepted pose, for `dt` seconds since it.

    Attributes:
        jump: hip-centre move allowed at once, in torso lengths (plus `speed` per second).
        speed: hip-centre speed allowed, torso lengths per second.
        scale: |log(torso / torso before)| allowed at once (0.3 = about 35 %), plus `scale_rate` per second.
        scale_rate: size change allowed per second (walking towards the camera).
        forget_s: after this long without any pose (nobody in view), the next pose is taken as the person.
    """

    jump: float = 0.5
    speed: float = 3.0
    scale: float = 0.3
    scale_rate: float = 1.5
    forget_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the locked person was: hip centre (px), torso length (px), when (s)."""

    centre: np.ndarray  # (2,)
    torso: float
    t: float


def anchor_of(frame: PoseFrame) -> Anchor | None:
    """Hip centre and shoulder-to-hip length of a pose; None when hips or shoulders are missing."""
    xy = frame.xy
    hips = xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
    shoulders = xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]]
    if np.isnan(hips).all() or np.isnan(shoulders).all():
        return None
    hip, shoulder = np.nanmean(hips, axis=0), np.nanmean(shoulders, axis=0)
    torso = float(np.hypot(*(shoulder - hip)))
    return Anchor(hip, torso, frame.t) if torso > 1.0 else None


def is_jump(before: Anchor, now: Anchor, config: LockConfig) -> bool:
    """True when `now` cannot be the person of `before` (moved and resized too much at once)."""
    dt = max(now.t - before.t, 0.0)
    moved = float(np.hypot(*(now.centre - before.centre))) / before.torso
    resized = abs(math.log(now.torso / before.torso))
    return moved > config.jump + config.speed * dt or resized > config.scale + config.scale_rate * dt


class PersonLock:
    """`update(pose) -> pose | None`: the pose when it is the locked person, else None.

    Attributes:
        rejected: frames dropped as another person.
        switches: how many times the track jumped to someone else.
        rejected_s: seconds not judged because of that.
    """

    def __init__(self, config: LockConfig | None = None) -> None:
        self.config = config or LockConfig()
        self.reset()

    def reset(self) -> None:
        self._anchor: Anchor | None = None
        self._rejecting = False
        self._last_t: float | None = None
        self.rejected = 0
        self.switches = 0
        self.rejected_s = 0.0

    def update(self, frame: PoseFrame | None) -> PoseFrame | None:
        if frame is None:
            return None
        since_pose = math.inf if self._last_t is None else max(frame.t - self._last_t, 0.0)
        self._last_t = frame.t
        now = anchor_of(frame)
        if now is None:  # nothing to compare: keep the frame, keep the anchor
            return frame
        anchor = self._anchor
        if anchor is not None and since_pose < self.config.forget_s:
            # Following: the person may have moved since the anchor. While someone else is tracked,
            # the person must come back where they were (a frame's worth of movement).
            dt = since_pose if self._rejecting else frame.t - anchor.t
            if is_jump(anchor, Anchor(now.centre, now.torso, anchor.t + dt), self.config):
                self.switches += not self._rejecting
                self._rejecting = True
                self.rejected += 1
                self.rejected_s += since_pose
                return None
        self._rejecting = False
        self._anchor = now
        return frame

    def warning(self) -> str | None:
        """The report's line about it, or None when the track never jumped."""
        if not self.switches:
            return None
        times = "once" if self.switches == 1 else f"{self.switches} times"
        return (f"the pose jumped to another person {times} ({self.rejected_s:.1f} s, {self.rejected} frames): "
                "those frames were not judged; keep others out of the picture")
