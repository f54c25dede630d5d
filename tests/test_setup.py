"""Camera setup assistant on synthetic frames: the right problem and message, readiness, no flicker."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from formcoach.core import PoseFrame
from formcoach.setup import ImageStats, ProblemCode, SetupCheck, SetupState, image_stats, needed_points
from formcoach.skeleton import Landmark
from formcoach.specs import get_spec
from synthetic import frame_from_joints, prone_joints, standing_joints

FPS = 30.0
LIT = ImageStats(120.0)


def spec(name: str, **changes):
    s = get_spec(name)
    return dataclasses.replace(s, **changes) if changes else s


def run(check: SetupCheck, make, seconds: float, start: float = 0.0, stats: ImageStats | None = LIT) -> list[SetupState]:
    """Feed `make(t) -> PoseFrame | None` at 30 fps for `seconds`."""
    n = int(round(seconds * FPS))
    return [check.update(start + i / FPS, make(start + i / FPS), stats) for i in range(n)]


def side(t: float, **kw) -> PoseFrame:
    return frame_from_joints(t, standing_joints(**kw))


def front(t: float) -> PoseFrame:
    return frame_from_joints(t, standing_joints(), view="front")


def oblique(t: float, yaw: float = 45.0) -> PoseFrame:
    """A side figure whose world shoulder/hip lines are turned `yaw` degrees (left side nearer)."""
    f = side(t)
    world = f.world.copy()
    half = 0.2 * np.array([math.sin(math.radians(yaw)), 0.0, -math.cos(math.radians(yaw))])
    for left, right in ((Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)):
        world[left], world[right] = half, -half
    return PoseFrame(t, f.image_size, f.xy, world, f.visibility)


def with_visibility(frame: PoseFrame, landmark: Landmark, value: float) -> PoseFrame:
    vis = frame.visibility.copy()
    vis[landmark] = value
    return PoseFrame(frame.t, frame.image_size, frame.xy, frame.world, vis)


def messages(state: SetupState) -> list[str]:
    return [p.message for p in state.problems]


# ---- readiness -----------------------------------------------------------------------------------------


def test_good_side_setup_is_ready_after_one_and_a_half_seconds():
    states = run(SetupCheck(spec("wall_squat")), side, 2.0)
    assert all(not s.problems for s in states)
    first_ready = next(s.t for s in states if s.ready)
    assert first_ready == pytest.approx(1.5, abs=1 / FPS + 1e-9)
    assert all(s.ready for s in states if s.t >= first_ready)
    assert states[-1].view == "side" and states[-1].side == "left"


def test_a_bad_frame_restarts_the_wait_before_ready():
    check = SetupCheck(spec("wall_squat"))
    run(check, side, 1.0)
    check.update(1.0, side(1.0, floor_y=560.0), LIT)  # one frame with the feet cut off
    states = run(check, side, 2.0, start=1.0 + 1 / FPS)
    first_ready = next(s.t for s in states if s.ready)
    assert first_ready == pytest.approx(1.0 + 1 / FPS + 1.5, abs=1 / FPS + 1e-9)


def test_once_ready_a_single_glitch_neither_shows_a_problem_nor_drops_ready():
    check = SetupCheck(spec("wall_squat"))
    run(check, side, 2.0)
    glitch = check.update(2.0, side(2.0, floor_y=560.0), LIT)
    after = run(check, side, 1.0, start=2.0 + 1 / FPS)
    assert glitch.ready and not glitch.problems
    assert all(s.ready and not s.problems for s in after)


def test_flickering_problem_is_shown_steadily_and_cleared_once():
    """A detection that comes and goes every other frame shows one steady message, no blinking."""
    check = SetupCheck(spec("wall_squat"))
    states = run(check, lambda t: side(t, floor_y=560.0) if int(round(t * FPS)) % 2 == 0 else side(t), 2.0)
    shown = [bool(s.problems) for s in states]
    first = shown.index(True)
    assert states[first].t == pytest.approx(0.5, abs=2 / FPS)
    assert all(shown[first:]), "the message blinked"
    assert not any(s.ready for s in states)
    fixed = run(check, side, 2.0, start=2.0)
    cleared = [not s.problems for s in fixed]
    gone = cleared.index(True)
    assert all(cleared[gone:]) and fixed[gone].t - 2.0 == pytest.approx(0.7, abs=2 / FPS)


# ---- what is wrong, in words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exercise, changes, make, code, message",
    [
        ("hip_hinge", {}, front, ProblemCode.WRONG_VIEW, "Turn sideways, so your side faces the camera"),
        ("hip_hinge", {"side": "left"}, front, ProblemCode.WRONG_VIEW, "Turn so your left side faces the camera"),
        ("hip_hinge", {}, oblique, ProblemCode.WRONG_VIEW, "Turn a little more, so your left side faces the camera"),
        ("pull_up", {"views": ("front",)}, side, ProblemCode.WRONG_VIEW, "Face the camera"),
        ("wall_squat", {}, lambda t: side(t, floor_y=520.0), ProblemCode.OUT_OF_FRAME, "Step back: your feet are out of the picture"),
        ("pull_up", {}, lambda t: side(t, floor_y=330.0), ProblemCode.OUT_OF_FRAME, "Step back: your head is out of the picture"),
        ("superman", {}, lambda t: frame_from_joints(t, prone_joints(arm_lift=10.0, hip_x=430.0)), ProblemCode.OUT_OF_FRAME,
         "Move to the middle of the picture: your hands are out of the picture"),
        ("wall_squat", {}, lambda t: with_visibility(side(t), Landmark.LEFT_ANKLE, 0.2), ProblemCode.HIDDEN,
         "I can't see your feet: clear the view"),
    ],
)
def test_problem_and_message(exercise, changes, make, code, message):
    states = run(SetupCheck(spec(exercise, **changes)), make, 1.5)
    last = states[-1]
    assert [p.code for p in last.problems] == [code]
    assert last.message == message
    assert not any(s.ready for s in states)
    assert not states[0].problems  # debounced: nothing shown on the first frame


@pytest.mark.parametrize("make", [front, oblique])
def test_a_wrong_view_does_not_hold_up_a_spec_that_counts_in_3d(make):
    """A wall sit or a deadlift is counted and timed in 3-D, from any angle: the view only decides which
    form checks can be made. The user is told how to turn for them, and counting starts anyway."""
    states = run(SetupCheck(spec("wall_squat")), make, 3.0)
    assert [p.code for p in states[-1].problems] == [ProblemCode.WRONG_VIEW]
    assert states[-1].message.startswith("For the form checks, turn ")
    assert states[-1].ready
    assert not run(SetupCheck(spec("hip_hinge")), make, 3.0)[-1].ready  # counted on a 2-D angle: it waits


def test_a_part_only_the_form_checks_need_does_not_hold_up_counting():
    """A barbell plate hides a deadlifter's feet: the deadlift is counted on the hip angle (shoulder, hip,
    knee), so counting starts, and the user is told the checks that need the feet. A wall sit is timed on
    the knee angle, which needs the ankle: it waits until the feet can be seen."""
    hidden_feet = lambda t: with_visibility(side(t), Landmark.LEFT_ANKLE, 0.2)  # noqa: E731
    deadlift = run(SetupCheck(spec("deadlift")), hidden_feet, 3.0)
    assert [(p.code, p.blocks) for p in deadlift[-1].problems] == [(ProblemCode.HIDDEN, False)]
    assert deadlift[-1].message == "For the form checks, I need to see your feet" and deadlift[-1].ready
    wall_sit = run(SetupCheck(spec("wall_squat")), hidden_feet, 3.0)
    assert wall_sit[-1].message == "I can't see your feet: clear the view" and not wall_sit[-1].ready


def test_right_view_and_whole_body_give_no_problem_for_a_two_view_spec():
    for make in (side, front):
        assert not run(SetupCheck(spec("pull_up")), make, 2.0)[-1].problems


def test_no_person_for_one_second_asks_to_step_in():
    states = run(SetupCheck(spec("superman")), lambda t: None, 1.5)
    assert not any(s.problems for s in states if s.t < 1.0 - 1e-9)
    assert messages(states[-1]) == ["Step into the picture"]
    assert not any(s.ready for s in states)


def test_dark_room_with_level_hysteresis():
    check = SetupCheck(spec("wall_squat"))
    dark = run(check, side, 1.0, stats=ImageStats(20.0))
    assert messages(dark[-1]) == ["More light, please"]
    dim = run(check, side, 1.0, start=1.0, stats=ImageStats(45.0))  # between the two thresholds: still dark
    assert messages(dim[-1]) == ["More light, please"]
    lit = run(check, side, 2.5, start=2.0, stats=ImageStats(60.0))
    assert not lit[-1].problems and lit[-1].ready


def test_most_urgent_problem_first():
    states = run(SetupCheck(spec("wall_squat")), lambda t: None, 1.5, stats=ImageStats(10.0))
    assert messages(states[-1]) == ["More light, please", "Step into the picture"]
    assert states[-1].message == "More light, please"


def test_missing_image_stats_skip_the_light_check():
    assert run(SetupCheck(spec("wall_squat")), side, 2.0, stats=None)[-1].ready


def test_reset_forgets_readiness():
    check = SetupCheck(spec("wall_squat"))
    assert run(check, side, 2.0)[-1].ready
    check.reset()
    assert not check.update(2.0, side(2.0), LIT).ready


# ---- what is checked -------------------------------------------------------------------------------------


def test_needed_points_follow_the_spec_metrics_and_side():
    near = {(n.part, tuple(lm.name for lm in n.landmarks)) for n in needed_points(spec("wall_squat"), "right")}
    assert ("ankle", ("RIGHT_ANKLE",)) in near and ("shoulder", ("RIGHT_SHOULDER",)) in near
    assert not any("LEFT" in name for _, lms in near for name in lms)
    pull = {(n.part, tuple(lm.name for lm in n.landmarks)) for n in needed_points(spec("pull_up"), "left")}
    assert ("wrist", ("LEFT_WRIST", "RIGHT_WRIST")) in pull  # mid_wrist: either hand will do
    assert ("nose", ("NOSE",)) in pull
    assert ("elbow", ("LEFT_ELBOW", "RIGHT_ELBOW")) in pull  # side: mean


@pytest.mark.parametrize("bgr, expected", [((100, 100, 100), 100.0), ((255, 0, 0), 255 * 0.114), ((0, 0, 255), 255 * 0.299)])
def test_image_brightness(bgr, expected):
    image = np.zeros((48, 64, 3), np.uint8) + np.array(bgr, np.uint8)
    assert image_stats(image).brightness == pytest.approx(expected, abs=0.05)


def test_setup_and_workout_modules_load_neither_cv2_nor_mediapipe(heavy_imports):
    assert heavy_imports("formcoach.setup", "formcoach.workout") == []
