"""Person lock: follow the person seen first; a pose that jumps to someone else is not judged.

MediaPipe Pose tracks one person. With two people in the picture it may switch between them
from one frame to the next. A real body cannot teleport: between two frames its hip centre moves
a fraction of its size on screen (the extent of its landmarks). A pose whose hip centre is further
from the last accepted one than that allows, for the time since, is another person: it is dropped
(the frame is "not judged") and counted. (A size change alone does not make someone else: the size of
the landmarks seen, when some come and go on a hard pose, flickers 2-3x between frames of one person.) When the new pose goes on
moving like one body for a second, it is taken as the person (the track stays on someone else, or
the first pose was a wrong one); the report still says the track jumped.

A body cannot turn over in an instant either: a pose whose torso (hips to shoulders, on screen)
points more than `max_turn_deg` away from the last accepted one's is a wrong pose (the model read
a lifter at the bottom of a squat, legs out of the picture, upside down for five frames): that
frame is dropped and the lock goes on following the person.

Nor can a body shrink to a fraction of itself: a pose smaller than `min_size_share` of the largest
accepted in the last second is the skeleton folded onto something else (a lifter filmed close behind a
barbell plate, mv_bad_04: the whole skeleton drawn on the plate's hub at 0.20-0.26 of the body, reading a
straight hip). That frame is dropped too. (Over a second a real body keeps half its size or more, standing
to the floor included: 0.51 and up on the shared real footage, 0.61 on the renders. Frame to frame the
size of all 33 landmarks, which the model always places, changes by 0.75-1.3.) A pose that stays that
small for `adopt_s` is taken as the person. Pure numpy; no cv2.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from formcoach.core import PoseFrame
from formcoach.skeleton import Landmark


@dataclass(frozen=True, slots=True)
class LockConfig:
    """Limits of a plausible move from the last accepted pose, for `dt` seconds since it.

    Attributes:
        jump: hip-centre move allowed at once, in body sizes (the larger of the two poses'), plus
            `speed` per second.
        speed: hip-centre speed allowed, body sizes per second.
        forget_s: after this long without any pose (nobody in view), the next pose is taken as the person.
        adopt_s: a new pose that moves like one body for this long is taken as the person (the first
            anchor may have been a wrong pose, e.g. the tracker still on the previous video's person).
        max_turn_deg: torso turn allowed between two accepted poses, degrees (lying down from
            standing is 90; more than this is a body read upside down).
        min_size_share: a pose smaller than this share of the largest accepted in the last
            `size_window_s` seconds is a skeleton the model collapsed onto something else (see `shrank`).
        size_window_s: seconds of accepted poses `min_size_share` compares with.
    """

    jump: float = 0.4
    speed: float = 2.0
    forget_s: float = 2.0
    adopt_s: float = 1.0
    max_turn_deg: float = 120.0
    min_size_share: float = 0.35
    size_window_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the locked person was: hip centre (px), body size (px: diagonal of the landmarks' box), when (s),
    and which way the torso pointed (unit vector hips → shoulders on screen; None when not seen)."""

    centre: np.ndarray  # (2,)
    size: float
    t: float
    torso: np.ndarray | None = None  # (2,)


MIN_LANDMARKS = 8  # fewer seen: too little to say where the body is


def anchor_of(frame: PoseFrame) -> Anchor | None:
    """Hip centre and body size of a pose; None when the hips or most landmarks are missing."""
    xy = frame.xy
    hips = xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
    pts = xy[~np.isnan(xy).any(axis=1)]
    if np.isnan(hips).all() or len(pts) < MIN_LANDMARKS:
        return None
    size = float(np.hypot(*(pts.max(axis=0) - pts.min(axis=0))))
    if size <= 1.0:
        return None
    centre = np.nanmean(hips, axis=0)
    shoulders = xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]]
    torso = None
    if not np.isnan(shoulders).all():
        along = np.nanmean(shoulders, axis=0) - centre
        length = float(np.hypot(*along))
        torso = along / length if length > 1.0 else None
    return Anchor(centre, size, frame.t, torso)


