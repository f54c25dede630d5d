"""Motion generators: keyframed exercise parameters over time, and per-exercise posing.

A clip's motion is a `Track` (cosine-eased keyframes of named parameters, plus seeded smooth
sway) and a `stage_*` function that turns one set of parameter values into a posed, placed body
in the world (metres, +z up, floor z = 0, the person faces world -y).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from tools.synth.body import Body, Posed, forward_kinematics, keypoints, skin, transform, translate
from tools.synth.rig import (Pose, SIDES, arm_lengths, direction, leg_directions, pose_rotations,
                             reach_for, rot_x, two_bone_ik)

Params = Mapping[str, float]


# --------------------------------------------------------------------------- timelines
@dataclass(frozen=True)
class Key:
    """Parameter values reached at time `t` (seconds), approached with easing `ease`.

    `ease`: "cos" (starts and stops gently), "linear" (constant speed) or "out"
    (arrives at full speed... and stops gently: starts fast).
    """

    t: float
    values: Params
    ease: str = "cos"


def _ease(kind: str, s: float) -> float:
    if kind == "linear":
        return s
    if kind == "out":
        return float(np.sin(np.pi / 2 * s))
    return float(0.5 - 0.5 * np.cos(np.pi * s))


@dataclass(frozen=True)
class Sway:
    """Smooth seeded noise added to parameters: name -> (amplitudes, freqs Hz, phases)."""

    terms: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @staticmethod
    def make(rng: np.random.Generator, amplitudes: Params) -> Sway:
        """Three sinusoids per parameter with random slow frequencies (0.15–0.6 Hz)."""
        terms = {}
        for name, amp in amplitudes.items():
            terms[name] = (amp * rng.uniform(0.3, 0.6, 3), rng.uniform(0.15, 0.6, 3),
                           rng.uniform(0, 2 * np.pi, 3))
        return Sway(terms)

    def at(self, t: float) -> dict[str, float]:
        """Noise values at time t."""
        return {k: float(np.sum(a * np.sin(2 * np.pi * f * t + p))) for k, (a, f, p) in self.terms.items()}


@dataclass(frozen=True)
class Track:
    """Cosine-eased interpolation between keyframes; values hold before the first/after the last."""

    keys: tuple[Key, ...]
    sway: Sway = Sway()

    def at(self, t: float) -> dict[str, float]:
        """All parameter values at time t (keyframes plus sway)."""
        ks = self.keys
        i = int(np.searchsorted([k.t for k in ks], t, side="right"))
        if i == 0:
            vals = dict(ks[0].values)
        elif i == len(ks):
            vals = dict(ks[-1].values)
        else:
            a, b = ks[i - 1], ks[i]
            s = (t - a.t) / (b.t - a.t) if b.t > a.t else 1.0
            w = _ease(b.ease, s)
            vals = {n: (1 - w) * a.values[n] + w * b.values.get(n, a.values[n]) for n in a.values}
        for n, v in self.sway.at(t).items():
            vals[n] = vals.get(n, 0.0) + v
        return vals


@dataclass(frozen=True)
class Rep:
    """One movement cycle: leaves the start posture, turns at `bottom`, returns at `end`."""

    start: float
    bottom: float
    end: float
    counted: bool = True
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tempo:
    """Seeded timing ranges (seconds) for a rep sequence."""

    move: tuple[float, float] = (2.4, 3.6)  # down + up
    down_fraction: tuple[float, float] = (0.45, 0.55)
    turn: tuple[float, float] = (0.2, 0.4)  # time spent at the turn (bottom hold)
    pause: tuple[float, float] = (0.7, 1.3)  # between reps, at the start posture


def rep_keys(rng: np.random.Generator, t0: float, start: Params, turns: list[Params],
             tempo: Tempo, flags: list[tuple[bool, tuple[str, ...]]],
             returns: list[Params] | None = None) -> tuple[list[Key], list[Rep], float]:
    """Keyframes for a rep sequence starting at t0; returns (keys, reps, end time).

    `turns[i]` is the posture at rep i's turn; `returns[i]` where rep i comes back to
    (default: `start`).
    """
    keys, reps, t = [Key(t0, start)], [], t0
    for i, turn in enumerate(turns):
        move = rng.uniform(*tempo.move)
        down = move * rng.uniform(*tempo.down_fraction)
        hold = rng.uniform(*tempo.turn)
        back = returns[i] if returns else start
        t1, t2, t3 = t + down, t + down + hold, t + move + hold
        keys += [Key(t1, turn), Key(t2, turn), Key(t3, back)]
        reps.append(Rep(round(t, 3), round((t1 + t2) / 2, 3), round(t3, 3), *flags[i]))
        t = t3
        if i < len(turns) - 1:
            t += rng.uniform(*tempo.pause)
            keys.append(Key(t, back))
    return keys, reps, t


# --------------------------------------------------------------------------- staging
@dataclass(frozen=True, eq=False)
class Staged:
    """A posed body placed in the world, plus scalar truths that are not joint angles."""

    posed: Posed
    vertices: np.ndarray  # (V,3)
    extras: Mapping[str, float]


def _sides_map(f: Callable[[str, float], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return f("L", 1.0), f("R", -1.0)


def _with_arms(body: Body, pose: Pose, posed: Posed, targets: tuple[np.ndarray, np.ndarray],
               poles: tuple[np.ndarray, np.ndarray], shift: np.ndarray) -> Posed:
    """Re-pose with arms reaching world `targets` (body frame = world up to `shift`)."""
    ups, fores = [], []
    for k, (s, _) in enumerate(SIDES):
        l1, l2 = arm_lengths(body, s)
        sh = posed.heads[body.bone[f"upperarm01.{s}"]] + shift
        up, fo = two_bone_ik(sh, targets[k], l1, l2, poles[k])
        ups.append(up)
        fores.append(fo)
    arms = Pose(**{**pose.__dict__, "upper_arm": tuple(ups), "forearm": tuple(fores)})
    return translate(forward_kinematics(body, pose_rotations(body, arms)), shift)


def _finish(body: Body, posed: Posed, extras: Mapping[str, float] | None = None) -> Staged:
    return Staged(posed, skin(body, posed), dict(extras or {}))


def _ankle_height(body: Body) -> float:
    return float(body.heads[body.bone["foot.L"], 2] - body.vertices[:, 2].min())


def stage_standing(body: Body, p: Params) -> Staged:
    """Hip hinge family (and walking in): feet planted, hands on hips or hanging.

    Params: trunk, flex, neck, knee, shin_lean, y (position along world y), walk (gait
    amplitude 0–1), gait (gait phase, radians), hands (0 hanging … 1 on hips).
    """
    walk = p.get("walk", 0.0)
    th, sh = leg_directions(p["knee"], p.get("shin_lean", 5.0))
    thighs, shins = [th, th], [sh, sh]
    for k, off in enumerate((0.0, np.pi)):
        g = p.get("gait", 0.0) + off
        t_dir = th - walk * 22 * np.sin(g)
        knee = p["knee"] - walk * 50 * max(0.0, np.sin(g + 1.2)) ** 2
        thighs[k] = t_dir
        shins[k] = t_dir + 180 - knee
    pose = Pose(trunk=p["trunk"], spine_flex=p.get("flex", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=tuple(thighs), shin=tuple(shins))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    low = ankles[:, 2].min()
    shift = np.array([-ankles[:, 0].mean(), p.get("y", 0.0) - ankles[:, 1].mean(),
                      _ankle_height(body) - low])
    root_rot = posed.rotations[body.bone["root"]]
    hands = p.get("hands", 1.0)
    swing = walk * 25 * np.sin(p.get("gait", 0.0))

    def target(s: str, sign: float) -> np.ndarray:
        hip = posed.heads[body.bone[f"upperleg01.{s}"]] + shift
        on_hip = hip + root_rot @ np.array([sign * 0.075, 0.0, 0.11])
        sh = posed.heads[body.bone[f"upperarm01.{s}"]] + shift
        l1, l2 = arm_lengths(body, s)
        hang_dir = direction(180 + sign * swing) + np.array([sign * 0.12, 0, 0])
        hang = sh + reach_for(l1, l2, 165) * hang_dir / np.linalg.norm(hang_dir)
        return (1 - hands) * hang + hands * on_hip

    targets = _sides_map(target)
    poles = _sides_map(lambda s, sign: root_rot @ np.array([sign * 1.0, 0.9 * hands + 0.3, 0.0]))
    posed = _with_arms(body, pose, posed, targets, poles, shift)
    return _finish(body, posed, {"spine_flex": p.get("flex", 0.0)})


def solve_wall_legs(body: Body, knee: float, reach: float) -> tuple[float, float]:
    """(thigh, shin) directions with the ankle `reach` m in front of the hip for a knee angle."""
    h = body.heads
    l1 = float(np.linalg.norm((h[body.bone["lowerleg01.L"]] - h[body.bone["upperleg01.L"]])[1:]))
    l2 = float(np.linalg.norm((h[body.bone["foot.L"]] - h[body.bone["lowerleg01.L"]])[1:]))
    lo, hi = -60.0, 60.0  # shin lean bracket
    for _ in range(50):
        mid = (lo + hi) / 2
        th, sh = leg_directions(knee, mid)
        fwd = l1 * np.sin(np.radians(th)) + l2 * np.sin(np.radians(sh))
        lo, hi = (mid, hi) if fwd > reach else (lo, mid)
    return leg_directions(knee, (lo + hi) / 2)


def stage_wall_squat(body: Body, p: Params) -> Staged:
    """Back against a wall behind the person (world +y), feet a step forward, hands on thighs.

    Params: knee, trunk, reach (ankle ahead of hip, m).
    """
    th, sh = solve_wall_legs(body, p["knee"], p.get("reach", 0.40))
    pose = Pose(trunk=p["trunk"], thigh=(th, th), shin=(sh, sh), neck_flex=p.get("neck", 0.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    shift = np.array([-ankles[:, 0].mean(), -ankles[:, 1].mean(), _ankle_height(body) - ankles[:, 2].min()])

    def target(s: str, sign: float) -> np.ndarray:
        hip = posed.heads[body.bone[f"upperleg01.{s}"]]
        knee = posed.heads[body.bone[f"lowerleg01.{s}"]]
        normal = direction(th - 90)  # out of the front/top of the thigh
        return hip + 0.62 * (knee - hip) + 0.10 * normal + np.array([sign * 0.03, 0, 0]) + shift

    targets = _sides_map(target)
    poles = _sides_map(lambda s, sign: np.array([sign * 1.0, 0.6, -0.2]))
    posed = _with_arms(body, pose, posed, targets, poles, shift)
    return _finish(body, posed)


@dataclass(frozen=True)
class Bar:
    """A pull-up bar along world x at (y, z); hands grip at ±grip m from x = 0."""

    y: float = 0.0
    z: float = 2.25
    grip: float = 0.40
    wrist_drop: float = 0.045  # wrist centre below the bar axis (bar across the palm)
    elbows_out: float = 0.6  # sideways part of the elbow direction (forward is 1)

    def wrist(self, sign: float) -> np.ndarray:
        """Wrist target for the hand on side `sign` (+1 = left = +x)."""
        return np.array([sign * self.grip, self.y, self.z - self.wrist_drop])


def hang_shoulder_z(body: Body, bar: Bar, elbow: float, dy: float) -> float:
    """Shoulder height (world z) that gives inner elbow angle `elbow` in a hang below `bar`."""
    l1, l2 = arm_lengths(body, "L")
    sx = float(body.heads[body.bone["upperarm01.L"], 0])
    d = reach_for(l1, l2, elbow)
    return float(bar.z - bar.wrist_drop - np.sqrt(max(d ** 2 - (bar.grip - sx) ** 2 - dy ** 2, 1e-6)))


def top_shoulder_z(body: Body, bar: Bar, chin_gap: float, neck: float) -> float:
    """Shoulder height putting the chin `chin_gap` m above the bar axis (negative = below)."""
    posed = forward_kinematics(body, pose_rotations(body, Pose(neck_flex=neck)))
    kp = keypoints(body, posed)
    return float(bar.z + chin_gap - (kp["chin"][2] - kp["left_shoulder"][2]))


def stage_pull_up(body: Body, p: Params, bar: Bar) -> Staged:
    """Hanging from `bar`: shoulders at height `sz`, arms solved to the grip, whole body swung.

    Params: sz (shoulder height), dy (shoulders behind the bar, m), trunk, hip (thigh
    direction), knee, neck, swing (degrees about the bar axis, + = feet forward).
    """
    th = p.get("hip", 180.0)
    sh = th + 180 - p.get("knee", 165.0)
    pose = Pose(trunk=p.get("trunk", 0.0), neck_flex=p.get("neck", 0.0), thigh=(th, th),
                shin=(sh, sh), foot=(25.0, 25.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    shoulders = posed.heads[[body.bone["upperarm01.L"], body.bone["upperarm01.R"]]]
    shift = np.array([-shoulders[:, 0].mean(), bar.y + p.get("dy", 0.0) - shoulders[:, 1].mean(),
                      p["sz"] - shoulders[:, 2].mean()])
    targets = (bar.wrist(1.0), bar.wrist(-1.0))
    poles = _sides_map(lambda s, sign: np.array([sign * bar.elbows_out, -1.0, -0.5]))
    posed = _with_arms(body, pose, posed, targets, poles, shift)
    centre = np.array([0.0, bar.y, bar.z])
    rot = rot_x(-p.get("swing", 0.0))
    posed = transform(translate(posed, -centre), rot, centre)
    staged = _finish(body, posed)
    chin = keypoints(body, posed)["chin"]
    return Staged(staged.posed, staged.vertices, {"chin_above_bar_m": float(chin[2] - bar.z),
                                                  "swing_deg": p.get("swing", 0.0)})


def stage_prone(body: Body, p: Params, floor_z: float = 0.006) -> Staged:
    """Lying face down along world y (head towards -y), resting on the floor/mat.

    Params: arm (arm direction above the body line, deg), leg (thigh lift, deg), chest
    (spine extension, deg), neck, y (pelvis position along world y).
    """
    arm, leg = p["arm"], p["leg"]
    up = direction(-arm)
    arms = tuple(up + np.array([s * 0.16, 0, 0]) for _, s in SIDES)
    th = 180 + leg
    # The chest lifts off the floor: the hip→shoulder line extends and the spine arches.
    pose = Pose(trunk=-p.get("chest", 0.0), spine_flex=-0.5 * p.get("chest", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=(th, th), shin=(th + 4, th + 4), foot=(65.0, 65.0),
                upper_arm=arms, forearm=arms)
    posed = forward_kinematics(body, pose_rotations(body, pose))
    lay = rot_x(90.0)
    posed = transform(posed, lay, np.zeros(3))
    verts = skin(body, posed)
    pelvis = posed.heads[body.bone["root"]]
    shift = np.array([-pelvis[0], p.get("y", 0.0) - pelvis[1], floor_z - verts[:, 2].min()])
    return Staged(translate(posed, shift), verts + shift, {})
