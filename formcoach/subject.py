"""Whom the pose model follows: the person filming themselves, the largest one in the picture.

MediaPipe Pose tracks one person: whoever it found first, or found again after losing them. In a
gym or a shared room that may be someone further back, for the whole clip (a bystander 0.6 times the
lifter's height was followed through every frame of two real clips, shared realvids, benchmarks/
realvids.py --perturb bystander). `SubjectPicker` wraps the model: now and then it paints the tracked
person out of the picture and asks a second model whether anyone is left; someone clearly larger
(nearer the camera) on two checks in a row is the one to follow, and the model is shown the picture
without the tracked person until it has found them. Someone else found on enough looks, of any size,
is said in the report (`someone_else_warning`): the person followed may be the wrong one. Pure numpy
besides the two models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from formcoach.core import PoseFrame
from formcoach import geometry
from formcoach.person_lock import Anchor, anchor_of
from formcoach.points import torso_length
from formcoach.skeleton import Landmark, sided

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
        saw_someone_else: on the frame just estimated, None when the rest of the picture was not looked at,
            else whether someone else was found there (of any size: `someone_else_warning`).
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
        self.saw_someone_else: bool | None = None

    def estimate(self, image_bgr: np.ndarray, t: float) -> PoseFrame | None:
        self.moved, self.saw_someone_else = False, None
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
        if box is not None:
            self.saw_someone_else = other is not None
        taller = other is not None and stature(other) >= self.config.larger * stature(pose)
        self._found = self._found + 1 if taller else 0
        if self._found >= self.config.confirm and box is not None:
            self._found, self._hide, self._hide_until = 0, box, t + self.config.steer_s

    def close(self) -> None:
        if self._second is not None:
            self._second.close()
            self._second = None
        self.inner.close()


def someone_else_warning(seen_at: list[float], looks: int) -> str | None:
    """Said when someone else was found on at least 2 looks and a third of them (not one glimpse):
    MediaPipe follows one person and may have followed them. `seen_at`: source times of those looks."""
    if len(seen_at) < 2 or len(seen_at) * 3 < looks:
        return None
    return (f"another person (or a mirror image) was in the picture (first at {seen_at[0]:.1f} s, in "
            f"{len(seen_at)} of {looks} looks): formcoach follows one person and may have followed "
            "them; if the counts look wrong, film with nobody else in view")


def stature(pose: PoseFrame) -> float:
    """Torso (`torso_length`) plus thigh plus shin on screen, pixels (the leg the mean of the sides
    seen); NaN when the torso is not seen. Bending at the hips or knees keeps it."""
    xy = pose.xy
    legs = [float(geometry.distance(xy[sided("hip", s)], xy[sided("knee", s)]) + geometry.distance(xy[sided("knee", s)], xy[sided("ankle", s)]))
            for s in ("left", "right")]
    seen = [leg for leg in legs if np.isfinite(leg)]
    return torso_length(pose) + (float(np.mean(seen)) if seen else 0.0)


def look_elsewhere(image: np.ndarray, pose: PoseFrame, estimator: PoseEstimator, t: float,
                   margin: float) -> tuple[PoseFrame | None, tuple[int, int, int, int] | None]:
    """Someone else in `image`: `pose`'s box (grown by `margin`) painted out, `estimator` (a PoseEstimator)
    asked about the rest. Returns (their pose, or None when nobody is `elsewhere`; the box, or None
    when `pose` has too few landmarks to paint out, and nobody was asked)."""
    box = box_around(pose.xy, image.shape[1], image.shape[0], margin)
    if box is None:
        return None, None
    x0, y0, x1, y1 = box
    rest = image.copy()
    rest[y0:y1, x0:x1] = 0
    other = estimator.estimate(rest, t)
    return (other if other is not None and elsewhere(other, box, anchor_of(pose)) else None), box


def elsewhere(other: PoseFrame, box: tuple[int, int, int, int], tracked: Anchor | None) -> bool:
    """A real second person: a clear pose whose hips and shoulders lie outside the painted-out box
    (a pose made up from the edges of the tracked person's silhouette lies on or in it), at least
    a third of the tracked person's size."""
    here = anchor_of(other)
    if here is None or np.count_nonzero(other.visibility > 0.5) < 12:
        return False
    if tracked is not None and here.size < tracked.size / 3:
        return False
    xy = other.xy
    shoulder = np.nanmean(xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]], axis=0)
    return not any(in_box(p, box) for p in (here.centre, shoulder))


def in_box(point: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether `point` (x, y) lies in `box` (x0, y0, x1, y1), edges included."""
    x0, y0, x1, y1 = box
    return bool(x0 <= point[0] <= x1 and y0 <= point[1] <= y1)


def box_around(xy: np.ndarray, width: int, height: int, margin: float) -> tuple[int, int, int, int] | None:
    """The landmarks' bounding box grown by `margin` of its size on each side, clipped to the image."""
    pts = xy[~np.isnan(xy).any(axis=1)]
    if len(pts) < 4:
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    grow_x, grow_y = (x1 - x0) * margin + 10, (y1 - y0) * margin + 10
    return (int(max(x0 - grow_x, 0)), int(max(y0 - grow_y, 0)),
            int(min(x1 + grow_x, width)), int(min(y1 + grow_y, height)))