def is_jump(before: Anchor, now: Anchor, config: LockConfig) -> bool:
    """True when `now` cannot be the person of `before`: its hips moved too far for the time between,
    or its torso turned over."""
    dt = max(now.t - before.t, 0.0)
    moved = float(np.hypot(*(now.centre - before.centre))) / max(before.size, now.size)
    return moved > config.jump + config.speed * dt or turned_over(before, now, config)


def turned_over(before: Anchor, now: Anchor, config: LockConfig) -> bool:
    """True when the torso points more than `max_turn_deg` away from before (both seen)."""
    if before.torso is None or now.torso is None:
        return False
    cos = float(np.clip(np.dot(before.torso, now.torso), -1.0, 1.0))
    return math.degrees(math.acos(cos)) > config.max_turn_deg


def shrank(sizes: deque[tuple[float, float]], now: Anchor, config: LockConfig) -> bool:
    """True when `now` is smaller than `min_size_share` of the largest accepted size of the last
    `size_window_s` seconds (`sizes`: (t, size) of accepted poses, oldest first)."""
    recent = [size for t, size in sizes if now.t - t <= config.size_window_s]
    return bool(recent) and now.size < config.min_size_share * max(recent)


class PersonLock:
    """`update(pose) -> pose | None`: the pose when it is the locked person, else None.

    Attributes:
        rejected: frames dropped as another person.
        switches: how many times the track jumped to someone else.
        rejected_s: seconds not judged because of that.
        turned: frames dropped as the person's body read turned over (a wrong pose).
    """

    def __init__(self, config: LockConfig | None = None) -> None:
        self.config = config or LockConfig()
        self.reset()

    def reset(self) -> None:
        self._anchor: Anchor | None = None
        self._candidate: Anchor | None = None  # the last rejected pose
        self._candidate_since = 0.0
        self._rejecting = False
        self._last_t: float | None = None
        self.rejected = 0
        self.switches = 0
        self.rejected_s = 0.0
        self.turned = 0
        self.collapsed = 0
        self._sizes: deque[tuple[float, float]] = deque()  # (t, size) of accepted poses, the last size_window_s

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
            if turned_over(anchor, now, self.config) and not self._adopt(now):
                self.turned += 1  # a wrong pose of the same person: dropped, the lock keeps following
                return None
            if shrank(self._sizes, now, self.config) and not self._adopt(now):
                self.collapsed += 1  # the skeleton folded onto a plate or a shadow: dropped, likewise
                return None
            dt = since_pose if self._rejecting else frame.t - anchor.t
            if is_jump(anchor, Anchor(now.centre, now.size, anchor.t + dt, now.torso), self.config) and not self._adopt(now):
                self.switches += not self._rejecting
                self._rejecting = True
                self.rejected += 1
                self.rejected_s += since_pose
                return None
        self._rejecting = False
        self._anchor, self._candidate = now, None
        self._sizes.append((now.t, now.size))
        while self._sizes and now.t - self._sizes[0][0] > self.config.size_window_s:
            self._sizes.popleft()
        return frame

    def retarget(self) -> None:
        """The model was moved to someone else on purpose (`formcoach.subject`): the next pose is the person."""
        self._anchor, self._candidate, self._rejecting = None, None, False
        self._sizes.clear()

    def _adopt(self, now: Anchor) -> bool:
        """True once the rejected poses have moved like one body for `adopt_s` (then they are the person)."""
        if self._candidate is None or is_jump(self._candidate, now, self.config):
            self._candidate_since = now.t
        self._candidate = now
        return now.t - self._candidate_since >= self.config.adopt_s

    def warning(self) -> str | None:
        """The report's line about it, or None when the track never jumped."""
        if not self.switches:
            return None
        times = "once" if self.switches == 1 else f"{self.switches} times"
        return (f"the pose jumped to another person {times} ({self.rejected_s:.1f} s, {self.rejected} frames): "
                "those frames were not judged; keep others out of the picture")
