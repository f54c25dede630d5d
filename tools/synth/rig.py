"""Posing: a small sagittal description of a posture (`Pose`) turned into bone rotations.

Angles are degrees in the body frame's sagittal plane. A segment *direction* angle θ is measured
from straight up towards the front (+90 = pointing forward, 180 = down, 190 = down and slightly
back). Rotations about the body's left-right axis (x) keep the lateral splay of the rest pose, so
the side-projected angles equal the requested ones exactly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from tools.synth.body import Body, Posed, forward_kinematics

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
NECK = ("neck01", "neck02", "neck03", "head")
SIDES = (("L", 1.0), ("R", -1.0))


def rot_x(deg: float) -> np.ndarray:
    """Rotation about +x; positive turns 'up' towards 'forward' (-y)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about +z (yaw, counter-clockwise seen from above)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def rot_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction u onto direction v."""
    u = u / np.linalg.norm(u)
    v = v / np.linalg.norm(v)
    c = float(u @ v)
    w = np.cross(u, v)
    s = np.linalg.norm(w)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        axis = np.cross(u, [1.0, 0, 0]) if abs(u[0]) < 0.9 else np.cross(u, [0, 1.0, 0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    k = w / s
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * K + (1 - c) * (K @ K)


def sagittal_angle(v: np.ndarray) -> float:
    """Direction angle of a body-frame vector in the sagittal plane (0 up, +90 forward)."""
    return float(np.degrees(np.arctan2(-v[1], v[2])))


def direction(theta: float) -> np.ndarray:
    """Unit sagittal vector for a direction angle."""
    a = np.radians(theta)
    return np.array([0.0, -np.sin(a), np.cos(a)])


@dataclass(frozen=True)
class Pose:
    """A posture in the body frame.

    Attributes:
        trunk: direction of the hip→shoulder line (0 upright, 90 bent forward to level).
        spine_flex: total flexion over the five spine bones (+ rounds the back forward).
        neck_flex: head/neck flexion relative to the chest (+ chin down, - head up).
        thigh, shin: (left, right) direction angles of hip→knee and knee→ankle.
        foot: (left, right) extra foot pitch relative to the shin-following rest foot (+ toes down).
        upper_arm, forearm: (left, right) body-frame direction vectors, or None for the rest A-pose.
    """

    trunk: float = 0.0
    spine_flex: float = 0.0
    neck_flex: float = 0.0
    thigh: tuple[float, float] = (180.0, 180.0)
    shin: tuple[float, float] = (180.0, 180.0)
    foot: tuple[float, float] = (0.0, 0.0)
    upper_arm: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)
    forearm: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RestAngles:
    """Rest direction angles of the leg segments and rest arm vectors, per side."""

    thigh: dict[str, float]
    shin: dict[str, float]
    upper_arm: dict[str, np.ndarray]
    forearm: dict[str, np.ndarray]
    trunk_line: float


@functools.lru_cache(maxsize=None)
def rest_angles(body: Body) -> RestAngles:
    """Measure the rest pose once per body."""
    h = {n: body.heads[i] for n, i in body.bone.items()}
    thigh, shin, ua, fa = {}, {}, {}, {}
    for s, _ in SIDES:
        thigh[s] = sagittal_angle(h[f"lowerleg01.{s}"] - h[f"upperleg01.{s}"])
        shin[s] = sagittal_angle(h[f"foot.{s}"] - h[f"lowerleg01.{s}"])
        ua[s] = h[f"lowerarm01.{s}"] - h[f"upperarm01.{s}"]
        fa[s] = h[f"wrist.{s}"] - h[f"lowerarm01.{s}"]
    return RestAngles(thigh, shin, ua, fa, _trunk_line(body, 0.0))


def _mid(body: Body, heads: np.ndarray, a: str, b: str) -> np.ndarray:
    return (heads[body.bone[a]] + heads[body.bone[b]]) / 2


def _trunk_line(body: Body, spine_flex: float) -> float:
    """Hip→shoulder direction angle with an upright pelvis and the given spine flexion."""
    rots = _trunk_rotations(0.0, spine_flex, 0.0)
    p = forward_kinematics(body, rots)
    return sagittal_angle(_mid(body, p.heads, "upperarm01.L", "upperarm01.R")
                          - _mid(body, p.heads, "upperleg01.L", "upperleg01.R"))


def _trunk_rotations(pelvis: float, spine_flex: float, neck_flex: float) -> dict[str, np.ndarray]:
    rots = {"root": rot_x(pelvis)}
    for i, b in enumerate(SPINE, start=1):
        rots[b] = rot_x(pelvis + spine_flex * i / len(SPINE))
    for i, b in enumerate(NECK, start=1):
        rots[b] = rot_x(pelvis + spine_flex + neck_flex * i / len(NECK))
    return rots


def pose_rotations(body: Body, pose: Pose) -> dict[str, np.ndarray]:
    """Global bone rotations (body frame) realising `pose`."""
    rest = rest_angles(body)
    # The pelvis absorbs the spine flexion so the hip→shoulder line keeps the requested angle.
    offset = _trunk_line(body, pose.spine_flex) if pose.spine_flex else rest.trunk_line
    rots = _trunk_rotations(pose.trunk - offset, pose.spine_flex, pose.neck_flex)
    for k, (s, _) in enumerate(SIDES):
        thigh = rot_x(pose.thigh[k] - rest.thigh[s])
        shin = rot_x(pose.shin[k] - rest.shin[s])
        rots[f"upperleg01.{s}"] = thigh
        rots[f"lowerleg01.{s}"] = shin
        rots[f"foot.{s}"] = rot_x(pose.foot[k])
        if pose.upper_arm is not None and pose.forearm is not None:
            r1 = rot_between(rest.upper_arm[s], pose.upper_arm[k])
            r2 = rot_between(r1 @ rest.forearm[s], pose.forearm[k]) @ r1
            rots[f"upperarm01.{s}"] = r1
            rots[f"lowerarm01.{s}"] = r2
    return rots


def pose_body(body: Body, pose: Pose) -> Posed:
    """Posed skeleton in the body frame (root at its rest position)."""
    return forward_kinematics(body, pose_rotations(body, pose))


def arm_lengths(body: Body, side: str) -> tuple[float, float]:
    """Upper arm and forearm lengths (shoulder→elbow, elbow→wrist)."""
    h = body.heads
    s, e, w = (body.bone[f"{n}.{side}"] for n in ("upperarm01", "lowerarm01", "wrist"))
    return float(np.linalg.norm(h[e] - h[s])), float(np.linalg.norm(h[w] - h[e]))


def two_bone_ik(shoulder: np.ndarray, target: np.ndarray, l1: float, l2: float,
                pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper arm and forearm unit directions reaching `target` (clamped), elbow towards `pole`."""
    d_vec = target - shoulder
    d = float(np.clip(np.linalg.norm(d_vec), abs(l1 - l2) + 1e-4, (l1 + l2) * (1 - 1e-6)))
    u = d_vec / np.linalg.norm(d_vec)
    a = (l1 ** 2 - l2 ** 2 + d ** 2) / (2 * d)
    r = np.sqrt(max(l1 ** 2 - a ** 2, 0.0))
    v = pole - (pole @ u) * u
    v /= np.linalg.norm(v)
    elbow = shoulder + a * u + r * v
    wrist = shoulder + d * u
    up = (elbow - shoulder) / l1
    fo = (wrist - elbow) / np.linalg.norm(wrist - elbow)
    return up, fo


def elbow_angle_for(l1: float, l2: float, d: float) -> float:
    """Inner elbow angle (degrees) when shoulder and wrist are `d` apart."""
    c = (l1 ** 2 + l2 ** 2 - d ** 2) / (2 * l1 * l2)
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))))


def reach_for(l1: float, l2: float, elbow_deg: float) -> float:
    """Shoulder–wrist distance giving the inner elbow angle `elbow_deg`."""
    return float(np.sqrt(l1 ** 2 + l2 ** 2 - 2 * l1 * l2 * np.cos(np.radians(elbow_deg))))


def leg_directions(knee_deg: float, shin_lean: float) -> tuple[float, float]:
    """(thigh, shin) direction angles for a knee angle and a forward shin lean (knee ahead of ankle)."""
    shin = 180.0 + shin_lean
    return shin - (180.0 - knee_deg), shin
