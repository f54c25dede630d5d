"""Floor and quadruped exercises (issue 4): aquaman, reverse arm swing, cobra, bird dog, prone back
extension, prone leg raise, cat-cow, plank.

Stages: `stage_floor_prone` (lying face down with per-side arms and legs, optional hands planted
under the shoulders), `stage_quadruped` (hands and knees, per-side arm/leg extension, spine
flexion), `stage_forearm_plank` (forearms and toes, hip sag/pike, knees-down rest). Tables
(CLIPS, BUILDERS, ANGLES, FAULTS, HOLD_RULES, HOLD_TARGET_S, SCENES, LEVELS) are merged by
`tools.synth.clips`.

World frame as in `motion`: metres, +z up, floor z = 0; a lying person's head points to world -y,
and the `floor_side` camera looks at the person's left side (image left = head).
"""

from __future__ import annotations

import functools

import numpy as np

from tools.synth import motion as mo
from tools.synth.body import Body, Posed, forward_kinematics, keypoints, skin, transform, translate
from tools.synth.clips import ClipSpec
from tools.synth.rig import SIDES, Pose, arm_lengths, pose_rotations, reach_for, rot_x, two_bone_ik
from tools.synth.scene import Room, bench, box
from tools.synth.truth import AngleDef

FLOOR_Z = 0.006  # the mat's top surface (m)
LAY = rot_x(90.0)  # standing body frame -> face down: body up -> world -y, body front -> world down


# --------------------------------------------------------------------------- helpers
def _arm_ik(body: Body, pose: Pose, posed: Posed, targets: dict[str, np.ndarray],
            poles: dict[str, np.ndarray], rot: np.ndarray, shift: np.ndarray) -> Posed:
    """Re-pose the arms of a body-frame `pose` so that, after x -> rot @ x + shift, the wrists of
    the sides in `targets` reach those world points (elbows towards world `poles`).

    Sides not in `targets` keep the pose's arm directions.
    """
    ups = list(pose.upper_arm) if pose.upper_arm is not None else [None, None]
    fores = list(pose.forearm) if pose.forearm is not None else [None, None]
    for k, (s, _) in enumerate(SIDES):
        if s not in targets:
            continue
        l1, l2 = arm_lengths(body, s)
        sh = posed.heads[body.bone[f"upperarm01.{s}"]]
        tgt = rot.T @ (targets[s] - shift)
        up, fo = two_bone_ik(sh, tgt, l1, l2, rot.T @ poles[s])
        ups[k], fores[k] = up, fo
    arms = Pose(**{**pose.__dict__, "upper_arm": tuple(ups), "forearm": tuple(fores)})
    return forward_kinematics(body, pose_rotations(body, arms))


def _arm_dir(sweep: float, lift: float, sign: float) -> np.ndarray:
    """Body-frame arm direction of a face-down person: `sweep` in the frontal plane (0 = along
    the body towards the feet, 90 = out to the side, 180 = overhead), tilted `lift` degrees
    towards the back (off the floor once lying)."""
    a, e = np.radians(sweep), np.radians(lift)
    d0 = np.array([sign * np.sin(a), 0.0, -np.cos(a)])
    return np.cos(e) * d0 + np.sin(e) * np.array([0.0, 1.0, 0.0])


def _sided(p: dict[str, float], name: str, side: str, default: float) -> float:
    return p.get(f"{name}{side}", p.get(name, default))


# --------------------------------------------------------------------------- prone
@functools.lru_cache(maxsize=None)
def _planted_hands(body: Body) -> dict[str, np.ndarray]:
    """World wrist targets under the shoulders (slightly outside) of the body lying flat."""
    staged = stage_floor_prone(body, {"chest": 0.0, "sweep": 8.0})
    kp = keypoints(body, staged.posed)
    out = {}
    for s, sign in SIDES:
        sh = kp["left_shoulder" if s == "L" else "right_shoulder"]
        out[s] = np.array([sh[0] + sign * 0.07, sh[1] + 0.03, FLOOR_Z + 0.035])
    return out


