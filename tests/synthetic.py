"""Synthetic landmark sequences with known answers: a 2D stick figure posed by joint angles.

No rendering and no model: these drive the analysis modules directly, fast. The figure faces
image-right, seen from its left side (left landmarks near and fully visible, right ones a few
pixels behind and less visible) — the geometry a side-on camera sees.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, Mapping

import numpy as np

from formcoach.core import PoseFrame
from formcoach.skeleton import NUM_LANDMARKS, Landmark, sided

SIZE = (640, 480)
SHIN, THIGH, TRUNK, NECK, UPPER_ARM, FOREARM = 95.0, 100.0, 120.0, 35.0, 70.0, 65.0


def _unit(deg_from_up: float) -> np.ndarray:
    """Unit vector `deg` from image-up, positive towards image-right (the way the figure faces)."""
    r = math.radians(deg_from_up)
    return np.array([math.sin(r), -math.cos(r)])


def frame_from_joints(t: float, joints: Mapping[str, np.ndarray], far_offset: tuple[float, float] = (-6.0, -3.0),
                      far_visibility: float = 0.7, view: str = "side") -> PoseFrame:
    """PoseFrame from near-side joint positions (`hip`, `knee`, ..., `nose`, `ear`).

    `view="front"` spreads left/right apart by a shoulder/hip width instead (a front view).
    """
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    vis = np.zeros(NUM_LANDMARKS)
    for part, p in joints.items():
        if part in ("nose",):
            xy[Landmark.NOSE], vis[Landmark.NOSE] = p, 0.99
            continue
        near, far = sided(part, "left"), sided(part, "right")
        if view == "front":
            half = 45.0 if part in ("shoulder", "elbow", "wrist", "ear", "eye") else 30.0
            xy[near], xy[far] = p + (half, 0.0), p - (half, 0.0)
            vis[near] = vis[far] = 0.99
        else:
            xy[near], xy[far] = p, p + np.asarray(far_offset)
            vis[near], vis[far] = 0.99, far_visibility
    world = np.full((NUM_LANDMARKS, 3), np.nan)
    finite = np.all(np.isfinite(xy), axis=1)
    world[finite, :2] = (xy[finite] - xy[finite].mean(axis=0)) / 300.0
    world[finite, 2] = 0.0
    for lm in Landmark:
        if view != "front" and finite[lm] and lm.name.startswith("RIGHT_"):
            world[lm, 2] = 0.15  # far side: deeper
    return PoseFrame(t=t, image_size=SIZE, xy=xy, world=world, visibility=vis)


def standing_joints(knee: float = 175.0, trunk: float = 5.0, shin: float = 0.0, ankle_x: float = 330.0,
                    floor_y: float = 430.0, arm: float = 180.0, elbow: float = 180.0, head_drop: float = 0.0) -> dict[str, np.ndarray]:
    """Joints of a figure standing/hinging/squatting, from angles in degrees.

    Args:
        knee: inner knee angle (180 = straight).
        trunk: hip→shoulder from vertical, + = leaning forward (towards image-right).
        shin: ankle→knee from vertical, + = knee forward.
        arm: shoulder→elbow direction from image-up (180 = hanging straight down).
        elbow: inner elbow angle.
        head_drop: neck bend forward relative to the trunk, degrees.
    """
    ankle = np.array([ankle_x, floor_y])
    knee_p = ankle + SHIN * _unit(shin)
    thigh_dir = shin - (180.0 - knee)  # thigh swings backwards as the knee bends
    hip = knee_p + THIGH * _unit(thigh_dir)
    shoulder = hip + TRUNK * _unit(trunk)
    ear = shoulder + NECK * _unit(trunk + head_drop)
    nose = ear + 12.0 * _unit(trunk + head_drop + 90.0)
    elbow_p = shoulder + UPPER_ARM * _unit(arm)
    wrist = elbow_p + FOREARM * _unit(arm + (180.0 - elbow))
    heel = ankle + np.array([-12.0, 8.0])
    toe = ankle + np.array([22.0, 10.0])
    return {"ankle": ankle, "knee": knee_p, "hip": hip, "shoulder": shoulder, "ear": ear, "eye": ear + (6.0, -3.0),
            "nose": nose, "elbow": elbow_p, "wrist": wrist, "heel": heel, "foot_index": toe}


def prone_joints(arm_lift: float = 0.0, leg_lift: float = 0.0, floor_y: float = 400.0, hip_x: float = 300.0) -> dict[str, np.ndarray]:
    """A figure lying face down, head to image-right; arms reach forward, lifted `arm_lift`° and legs `leg_lift`°."""
    hip = np.array([hip_x, floor_y - 20.0])
    shoulder = hip + (TRUNK, 0.0)
    arm_dir = np.array([math.cos(math.radians(arm_lift)), -math.sin(math.radians(arm_lift))])
    leg_dir = np.array([-math.cos(math.radians(leg_lift)), -math.sin(math.radians(leg_lift))])
    elbow_p = shoulder + UPPER_ARM * arm_dir
    wrist = elbow_p + FOREARM * arm_dir
    knee_p = hip + THIGH * leg_dir
    ankle = knee_p + SHIN * leg_dir
    ear = shoulder + (NECK, -5.0)
    return {"ankle": ankle, "knee": knee_p, "hip": hip, "shoulder": shoulder, "ear": ear, "eye": ear + (6.0, -3.0),
            "nose": ear + (10.0, 6.0), "elbow": elbow_p, "wrist": wrist, "heel": ankle + (-4.0, -10.0),
            "foot_index": ankle + (-16.0, 6.0)}


def keyframes(points: list[tuple[float, float]], fps: float = 30.0) -> Iterator[tuple[float, float]]:
    """(t, value) samples at `fps`, linearly interpolated between (time, value) keyframes."""
    times, values = zip(*points)
    n = int(round(times[-1] * fps)) + 1
    for i in range(n):
        t = i / fps
        yield t, float(np.interp(t, times, values))


def sequence(points: list[tuple[float, float]], make: Callable[[float], dict[str, np.ndarray]], fps: float = 30.0,
             noise_px: float = 0.0, seed: int = 0, view: str = "side") -> list[tuple[float, PoseFrame | None]]:
    """Frames of a figure whose one driving angle follows the keyframes; optional pixel noise."""
    rng = np.random.default_rng(seed)
    out: list[tuple[float, PoseFrame | None]] = []
    for t, value in keyframes(points, fps):
        joints = make(value)
        if noise_px:
            joints = {k: v + rng.normal(0.0, noise_px, 2) for k, v in joints.items()}
        out.append((t, frame_from_joints(t, joints, view=view)))
    return out


def run(spec, frames: list[tuple[float, PoseFrame | None]]):
    """Evaluate frames with a spec (no pose model, no smoothing); the session record built from its events."""
    from formcoach.evaluator import Evaluator
    from formcoach.session import SessionRecorder

    ev, recorder = Evaluator(spec), SessionRecorder(spec)
    for t, frame in frames:
        recorder.on_frame(None, ev.update(t, frame))
    recorder.on_events(ev.finish(recorder.end_t))
    return recorder.finish()
