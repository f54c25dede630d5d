"""SubjectPicker: the pose model is moved to the person nearest the camera, on evidence, and only then.

A fake room holds two people as bright boxes; a fake tracking model follows one of them until its box is
painted out (then it finds whoever is left), as MediaPipe's tracker does; a fake second model finds the
largest person left in a picture.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import SIZE, frame_from_joints, standing_joints

from formcoach.core import PoseFrame
from formcoach.landmarks import NO_LOOK
from formcoach.person_lock import anchor_of
from formcoach.subject import PickConfig, SubjectPicker, someone_else_warning, stature

FPS = 30.0


def person(t: float, ankle_x: float, scale: float) -> PoseFrame:
    """A standing figure `scale` times the synthetic one, feet at `ankle_x`."""
    joints = standing_joints(ankle_x=ankle_x)
    feet = joints["ankle"]
    return frame_from_joints(t, {k: feet + (v - feet) * scale for k, v in joints.items()})


class Room:
    """Who stands where (name -> (ankle_x, scale)), and the picture of them: white where a body is."""

    def __init__(self, people: dict[str, tuple[float, float]], passing: dict[str, tuple[float, float]] | None = None) -> None:
        self.people, self.passing = people, passing or {}  # passing: name -> (from, to) seconds in view

    def pose(self, name: str, t: float) -> PoseFrame:
        return person(t, *self.people[name])

    def picture(self, t: float) -> np.ndarray:
        image = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        for name in self.people:
            if name in self.passing and not self.passing[name][0] <= t <= self.passing[name][1]:
                continue
            for x, y in self.pose(name, t).xy[~np.isnan(self.pose(name, t).xy).any(axis=1)].astype(int):
                image[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = 255
        return image

    def visible(self, name: str, image: np.ndarray, t: float) -> bool:
        """Whether most of `name`'s landmarks are on white (not painted out)."""
        xy = self.pose(name, t).xy
        pts = xy[~np.isnan(xy).any(axis=1)].astype(int)
        return float(np.mean([image[y, x, 0] > 0 for x, y in pts])) > 0.5


class Tracker:
    """Follows `current` while it is in the picture; when it is painted out, takes whoever is left."""

    def __init__(self, room: Room, current: str) -> None:
        self.room, self.current, self.closed = room, current, False

    def estimate(self, image: np.ndarray, t: float) -> PoseFrame | None:
        if not self.room.visible(self.current, image, t):
            left = [n for n in self.room.people if self.room.visible(n, image, t)]
            if not left:
                return None
            self.current = left[0]
        return self.room.pose(self.current, t)

    def close(self) -> None:
        self.closed = True


class Finder(Tracker):
    """The second model: the largest person left in the picture."""

    def estimate(self, image: np.ndarray, t: float) -> PoseFrame | None:
        left = [n for n in self.room.people if self.room.visible(n, image, t)]
        if not left:
            return None
        return self.room.pose(max(left, key=lambda n: self.room.people[n][1]), t)


def run(room: Room, first: str, seconds: float = 3.0, config: PickConfig | None = None):
    inner, second = Tracker(room, first), Finder(room, "")
    picker = SubjectPicker(inner, lambda: second, config)
    poses = [picker.estimate(room.picture(i / FPS), i / FPS) for i in range(int(seconds * FPS))]
    picker.close()
    assert inner.closed and second.closed
    return picker, [None if p is None else round(float(anchor_of(p).centre[0])) for p in poses]


def test_the_model_is_moved_from_someone_further_back_to_the_person_nearest_the_camera():
    room = Room({"far": (120.0, 0.6), "near": (430.0, 1.0)})
    picker, hips = run(room, first="far")
    assert picker.switches == 1
    near_x = round(float(anchor_of(room.pose("near", 0.0)).centre[0]))
    first_near = hips.index(near_x)
    assert 0.4 <= first_near / FPS <= 1.1  # two looks half a second apart found them, then one frame to steer
    assert set(hips[first_near:]) == {near_x}  # and the model stays on them


def test_someone_about_as_tall_or_smaller_is_not_followed():
    for scale in (1.1, 0.7):
        picker, hips = run(Room({"other": (120.0, scale), "me": (430.0, 1.0)}), first="me")
        assert picker.switches == 0 and len(set(hips)) == 1


def test_someone_walking_past_is_not_followed():
    """Someone larger in view for one look only (looks every half second): the model stays on the person."""
    room = Room({"me": (120.0, 0.7), "passer": (430.0, 1.0)}, passing={"passer": (0.4, 0.7)})
    picker, hips = run(room, first="me")
    assert picker.switches == 0 and len(set(hips)) == 1
    picker, _ = run(room, first="me", config=PickConfig(confirm=1))  # one look would have followed them
    assert picker.switches == 1