def stage_floor_prone(body: Body, p: mo.Params) -> mo.Staged:
    """Lying face down along world y (head towards -y), on the mat.

    Params (a trailing L/R makes it per side, e.g. `legL`; the bare name sets both):
        chest: spine extension lifting the chest (hip→shoulder line above the floor, deg).
        neck: head flexion (+ chin down).
        sweep, lift: arm direction (see `_arm_dir`); elbow: inner elbow angle (180 straight).
        leg: thigh lift off the floor (deg); knee: inner knee angle.
        plant: 1 = wrists planted on the floor under the shoulders (cobra), IK-solved.
        y: pelvis position along world y.
    """
    chest = p.get("chest", 0.0)
    ups, fores, thighs, shins = [], [], [], []
    for s, sign in SIDES:
        d = _arm_dir(_sided(p, "sweep", s, 8.0), _sided(p, "lift", s, 0.0), sign)
        bend = 180.0 - _sided(p, "elbow", s, 178.0)
        # Elbow bend turns the forearm towards the back (up once lying).
        fore = d * np.cos(np.radians(bend)) + np.array([0.0, 1.0, 0.0]) * np.sin(np.radians(bend))
        ups.append(d)
        fores.append(fore / np.linalg.norm(fore))
        th = 180.0 + _sided(p, "leg", s, -2.0)
        thighs.append(th)
        shins.append(th + (180.0 - _sided(p, "knee", s, 176.0)))
    pose = Pose(trunk=-chest, spine_flex=-0.5 * chest, neck_flex=p.get("neck", 0.0),
                thigh=(thighs[0], thighs[1]), shin=(shins[0], shins[1]), foot=(65.0, 65.0),
                upper_arm=(ups[0], ups[1]), forearm=(fores[0], fores[1]))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    lay_posed = transform(posed, LAY, np.zeros(3))
    verts = skin(body, lay_posed)
    pelvis = lay_posed.heads[body.bone["root"]]
    if p.get("plant", 0.0) > 0:
        # Place the body by the torso and legs only (arms are solved afterwards).
        arm_bones = {body.bone[f"{n}.{s}"] for n in ("upperarm01", "lowerarm01", "wrist") for s in "LR"}
        not_arm = ~np.isin(body.skin_bones[:, 0], list(arm_bones))
        low = verts[not_arm, 2].min()
    else:
        low = verts[:, 2].min()
    shift = np.array([-pelvis[0], p.get("y", 0.0) - pelvis[1], FLOOR_Z - low])
    if p.get("plant", 0.0) > 0:
        targets = _planted_hands(body)
        poles = {s: np.array([sign * 0.35, 0.4, 1.0]) for s, sign in SIDES}  # elbows back and up
        posed = _arm_ik(body, pose, posed, targets, poles, LAY, shift)
        lay_posed = transform(posed, LAY, np.zeros(3))
        verts = skin(body, lay_posed)
    return mo.Staged(translate(lay_posed, shift), verts + shift, {})


# --------------------------------------------------------------------------- quadruped
KNEE_R = 0.05  # knee joint centre above the floor when kneeling (m)
WRIST_Z = 0.035  # wrist joint centre above the floor with the palm down (m)


