"""Fast tests of the synthetic-video tool (tools/synth): posing, truth, sidecar, a tiny render."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np
import pytest

from tools.synth import sidecar
from tools.synth.body import JOINT_BONES, forward_kinematics, keypoints, load_body, skin
from tools.synth.clips import CLIPS, plan_clip
from tools.synth.produce import backdrop, render_clip, render_frame
from tools.synth.rig import (Pose, arm_lengths, direction, leg_directions, pose_body, reach_for,
                             rot_x, two_bone_ik)
from tools.synth.truth import elevation, inclination, inner_angle

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "sample_videos"


def _sagittal(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Inner angle at b in an exact side projection (the body's y-z plane)."""
    return float(inner_angle(a[1:], b[1:], c[1:]))


@pytest.fixture(scope="module", params=["male", "female"])
def body(request):
    return load_body(request.param)


def test_skinning_keeps_bone_lengths(body):
    pose = Pose(trunk=70, spine_flex=30, neck_flex=20, thigh=(150.0, 200.0), shin=(200.0, 180.0))
    rest = forward_kinematics(body, {})
    posed = pose_body(body, pose)
    for child in ("lowerleg01.L", "foot.L", "lowerarm01.R", "spine01", "head"):
        c, p = body.bone[child], body.parents[body.bone[child]]
        assert np.linalg.norm(posed.heads[c] - posed.heads[p]) == pytest.approx(
            np.linalg.norm(rest.heads[c] - rest.heads[p]), abs=1e-9)
    # Vertices bound to a single bone move rigidly with it.
    rigid = np.flatnonzero(body.skin_weights[:, 0] > 0.999)[:200]
    bones = body.skin_bones[rigid, 0]
    v = skin(body, posed, rigid)
    before = np.linalg.norm(body.vertices[rigid] - body.heads[bones], axis=1)
    after = np.linalg.norm(v - posed.heads[bones], axis=1)
    np.testing.assert_allclose(after, before, atol=1e-9)


def test_identity_pose_is_the_rest_mesh(body):
    np.testing.assert_allclose(skin(body, forward_kinematics(body, {})), body.vertices, atol=1e-12)


@pytest.mark.parametrize("knee,lean", [(172.0, 3.0), (120.0, 15.0), (90.0, 0.0), (60.0, 30.0)])
def test_posed_knee_angle_equals_requested(body, knee, lean):
    th, sh = leg_directions(knee, lean)
    kp = keypoints(body, pose_body(body, Pose(thigh=(th, th), shin=(sh, sh))))
    assert _sagittal(kp["left_hip"], kp["left_knee"], kp["left_ankle"]) == pytest.approx(knee, abs=1e-6)
    # The 3D angle differs only by the rest pose's small sideways splay.
    assert float(inner_angle(kp["left_hip"], kp["left_knee"], kp["left_ankle"])) == pytest.approx(knee, abs=3)


@pytest.mark.parametrize("flex", [0.0, 20.0, 35.0])
def test_spine_flexion_keeps_the_hip_shoulder_line(body, flex):
    kp = keypoints(body, pose_body(body, Pose(trunk=80.0, spine_flex=flex)))
    hips = (kp["left_hip"] + kp["right_hip"]) / 2
    shoulders = (kp["left_shoulder"] + kp["right_shoulder"]) / 2
    assert float(inclination(hips, shoulders)) == pytest.approx(80.0, abs=0.5)


def test_arm_ik_gives_the_requested_elbow_angle(body):
    l1, l2 = arm_lengths(body, "L")
    shoulder = np.array([0.2, 0.0, 1.4])
    target = shoulder + reach_for(l1, l2, 110.0) * np.array([0.0, -0.6, 0.8])
    up, fo = two_bone_ik(shoulder, target, l1, l2, np.array([1.0, 0.0, 0.0]))
    elbow = shoulder + l1 * up
    np.testing.assert_allclose(elbow + l2 * fo, target, atol=1e-9)
    assert float(inner_angle(shoulder, elbow, target)) == pytest.approx(110.0, abs=1e-6)


@pytest.mark.parametrize("a,b,c,want", [
    ((1, 0), (0, 0), (0, 1), 90.0), ((1, 0), (0, 0), (-1, 0), 180.0), ((1, 1), (0, 0), (1, 1), 0.0)])
def test_inner_angle_table(a, b, c, want):
    assert float(inner_angle(np.array(a, float), np.array(b, float), np.array(c, float))) == pytest.approx(want)


def test_elevation_and_inclination_conventions():
    # Image rows grow downwards: b above a means smaller y.
    assert float(elevation(np.array([0.0, 0.0]), np.array([-10.0, -10.0]))) == pytest.approx(45.0)
    assert float(elevation(np.array([0.0, 0, 0]), np.array([1.0, 0, -1]))) == pytest.approx(-45.0)
    assert float(inclination(np.array([0.0, 10.0]), np.array([0.0, 0.0]))) == pytest.approx(0.0)
    assert float(inclination(np.array([0.0, 0, 0]), direction(90.0))) == pytest.approx(90.0)
    np.testing.assert_allclose(rot_x(90) @ np.array([0, 0, 1.0]), [0, -1, 0], atol=1e-12)


def test_joint_bones_exist(body):
    assert all(b in body.bone for b in JOINT_BONES.values())


def test_tiny_render_and_sidecar(tmp_path):
    spec = next(c for c in CLIPS if c.name == "hip_hinge_good")
    plan = dataclasses.replace(plan_clip(spec), duration=0.2, reps=[])  # 6 frames, before any rep
    mp4, js = render_clip(plan, tmp_path)
    assert mp4.stat().st_size > 1000
    data = json.loads(js.read_text())
    assert sidecar.validate(data) == []
    assert data["frame_count"] == 6 and len(data["frames"]["knee_2d"]) == 6
    frame, truth = render_frame(plan, backdrop(plan), 0.0)
    assert frame.shape == (480, 640, 3) and frame.std() > 10
    again, _ = render_frame(plan, backdrop(plan), 0.0)
    assert np.array_equal(frame, again)  # deterministic
    # The person is drawn: pixels around the projected hip differ from the empty room.
    x, y = truth.points_2d["left_hip"].astype(int)
    empty = dataclasses.replace(plan, body=None, stage=None)
    room, _ = render_frame(empty, backdrop(empty), 0.0)
    assert np.abs(frame[y - 3:y + 4, x - 3:x + 4].astype(int) - room[y - 3:y + 4, x - 3:x + 4]).mean() > 5


def test_sidecar_validation_reports_problems():
    bad = {"exercise": "yoga"}
    assert any("missing key" in e for e in sidecar.validate(bad))


def test_clip_table_is_consistent():
    names = [c.name for c in CLIPS]
    assert len(names) == len(set(names))
    for c in CLIPS:
        assert c.exercise in sidecar.EXERCISES
        assert set(c.faults) <= set(sidecar.FAULT_IDS)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_committed_sidecars_validate(path):
    data = json.loads(path.read_text())
    assert sidecar.validate(data) == []
    assert path.with_suffix(".mp4").exists()
    assert path.stat().st_size < 400_000