def test_stature_keeps_a_bending_body_its_size():
    standing = frame_from_joints(0.0, standing_joints(knee=175, trunk=5))
    squatting = frame_from_joints(0.0, standing_joints(knee=90, trunk=45, shin=30))
    assert abs(stature(squatting) / stature(standing) - 1.0) < 0.05
    assert anchor_of(squatting).size / anchor_of(standing).size < 0.85  # the landmarks' box does shrink


def test_an_analysis_follows_the_move_at_once_and_says_so_in_the_report():
    """The person lock takes the new person at once (no second of 'another person' dropped frames)."""
    from formcoach.session import Analysis
    from formcoach.specs import get_spec

    room = Room({"far": (120.0, 0.6), "near": (430.0, 1.0)})
    analysis = Analysis(SubjectPicker(Tracker(room, "far"), lambda: Finder(room, "")), get_spec("squat"))
    for i in range(int(3 * FPS)):
        analysis.update(room.picture(i / FPS), i / FPS)
    assert analysis.lock.rejected == 0 and analysis.lock.switches == 0
    moved, still_there = analysis.warnings
    assert moved == "someone further back was followed at first; formcoach moved to the person nearest the camera (once)"
    assert still_there.startswith("another person (or a mirror image) was in the picture")  # the one further back


@pytest.mark.parametrize("people", [1, 2])
def test_someone_else_in_the_picture_is_said(people: int):
    """Someone else in view the whole set (the person followed may even be the wrong one from the first frame,
    which no jump shows): the looks at the rest of the picture find them, and the report says so."""
    from formcoach.session import Analysis
    from formcoach.specs import get_spec

    room = Room({"me": (430.0, 1.0), **({"other": (120.0, 0.8)} if people == 2 else {})})
    analysis = Analysis(SubjectPicker(Tracker(room, "me"), lambda: Finder(room, "")), get_spec("squat"))
    for i in range(int(3 * FPS)):
        analysis.update(room.picture(i / FPS), i / FPS)
    if people == 1:
        assert analysis.warnings == []
    else:  # a look every half second of 3 s, each finding them; smaller than "me": not followed
        assert analysis.warnings == ["another person (or a mirror image) was in the picture (first at 0.0 s, in 6 of 6 "
                                     "looks): formcoach follows one person and may have followed them; if the counts "
                                     "look wrong, film with nobody else in view"]


def test_a_glimpse_of_someone_else_is_not_a_warning():
    """Found on fewer than 2 looks, or on fewer than a third of them: someone walking past."""
    assert someone_else_warning([1.0], 2) is None
    assert someone_else_warning([1.0, 1.5], 7) is None
    assert someone_else_warning([1.0, 1.5], 6) is not None


def test_a_recorded_move_replays_as_it_happened(tmp_path):
    """The track records the frame of the move; replayed, the lock follows at the same frame and the report
    says the same (no second of 'another person' frames that the live run did not have)."""
    from formcoach.landmarks import LandmarkTrack, TrackBuilder
    from formcoach.pose import ReplayPose
    from formcoach.session import Analysis
    from formcoach.specs import get_spec

    room = Room({"far": (120.0, 0.6), "near": (430.0, 1.0)})
    recorder = TrackBuilder()
    live = Analysis(SubjectPicker(Tracker(room, "far"), lambda: Finder(room, "")), get_spec("squat"), recorder=recorder)
    for i in range(int(3 * FPS)):
        live.update(room.picture(i / FPS), i / FPS)
    recorder.save(tmp_path / "moved.npz")
    track = LandmarkTrack.load(tmp_path / "moved.npz")
    assert track.moved is not None and np.count_nonzero(track.moved) == 1
    assert np.count_nonzero(track.every(2).moved) == 1 and np.count_nonzero(track.every(3).moved) == 1  # kept when dropped
    replay = Analysis(ReplayPose(track), get_spec("squat"))
    for t in track.t:
        replay.update(None, float(t))
    assert replay.lock.rejected == live.lock.rejected == 0
    assert replay.warnings == live.warnings and len(live.warnings) == 2  # the move; the one further back, still there
    assert track.looks is not None and np.count_nonzero(track.looks != NO_LOOK) == 6  # twice a second, whatever happened
    assert track.every(4).looks is not None and np.count_nonzero(track.every(4).looks != NO_LOOK) == 6  # kept when dropped
