"""Whom the pose model follows: the person filming themselves, the largest one in the picture.

MediaPipe Pose tracks one person: whoever it found first, or found again after losing them. In a
gym or a shared room that may be someone further back, for the whole clip (a bystander 0.6 times the
lifter's height was followed through every frame of two real clips, shared realvids, benchmarks/
realvids.py --perturb bystander). `SubjectPicker` wraps the model: now and then it paints the tracked
person out of the picture and asks a second model whether anyone is left; someone clearly larger
(nearer the camera) on two checks in a row is the one to follow, and the model is shown the picture
without the tracked person until it has found them. Pure numpy besides the two models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from formcoach.core import PoseFrame
from formcoach import geometry
from formcoach.person_lock import anchor_of, in_box, look_elsewhere
from formcoach.points import torso_length
from formcoach.skeleton import sided

if TYPE_CHECKING:
    from formcoach.pose import PoseEstimator


@dataclass(frozen=True, slots=True)
class PickConfig:
    """When to move the model to someone else.

    Attributes:
        every_s: seconds of source time between looks for someone else.
        larger: how much taller (`stature`: torso, thigh and shin lengths on screen, which bending and
            squatting keep, unlike the landmarks' box) the other person must be: 1.2 asks for someone
            clearly nearer the camera.
        confirm: looks in a row that must find them (someone walking past is not followed).
        steer_s: longest the tracked person is painted out while the model looks for the other one.
        margin: the painted-out box around the tracked person's landmarks, share of its size per side.
    """

    every_s: float = 0.5
    larger: float = 1.2
    confirm: int = 2
    steer_s: float = 1.0
    margin: float = 0.25


class SubjectPicker:
    """A pose estimator (`estimate(image, t)`) that keeps `inner` on the largest person in the picture.

    Args:
        inner: the pose model whose frames are returned.
        make_second: builds the model that looks at the rest of the picture (called on the first look).
        config: see `PickConfig`.
    Attributes:
        switches: times the model was moved to a larger person.
        moved: whether it was moved on the frame just estimated (what a recorded track keeps).
    """

    def __init__(self, inner: PoseEstimator, make_second: Callable[[], PoseEstimator], config: PickConfig | None = None) -> None:
        self.inner, self._make_second, self.config = inner, make_second, config or PickConfig()
        self._second: PoseEstimator | None = None
        self._next_look: float | None = None
        self._found = 0  # looks in a row that found a larger person
        self._hide: tuple[int, int, int, int] | None = None  # the box painted out while steering
        self._hide_until = 0.0
        self.switches = 0
        self.moved = False

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        self.moved = False
        picture = image_bgr
        if self._hide is not None:
            x0, y0, x1, y1 = self._hide
            picture = image_bgr.copy()
            picture[y0:y1, x0:x1] = 0
        pose = self.inner.estimate(picture, t)
        if self._hide is not None:
            found = anchor_of(pose) if pose is not None else None
            if found is not None and not in_box(found.centre, self._hide):
                self._hide, self.moved = None, True  # the model follows the other person now
                self.switches += 1
            elif t >= self._hide_until:
                self._hide = None  # nobody else found: back to the whole picture
            return pose
        if pose is not None and (self._next_look is None or t >= self._next_look):
            self._next_look = t + self.config.every_s
            self._look(image_bgr, pose, t)
        return pose

    def _look(self, image: np.ndarray, pose: PoseFrame, t: float) -> None:
        """Paint the tracked person out, ask the second model; steer after `confirm` larger finds."""
        if self._second is None:
            self._second = self._make_second()
        other, box = look_elsewhere(image, pose, self._second, t, self.config.margin)
        taller = other is not None and stature(other) >= self.config.larger * stature(pose)
        self._found = self._found + 1 if taller else 0
        if self._found >= self.config.confirm and box is not None:
            self._found, self._hide, self._hide_until = 0, box, t + self.config.steer_s

    def close(self) -> None:
        if self._second is not None:
            self._second.close()
            self._second = None
        self.inner.close()


def stature(pose: PoseFrame) -> float:
    """Torso (`torso_length`) plus thigh plus shin on screen, pixels (the leg the mean of the sides
    seen); NaN when the torso is not seen. Bending at the hips or knees keeps it."""
    xy = pose.xy
    legs = [float(geometry.distance(xy[sided("hip", s)], xy[sided("knee", s)]) + geometry.distance(xy[sided("knee", s)], xy[sided("ankle", s)]))
            for s in ("left", "right")]
    seen = [leg for leg in legs if np.isfinite(leg)]
    return torso_length(pose) + (float(np.mean(seen)) if seen else 0.0)