def _quad_pose(body: Body, trunk: float, p: mo.Params) -> Pose:
    thighs, shins = [], []
    for s, _ in SIDES:
        ext = _sided(p, "legx", s, 0.0)
        th = 180.0 + ext * (90.0 + p.get("leg_elev", 0.0))
        knee = 90.0 + ext * (p.get("ext_knee", 178.0) - 90.0)
        thighs.append(th)
        shins.append(th + (180.0 - knee))
    # Foot rotations are global: follow the shin, then point the toes 65 deg (insteps on the mat).
    feet = tuple(sh - 180.0 + 65.0 for sh in shins)
    return Pose(trunk=trunk, spine_flex=p.get("flex", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=(thighs[0], thighs[1]), shin=(shins[0], shins[1]), foot=(feet[0], feet[1]))


@functools.lru_cache(maxsize=None)
def _quad_trunk(body: Body) -> float:
    """Trunk direction putting the shoulders one straight arm above the floor with knees down."""
    l1, l2 = arm_lengths(body, "L")
    want = reach_for(l1, l2, 176.0) + WRIST_Z
    lo, hi = 50.0, 100.0
    for _ in range(40):
        mid = (lo + hi) / 2
        posed = forward_kinematics(body, pose_rotations(body, _quad_pose(body, mid, {})))
        knee_z = posed.heads[body.bone["lowerleg01.L"], 2]
        sh_z = posed.heads[body.bone["upperarm01.L"], 2] - knee_z + KNEE_R
        lo, hi = (mid, hi) if sh_z > want else (lo, mid)  # larger trunk = lower shoulders
    return (lo + hi) / 2


def stage_quadruped(body: Body, p: mo.Params) -> mo.Staged:
    """On hands and knees, facing world -y; knees and hands on the mat.

    Params: flex (spine flexion: + rounds the back = cat, - arches = cow), neck (+ head down),
    armxL/armxR (0 supporting … 1 reaching forward), arm_elev (elevation of a reaching arm, deg),
    legxL/legxR (0 kneeling … 1 stretched back), leg_elev (elevation of a stretched leg, deg),
    ext_knee (knee angle of a stretched leg), y.
    """
    trunk = _quad_trunk(body) + p.get("tilt", 0.0)
    pose = _quad_pose(body, trunk, p)
    posed = forward_kinematics(body, pose_rotations(body, pose))
    knees = posed.heads[[body.bone["lowerleg01.L"], body.bone["lowerleg01.R"]]]
    hips = posed.heads[[body.bone["upperleg01.L"], body.bone["upperleg01.R"]]]
    shift = np.array([-hips[:, 0].mean(), p.get("y", 0.0) - hips[:, 1].mean(), KNEE_R - knees[:, 2].min()])
    targets, poles = {}, {}
    for s, sign in SIDES:
        l1, l2 = arm_lengths(body, s)
        sh = posed.heads[body.bone[f"upperarm01.{s}"]] + shift
        ext = _sided(p, "armx", s, 0.0)
        phi = np.radians(-90.0 * (1 - ext) + p.get("arm_elev", 0.0) * ext)
        direction = np.array([sign * 0.05 * (1 - ext), -np.cos(phi), np.sin(phi)])
        direction /= np.linalg.norm(direction)
        tgt = sh + reach_for(l1, l2, 176.0) * direction
        tgt[2] = max(tgt[2], WRIST_Z)
        targets[s] = tgt
        poles[s] = np.array([sign * 0.3, 1.0, 0.2])  # elbows point back (soft elbows)
    posed = _arm_ik(body, pose, posed, targets, poles, np.eye(3), shift)
    posed = translate(posed, shift)
    return mo.Staged(posed, skin(body, posed), {"spine_flex": p.get("flex", 0.0)})


# --------------------------------------------------------------------------- forearm plank
def _plank_pose(p: mo.Params) -> Pose:
    """Standing-frame posture of a plank before it is pitched onto the floor.

    `up` 0 = knees down (hips bent 50 deg, knees 95 deg), 1 = straight plank; `bend` = hip
    extension in the plank (+ hips sag, - hips pike, deg).
    """
    up = p.get("up", 1.0)
    bend = p.get("bend", 0.0)
    th = 180.0 + up * bend - (1 - up) * 50.0
    knee = 95.0 + up * (p.get("knee", 178.0) - 95.0)
    return Pose(trunk=0.0, neck_flex=p.get("neck", 0.0), thigh=(th, th), shin=(th + 180 - knee,) * 2,
                foot=((1 - up) * 60.0,) * 2)


def stage_forearm_plank(body: Body, p: mo.Params) -> mo.Staged:
    """Forearm plank facing world -y: elbows under the shoulders, forearms and toes (or knees) on
    the mat. The whole posture is pitched forward until the shoulders sit one upper arm above the
    mat and the lowest point of the legs touches it.

    Params: up (0 knees down … 1 plank), bend (+ hips sag / - pike, deg), knee, neck, y.
    """
    pose = _plank_pose(p)
    l1, l2 = arm_lengths(body, "L")
    shoulder_z = l1 + 0.045
    base = forward_kinematics(body, pose_rotations(body, pose))
    b = body.bone
    foot_ids = np.array([body.landmark_vertices[n] for n in ("left_foot_index", "right_foot_index")])

    def place(pitch: float) -> tuple[Posed, np.ndarray, float]:
        posed = transform(base, rot_x(pitch), np.zeros(3))
        sh = (posed.heads[b["upperarm01.L"]] + posed.heads[b["upperarm01.R"]]) / 2
        shift = np.array([-sh[0], p.get("y", 0.0) - sh[1], shoulder_z - sh[2]])
        knees = posed.heads[[b["lowerleg01.L"], b["lowerleg01.R"]], 2] + shift[2] - KNEE_R
        toes = skin(body, posed, foot_ids)[:, 2] + shift[2] - 0.012
        return posed, shift, float(min(knees.min(), toes.min()))

    lo, hi = 40.0, 100.0  # more pitch = body more level = legs higher
    for _ in range(36):
        mid = (lo + hi) / 2
        _, _, low = place(mid)
        lo, hi = (lo, mid) if low > 0 else (mid, hi)
    pitch = (lo + hi) / 2
    posed, shift, _ = place(pitch)
    rot = rot_x(pitch)
    targets, poles = {}, {}
    for s, sign in SIDES:
        sh = posed.heads[b[f"upperarm01.{s}"]] + shift
        targets[s] = np.array([sh[0] - sign * 0.06, sh[1] - 0.9 * arm_lengths(body, s)[1], WRIST_Z])
        poles[s] = np.array([sign * 0.2, 0.3, -1.0])  # elbows down to the mat
    posed = _arm_ik(body, pose, forward_kinematics(body, pose_rotations(body, pose)), targets, poles, rot, shift)
    posed = translate(transform(posed, rot, np.zeros(3)), shift)
    return mo.Staged(posed, skin(body, posed), {"hip_bend_deg": p.get("bend", 0.0) * p.get("up", 1.0)})


# --------------------------------------------------------------------------- motion plans
def _seq(rng: np.random.Generator, rest: dict, steps: list[tuple[float, dict]], sway: dict,
         t0: float | None = None) -> tuple[mo.Track, list[float], float]:
    """Keyframes: `rest` until t0 (idle 1.8-2.2 s), then each (duration, values) step in turn.

    Returns the track, the time each step ends, and the end of the last step.
    """
    t = float(rng.uniform(1.8, 2.2)) if t0 is None else t0
    keys, ends = [mo.Key(0.0, rest), mo.Key(t, rest)], []
    for dur, vals in steps:
        t += dur
        keys.append(mo.Key(t, {**rest, **vals}))
        ends.append(t)
    return mo.Track(tuple(keys), mo.Sway.make(rng, sway)), ends, t


def _end(rng: np.random.Generator, t: float) -> float:
    return t + float(rng.uniform(1.8, 2.1))


def _aquaman(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    hold = v.get("hold", 3.6)
    rest = dict(sweep=178.0, liftL=-7.0, liftR=-7.0, legL=-2.0, legR=-2.0, chest=0.0, neck=0.0)
    up_a = dict(liftR=22.0, legL=16.0, chest=6.0, neck=-8.0)  # right arm + left leg
    up_b = dict(liftL=22.0, legR=16.0, chest=6.0, neck=-8.0)  # left arm + right leg
    steps = [(0.9, up_a), (hold, up_a), (0.9, {}), (0.7, {}), (0.9, up_b), (hold, up_b), (0.9, {})]
    track, _, t = _seq(rng, rest, steps, {"liftL": 1.0, "liftR": 1.0, "legL": 0.8, "legR": 0.8, "neck": 2.0})
    return track.at, stage_floor_prone, [], _end(rng, t), {"level": v.get("level")}


def _reverse_arm_swing(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    reach = v.get("reach", 172.0)
    rest = dict(sweep=6.0, lift=6.0, chest=4.0, neck=-4.0)
    top = dict(rest, sweep=reach, lift=10.0)
    turns = [dict(top, sweep=reach + float(rng.uniform(-3, 3))) for _ in range(spec.reps)]
    flags = [(reach >= 150, () if reach >= 150 else ("too_shallow",)) for _ in turns]
    tempo = mo.Tempo(move=(2.6, 3.2), turn=(0.3, 0.5), pause=(0.5, 0.8))
    keys, reps, t_end = mo.rep_keys(rng, float(rng.uniform(1.8, 2.2)), rest, turns, tempo, flags)
    track = mo.Track((mo.Key(0.0, rest), *keys), mo.Sway.make(rng, {"lift": 1.5, "neck": 2.0}))
    return track.at, stage_floor_prone, reps, _end(rng, t_end), {}


def _cobra(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    rest = dict(chest=0.0, plant=1.0, neck=10.0, leg=-2.0)
    top = dict(rest, chest=v.get("chest", 34.0), neck=-14.0, leg=v.get("leg", -2.0))
    turns = [dict(top) for _ in range(spec.reps)]
    hold = v.get("hold", 3.5)
    flags = [(True, tuple(spec.faults)) for _ in turns]
    tempo = mo.Tempo(move=(2.2, 2.6), turn=(hold, hold + 0.2), pause=(0.6, 0.9))
    keys, reps, t_end = mo.rep_keys(rng, float(rng.uniform(1.6, 1.9)), rest, turns, tempo, flags)
    track = mo.Track((mo.Key(0.0, rest), *keys), mo.Sway.make(rng, {"chest": 1.0, "neck": 2.0}))
    return track.at, stage_floor_prone, reps, _end(rng, t_end) - 0.2, {"level": v.get("level")}


def _prone_back_extension(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    rest = dict(sweep=172.0, lift=-6.0, chest=0.0, neck=6.0, leg=-2.0)
    top = dict(rest, chest=v.get("chest", 24.0), lift=14.0, neck=-8.0, leg=v.get("leg", -2.0))
    turns = [dict(top, chest=top["chest"] + float(rng.uniform(-2, 2))) for _ in range(spec.reps)]
    flags = [(True, tuple(spec.faults)) for _ in turns]
    tempo = mo.Tempo(move=(2.2, 2.8), turn=(0.4, 0.7), pause=(0.5, 0.9))
    keys, reps, t_end = mo.rep_keys(rng, float(rng.uniform(1.8, 2.2)), rest, turns, tempo, flags)
    track = mo.Track((mo.Key(0.0, rest), *keys), mo.Sway.make(rng, {"chest": 0.8, "neck": 2.0, "lift": 1.0}))
    return track.at, stage_floor_prone, reps, _end(rng, t_end), {}


def _prone_leg_raise(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    rest = dict(sweep=8.0, lift=0.0, chest=0.0, neck=4.0, leg=-2.0, knee=176.0)
    top = dict(rest, leg=v.get("leg", 16.0), knee=v.get("knee", 176.0))
    hold = v.get("hold", 3.4)
    turns = [dict(top, leg=top["leg"] + float(rng.uniform(-1.5, 1.5))) for _ in range(spec.reps)]
    flags = [(True, tuple(spec.faults)) for _ in turns]
    tempo = mo.Tempo(move=(1.8, 2.2), turn=(hold, hold + 0.2), pause=(0.6, 0.9))
    keys, reps, t_end = mo.rep_keys(rng, float(rng.uniform(1.6, 1.9)), rest, turns, tempo, flags)
    track = mo.Track((mo.Key(0.0, rest), *keys), mo.Sway.make(rng, {"leg": 0.6, "neck": 2.0}))
    return track.at, stage_floor_prone, reps, _end(rng, t_end) - 0.2, {}


def _cat_cow(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    cat = v.get("cat", 32.0)
    rest = dict(flex=0.0, neck=0.0)
    cow = dict(flex=-22.0, neck=-22.0)
    catp = dict(flex=cat, neck=28.0 * cat / 32.0)
    t = float(rng.uniform(1.8, 2.1))
    keys = [mo.Key(0.0, rest), mo.Key(t, rest)]
    t += 1.3
    keys.append(mo.Key(t, cow))
    reps = []
    for _ in range(spec.reps):
        start = t
        t += float(rng.uniform(1.3, 1.5))
        keys.append(mo.Key(t, catp))
        bottom = t
        t += float(rng.uniform(0.3, 0.5))
        keys.append(mo.Key(t, catp))
        t += float(rng.uniform(1.3, 1.5))
        keys.append(mo.Key(t, cow))
        reps.append(mo.Rep(round(start, 3), round(bottom, 3), round(t, 3), cat >= 25,
                           () if cat >= 25 else ("too_shallow",)))
        t += float(rng.uniform(0.3, 0.5))
        keys.append(mo.Key(t, cow))
    t += 1.2
    keys.append(mo.Key(t, rest))
    track = mo.Track(tuple(keys), mo.Sway.make(rng, {"flex": 1.0, "neck": 2.0}))
    return track.at, stage_quadruped, reps, _end(rng, t), {}


def _bird_dog(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    hold = v.get("hold", 3.6)
    rest = dict(armxL=0.0, armxR=0.0, legxL=0.0, legxR=0.0, leg_elev=v.get("leg_elev", 0.0),
                arm_elev=2.0, flex=0.0, neck=0.0)
    a = dict(armxR=1.0, legxL=1.0, neck=-6.0)  # right arm + left leg
    b = dict(armxL=1.0, legxR=1.0, neck=-6.0)
    steps = [(1.1, a), (hold, a), (1.0, {}), (0.6, {}), (1.1, b), (hold, b), (1.0, {})]
    track, _, t = _seq(rng, rest, steps, {"arm_elev": 1.5, "flex": 1.0, "neck": 2.0})
    return track.at, stage_quadruped, [], _end(rng, t), {"level": v.get("level")}


def _plank(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    rest = dict(up=0.0, bend=v.get("bend", 0.0), neck=10.0)
    steps = [(1.2, dict(up=1.0, neck=0.0)), (v.get("hold", 6.0), dict(up=1.0, neck=0.0)), (1.2, {})]
    track, _, t = _seq(rng, rest, steps, {"bend": 1.0, "neck": 2.0})
    return track.at, stage_forearm_plank, [], _end(rng, t), {"level": v.get("level")}


# --------------------------------------------------------------------------- tables
def _elev(name: str, a: str, b: str, primary: bool = True) -> AngleDef:
    return AngleDef(name, "elevation", (a, b), primary)


_LIMBS = (_elev("arm_left", "left_shoulder", "left_wrist"), _elev("arm_right", "right_shoulder", "right_wrist"),
          _elev("leg_left", "left_hip", "left_ankle"), _elev("leg_right", "right_hip", "right_ankle"))

ANGLES: dict[str, tuple[AngleDef, ...]] = {
    "aquaman": _LIMBS + (AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),),
    "reverse_arm_swing": (
        # Shoulder abduction of the near arm: 0 along the body, 90 out to the side, 180 overhead.
        AngleDef("sweep", "angle", ("left_hip", "left_shoulder", "left_wrist")),
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
    ),
    "cobra": (
        _elev("chest", "left_hip", "left_shoulder"),
        _elev("hip_lift", "left_knee", "left_hip"),
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
    ),
    "bird_dog": _LIMBS + (AngleDef("back", "inclination", ("left_hip", "left_shoulder")),),
    "prone_back_extension": (
        _elev("chest", "left_hip", "left_shoulder"),
        _elev("thigh", "left_hip", "left_knee"),
        _elev("arm", "left_shoulder", "left_wrist", primary=False),
    ),
    "prone_leg_raise": (
        _elev("leg", "left_hip", "left_ankle"),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
        _elev("chest", "left_hip", "left_shoulder", primary=False),
    ),
    "cat_cow": (
        AngleDef("back", "inclination", ("left_hip", "left_shoulder")),
        AngleDef("neck", "angle", ("left_ear", "left_shoulder", "left_hip"), primary=False),
    ),
    "plank": (
        AngleDef("body_line", "angle", ("left_shoulder", "left_hip", "left_ankle")),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
        _elev("upper", "left_hip", "left_shoulder"),
        _elev("lower", "left_ankle", "left_hip"),
    ),
}

FAULTS: dict[str, tuple[str, ...]] = {
    "aquaman": ("hold_short",),
    "reverse_arm_swing": ("too_shallow",),
    "cobra": ("hips_lifted", "hold_short"),
    "bird_dog": ("leg_too_high", "hold_short"),
    "prone_back_extension": ("thighs_lifted", "too_shallow"),
    "prone_leg_raise": ("bent_knees", "hold_short"),
    "cat_cow": ("too_shallow",),
    "plank": ("hips_sagging", "hips_piking", "hold_short"),
}


def _aquaman_hold(cols: dict[str, np.ndarray]) -> np.ndarray:
    """The higher arm and the higher leg both at least 5 deg above the horizon (projected)."""
    arm = np.maximum(cols["arm_left_2d"], cols["arm_right_2d"])
    leg = np.maximum(cols["leg_left_2d"], cols["leg_right_2d"])
    return (arm >= 5) & (leg >= 5)


def _bird_dog_hold(cols: dict[str, np.ndarray]) -> np.ndarray:
    """The reaching arm within 25 deg of level (elevation >= -25) and the stretched leg's
    hip->ankle line at or above -15 deg (projected): both limbs out, in line with the back."""
    arm = np.maximum(cols["arm_left_2d"], cols["arm_right_2d"])
    leg = np.maximum(cols["leg_left_2d"], cols["leg_right_2d"])
    return (arm >= -25) & (leg >= -15)


def _cobra_hold(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Chest lifted: the hip->shoulder line at least 20 deg above the floor (projected)."""
    return cols["chest_2d"] >= 20


def _leg_raise_hold(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Legs up: the hip->ankle line at least 8 deg above the horizon (projected)."""
    return cols["leg_2d"] >= 8


def _plank_hold(cols: dict[str, np.ndarray]) -> np.ndarray:
    """In plank: knees straight (>= 150 deg, projected), i.e. off the mat on the toes."""
    return cols["knee_2d"] >= 150


HOLD_RULES = {"aquaman": _aquaman_hold, "bird_dog": _bird_dog_hold, "cobra": _cobra_hold,
              "prone_leg_raise": _leg_raise_hold, "plank": _plank_hold}
#: Hold targets the clips are performed at (the spec level named in each clip's sidecar).
HOLD_TARGET_S = {"aquaman": 3.0, "bird_dog": 3.0, "cobra": 3.0, "prone_leg_raise": 3.0, "plank": 5.0}


def _scene(mat: tuple[float, float, float, float]):
    def hook(body, params, stage, duration, extras):
        furniture = bench(-2.15, -1.75, -3.2, -1.8) + [box((-2.2, 0.9, 0.0), (-1.8, 2.1, 0.75), (80, 80, 95))]
        scene = {k: v for k, v in extras.items() if v is not None}
        return Room(), mat, furniture, None, scene
    return hook


_PRONE_MAT = (-0.45, 0.45, -1.45, 1.05)
_QUAD_MAT = (-0.45, 0.45, -1.0, 1.0)
SCENES = {ex: _scene(_QUAD_MAT if ex in ("bird_dog", "cat_cow", "plank") else _PRONE_MAT) for ex in ANGLES}

BUILDERS = {"aquaman": _aquaman, "reverse_arm_swing": _reverse_arm_swing, "cobra": _cobra,
            "bird_dog": _bird_dog, "prone_back_extension": _prone_back_extension,
            "prone_leg_raise": _prone_leg_raise, "cat_cow": _cat_cow, "plank": _plank}

CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("aquaman_good", "aquaman", "female", "floor_side", 601, 0,
             "Aquaman at the beginner level (3 s per side): right arm and left leg up, hold about "
             "3.6 s, lower; then left arm and right leg, hold, lower.", (), {"hold": 3.6, "level": "beginner"}),
    ClipSpec("aquaman_short", "aquaman", "male", "floor_side", 602, 0,
             "Aquaman whose lifts drop after about 1.6 s of a 3 s target, on each side.",
             ("hold_short",), {"hold": 1.6, "level": "beginner"}),
    ClipSpec("reverse_arm_swing_good", "reverse_arm_swing", "male", "floor_side", 611, 3,
             "Reverse arm swing: lying face down, straight arms sweep just off the floor from the "
             "hips out and round to overhead and back."),
    ClipSpec("reverse_arm_swing_shoulder", "reverse_arm_swing", "female", "floor_side", 612, 2,
             "Reverse arm swing that only reaches shoulder level (arms out to the sides): the "
             "beginner's partial, none counts.", ("too_shallow",), {"reach": 92.0}),
    ClipSpec("cobra_good", "cobra", "female", "floor_side", 621, 2,
             "Cobra at a 3 s hold: hands under the shoulders push the chest up, hips and legs stay "
             "on the mat, hold about 3.6 s, lower.", (), {"hold": 3.6, "level": "beginner"}),
    ClipSpec("cobra_hips_up", "cobra", "male", "floor_side", 622, 2,
             "Cobra with the hips lifting off the mat at the top (thighs tilt 14 deg, an upward "
             "dog), held 3.6 s.", ("hips_lifted",), {"hold": 3.6, "leg": -14.0, "chest": 36.0, "level": "beginner"}),
    ClipSpec("bird_dog_good", "bird_dog", "male", "floor_side", 631, 0,
             "Bird dog at a 3 s hold: right arm and left leg out level with the back, hold, back "
             "to all fours; then the other side.", (), {"hold": 3.6, "level": "beginner"}),
    ClipSpec("bird_dog_leg_high", "bird_dog", "female", "floor_side", 632, 0,
             "Bird dog with the stretched leg raised about 25 deg above level (higher than the "
             "pelvis), both sides.", ("leg_too_high",), {"hold": 3.6, "leg_elev": 25.0, "level": "beginner"}),
    ClipSpec("prone_back_extension_good", "prone_back_extension", "female", "floor_side", 641, 3,
             "Prone back extension: arms overhead, chest and arms lift about 24 deg, thighs stay "
             "on the mat, pause, lower."),
    ClipSpec("prone_back_extension_legs_up", "prone_back_extension", "male", "floor_side", 642, 2,
             "Prone back extension where the legs lift too (thighs 14 deg off the mat).",
             ("thighs_lifted",), {"leg": 14.0}),
    ClipSpec("prone_leg_raise_good", "prone_leg_raise", "male", "floor_side", 651, 2,
             "Prone leg raise: both straight legs lift about 16 deg, hold about 3.4 s, lower; "
             "pelvis stays down."),
    ClipSpec("prone_leg_raise_bent_knees", "prone_leg_raise", "female", "floor_side", 652, 2,
             "Prone leg raise with the knees bent to 110 deg (feet up instead of legs up).",
             ("bent_knees",), {"knee": 110.0, "leg": 10.0}),
    ClipSpec("cat_cow_good", "cat_cow", "female", "floor_side", 661, 3,
             "Cat-cow: from all fours, arch into cow, then round the back up into cat (spine "
             "flexed 32 deg, head tucked) and back to cow, three times, then neutral."),
    ClipSpec("cat_cow_shallow", "cat_cow", "male", "floor_side", 662, 2,
             "Cat-cow whose cat barely rounds the back (spine flexed 12 deg): none counts.",
             ("too_shallow",), {"cat": 12.0}),
    ClipSpec("plank_good", "plank", "male", "floor_side", 671, 0,
             "Forearm plank at a 5 s hold: from the knees, lift into a straight plank, hold about "
             "6 s, knees down.", (), {"hold": 6.0, "level": "beginner"}),
    ClipSpec("plank_sag", "plank", "female", "floor_side", 672, 0,
             "Forearm plank with the hips sagging (hips extended about 20 deg), held 6 s.",
             ("hips_sagging",), {"hold": 6.0, "bend": 20.0, "level": "beginner"}),
    ClipSpec("plank_pike", "plank", "male", "floor_side", 673, 0,
             "Forearm plank with the hips piked up (hips bent about 25 deg), held 6 s.",
             ("hips_piking",), {"hold": 6.0, "bend": -25.0, "level": "beginner"}),
)
