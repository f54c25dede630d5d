"""Standing and hinge exercises: seated hip hinge, Romanian deadlift, deadlift, bent-over row,
bent-over reverse fly, squat, shrug, arm circles, band pull-apart. Clip table, builders,
ground-truth definitions and scenes (chair, dumbbells, band), merged into `tools.synth.clips`.

One staging function (`stage`) poses every exercise here: the sagittal posture of the hinge
family (trunk, spine flexion, knees, shin lean) plus shoulder shrug and per-exercise arm targets
solved by two-bone IK, feet planted (or seated on a chair). `yaw: 90` turns the person to face
the side camera, which then films them from the front (arms moving in the frontal plane).
Moving props (dumbbells, a band between the hands) are one mesh whose vertices the stage
rewrites every frame; the renderer sorts them with the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tools.synth import motion as mo
from tools.synth.body import Body, Posed, forward_kinematics, keypoints, skin, transform, translate
from tools.synth.clips import ClipSpec, _furniture
from tools.synth.render import TriMesh
from tools.synth.rig import (Pose, SIDES, arm_lengths, leg_directions, pose_rotations, reach_for, rot_between,
                             rot_z, two_bone_ik)
from tools.synth.scene import Room, box, cylinder_x
from tools.synth.truth import AngleDef

IRON, PLATE = (60, 60, 66), (35, 35, 40)
BAND = (90, 90, 220)  # red-pink resistance band (BGR)
WOOD, WOOD_DARK = (60, 100, 140), (40, 70, 100)
FLEX_FAULT = 10.0  # per-frame rounded_back truth (same as clips.SPINE_FLEX_FAULT_DEG)
DOWN = np.array([0.0, 0.0, -1.0])
UP = -DOWN


def rot_y(deg: float) -> np.ndarray:
    """Rotation about +y (the body's backward axis); negative raises a point on +x."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


# --------------------------------------------------------------------------- moving props
@dataclass(eq=False)
class Props:
    """Named prop parts (templates) drawn as one mesh whose vertices are rewritten per frame."""

    parts: dict[str, TriMesh]
    static: list[TriMesh] = field(default_factory=list)
    mesh: TriMesh | None = None
    slices: dict[str, slice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meshes, start = list(self.static), sum(len(m.vertices) for m in self.static)
        for name, part in self.parts.items():
            self.slices[name] = slice(start, start + len(part.vertices))
            start += len(part.vertices)
            meshes.append(TriMesh(part.vertices.copy(), part.faces, part.colors))
        self.mesh = TriMesh.concat(meshes) if meshes else None

    def put(self, name: str, vertices: np.ndarray) -> None:
        self.mesh.vertices[self.slices[name]] = vertices


def dumbbell() -> TriMesh:
    """A light dumbbell centred at the origin along x (handle and two plate stacks)."""
    return TriMesh.concat([cylinder_x(-0.065, 0.065, 0, 0, 0.016, IRON, 10, 0.05),
                           cylinder_x(-0.13, -0.065, 0, 0, 0.05, PLATE, 14, 0.07),
                           cylinder_x(0.065, 0.13, 0, 0, 0.05, PLATE, 14, 0.07)])


def band_strip(n: int = 12) -> TriMesh:
    """A flat two-sided strip from x=0 to x=1 (4 cm wide), bent into place per frame."""
    v = np.array([(i / n, 0.0, dz) for i in range(n + 1) for dz in (-0.02, 0.02)])
    f = []
    for i in range(n):
        a, b, c, d = 2 * i, 2 * i + 1, 2 * i + 3, 2 * i + 2
        f += [(a, b, c), (a, c, d), (a, c, b), (a, d, c)]
    return TriMesh(v, np.array(f), np.tile(np.asarray(BAND, float), (len(f), 1)))


def place(template: TriMesh, centre: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Template vertices (along x) rotated onto `axis` and moved to `centre`."""
    return template.vertices @ rot_between(np.array([1.0, 0, 0]), axis).T + centre


def chair(x: float, y: float, seat: float, half: float = 0.22) -> list[TriMesh]:
    """A wooden chair centred at (x, y) with the backrest on the +y side (behind a person facing -y)."""
    parts = [box((x - half, y - half, seat - 0.04), (x + half, y + half, seat), WOOD)]
    for lx in (x - half + 0.02, x + half - 0.06):
        for ly in (y - half + 0.02, y + half - 0.06):
            parts.append(box((lx, ly, 0.0), (lx + 0.04, ly + 0.04, seat - 0.04), WOOD_DARK))
    for lx in (x - half + 0.02, x + half - 0.06):
        parts.append(box((lx, y + half - 0.06, seat), (lx + 0.04, y + half - 0.02, seat + 0.45), WOOD_DARK))
    parts.append(box((x - half + 0.02, y + half - 0.06, seat + 0.3), (x + half - 0.02, y + half - 0.02, seat + 0.45), WOOD))
    return parts


# --------------------------------------------------------------------------- staging
@dataclass(frozen=True)
class Frame:
    """What an arm function may use: the posed skeleton (world, before yaw) and the params."""

    body: Body
    posed: Posed
    p: dict[str, float]

    def joint(self, bone: str) -> np.ndarray:
        return self.posed.heads[self.body.bone[bone]]

    def shoulder(self, s: str) -> np.ndarray:
        return self.joint(f"upperarm01.{s}")

    def hip(self, s: str) -> np.ndarray:
        return self.joint(f"upperleg01.{s}")

    def chest_axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(left, back, up-the-spine) unit axes of the upper trunk."""
        r = self.posed.rotations[self.body.bone["spine01"]]
        return r @ np.array([1.0, 0, 0]), r @ np.array([0, 1.0, 0]), r @ np.array([0, 0, 1.0])


ArmFn = Callable[[Frame, str, float], tuple[np.ndarray, np.ndarray]]  # (frame, side, sign) -> (target, pole)


def _reach(body: Body, elbow: float) -> float:
    l1, l2 = arm_lengths(body, "L")
    return reach_for(l1, l2, elbow)


def arms_hang(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Arms hanging straight down (gravity), hands a little outside the legs; `grip_fwd` m forward."""
    sh = f.shoulder(s)
    d = DOWN + np.array([sign * f.p.get("hang_out", 0.12), -f.p.get("hang_fwd", 0.0), 0.0])
    target = sh + _reach(f.body, f.p.get("elbow", 170.0)) * d / np.linalg.norm(d)
    return target, np.array([sign * 0.3, 1.0, 0.0])


def arms_on_hips(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    root = f.posed.rotations[f.body.bone["root"]]
    return f.hip(s) + root @ np.array([sign * 0.075, 0.0, 0.11]), root @ np.array([sign * 1.0, 1.2, 0.0])


def arms_row(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Hanging (pull 0) to the hand at the side of the navel (pull 1), elbows driving back."""
    hang, _ = arms_hang(f, s, sign)
    left, back, up = f.chest_axes()
    mid_hip = (f.hip("L") + f.hip("R")) / 2
    mid_sh = (f.shoulder("L") + f.shoulder("R")) / 2
    navel = mid_hip + 0.35 * (mid_sh - mid_hip) - 0.13 * back + sign * 0.17 * left
    u = f.p.get("pull", 0.0)
    return (1 - u) * hang + u * navel, back + 0.4 * up + sign * 0.3 * left


def arms_fly(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Arms raised sideways from hanging (lift 0 deg) in the plane of gravity and the shoulders."""
    left, back, up = f.chest_axes()
    lat = sign * left - (sign * left) @ DOWN * DOWN
    lat /= np.linalg.norm(lat)
    a = np.radians(f.p.get("lift", 0.0))
    d = np.cos(a) * DOWN + np.sin(a) * lat
    target = f.shoulder(s) + _reach(f.body, f.p.get("elbow", 160.0)) * d
    return target, UP + 0.6 * lat + 0.5 * back


def arms_apart(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Arms forward at `arm_h` deg elevation, opened sideways by `spread` deg (90 = in a T)."""
    e, a = np.radians(f.p.get("arm_h", 0.0)), np.radians(f.p.get("spread", 0.0))
    horiz = np.array([sign * np.sin(a), -np.cos(a), 0.0])
    d = np.cos(e) * horiz + np.sin(e) * UP
    target = f.shoulder(s) + _reach(f.body, f.p.get("elbow", 172.0)) * d
    return target, DOWN + np.array([sign * 0.5, 0.5, 0.0])


def arms_circle(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Arms out to the sides (`raise_` 0 hanging … 1 lateral) at mean elevation `elev`, drawing
    circles of `radius` deg in the sagittal plane (`phase` radians: 0 front, pi/2 top, pi back;
    forward circles run it down)."""
    hang, pole = arms_hang(f, s, sign)
    ph, r = f.p.get("phase", 0.0), np.radians(f.p.get("radius", 0.0))
    e = np.radians(f.p.get("elev", 0.0)) + r * np.sin(ph)
    fwd = r * np.cos(ph)
    d = np.array([sign * np.cos(e) * np.cos(fwd), -np.cos(e) * np.sin(fwd), np.sin(e)])
    u = f.p.get("raise_", 0.0)
    # Raise along an arc (not a straight line through the body): interpolate the direction.
    dh = (hang - f.shoulder(s)) / np.linalg.norm(hang - f.shoulder(s))
    dd = (1 - u) * dh + u * d
    target = f.shoulder(s) + _reach(f.body, 172.0) * dd / np.linalg.norm(dd)
    return target, np.array([0.0, 1.0, -0.3])


def arms_toe_touch(f: Frame, s: str, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Both arms hang; the reaching hand (`reach_side` +1 left, -1 right, weight `reach`) goes to
    the opposite foot."""
    hang, pole = arms_hang(f, s, sign)
    rs = f.p.get("reach_side", 0.0)
    if rs != sign or f.p.get("reach", 0.0) <= 0:
        return hang, pole
    other = "R" if s == "L" else "L"
    ankle = f.joint(f"foot.{other}")
    toe = ankle + np.array([0.0, -0.09, -0.02])
    u = f.p["reach"]
    return (1 - u) * hang + u * toe, pole


def stage(body: Body, p: dict[str, float], arms: ArmFn, props: Props | None = None,
          grips: str | None = None, seated: bool = False) -> mo.Staged:
    """Pose, plant and turn the body; place the dumbbells (`grips="dumbbell"`) or band.

    Params: trunk, flex, neck, knee, shin_lean, foot (toes-down pitch, heel lift), shrug (deg of
    clavicle elevation), twist, yaw (0: left side to the side camera, 90: facing it), y, plus the
    arm function's own. Seated: thigh/shin directions `thigh`, `shin` instead of knee/shin_lean.
    """
    if seated:
        th, sh = p.get("thigh", 90.0), p.get("shin", 180.0)
    else:
        th, sh = leg_directions(p["knee"], p.get("shin_lean", 5.0))
    foot = p.get("foot", 0.0)
    pose = Pose(trunk=p["trunk"], spine_flex=p.get("flex", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=(th, th), shin=(sh, sh), foot=(foot, foot))
    rots = pose_rotations(body, pose)
    shrug = p.get("shrug", 0.0)

    twist = p.get("twist", 0.0)  # + turns the chest to the person's left

    def extra(r: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        r = dict(r)
        if twist:
            spine = ("spine05", "spine04", "spine03", "spine02", "spine01")
            for i, bone in enumerate(spine, start=1):
                r[bone] = r[bone] @ rot_z(twist * i / len(spine))
            for bone in ("neck01", "neck02", "neck03", "head"):
                r[bone] = r[bone] @ rot_z(twist)
        chest = r["spine01"]
        r["clavicle.L"] = chest @ rot_y(-shrug)
        r["clavicle.R"] = chest @ rot_y(shrug)
        return r

    posed = forward_kinematics(body, extra(rots))
    f = Frame(body, posed, dict(p))
    targets, poles = [], []
    for s, sign in SIDES:
        t, pole = arms(f, s, sign)
        targets.append(t)
        poles.append(pole)
    ups, fores = [], []
    for k, (s, _) in enumerate(SIDES):
        l1, l2 = arm_lengths(body, s)
        u, fo = two_bone_ik(f.shoulder(s), targets[k], l1, l2, poles[k])
        ups.append(u)
        fores.append(fo)
    armed = Pose(**{**pose.__dict__, "upper_arm": tuple(ups), "forearm": tuple(fores)})
    posed = forward_kinematics(body, extra(pose_rotations(body, armed)))
    verts = skin(body, posed)
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    shift = np.array([-ankles[:, 0].mean(), p.get("y", 0.0) - ankles[:, 1].mean(), -verts[:, 2].min()])
    yaw = rot_z(p.get("yaw", 0.0))
    posed = transform(translate(posed, shift), yaw, np.zeros(3))
    verts = (verts + shift) @ yaw.T
    if props is not None:
        kp = keypoints(body, posed)
        hands = {}
        for s, side in (("L", "left"), ("R", "right")):
            w = kp[f"{side}_wrist"]
            knuckles = posed.heads[[body.bone[f"finger{i}-1.{s}"] for i in (2, 3, 4, 5)]].mean(0)
            hands[s] = w + 0.7 * (knuckles - w)
        if grips == "dumbbell":
            for s in ("L", "R"):
                axis = yaw @ np.array([1.0, 0.0, 0.0]) if p.get("db_across", 1.0) else yaw @ np.array([0.0, 1.0, 0.0])
                props.put(s, place(props.parts[s], hands[s], axis))
        elif grips == "band":
            a, b = hands["L"], hands["R"]
            props.put("band", place_band(props.parts["band"], a, b, p.get("sag", 0.0)))
    return mo.Staged(posed, verts, {"spine_flex": p.get("flex", 0.0), "shrug": shrug})


def place_band(template: TriMesh, a: np.ndarray, b: np.ndarray, sag: float) -> np.ndarray:
    """The strip stretched from a to b, sagging `sag` m in the middle."""
    v = template.vertices
    d = b - a
    u = v[:, 0:1]
    pts = a + u * d
    pts[:, 2] += v[:, 2] - sag * 4 * u[:, 0] * (1 - u[:, 0])
    return pts


# --------------------------------------------------------------------------- builders
def _keys(rng: np.random.Generator, top: dict, turns: list[dict], flags: list, tempo: mo.Tempo,
          sway: dict[str, float], idle: tuple[float, float] = (1.5, 1.6)) -> tuple:
    t0 = float(rng.uniform(*idle))
    keys, reps, t_end = mo.rep_keys(rng, t0, top, turns, tempo, flags)
    track = mo.Track((mo.Key(0.0, top), *keys), mo.Sway.make(rng, sway))
    return track.at, reps, t_end + float(rng.uniform(*idle))


def _hinge_family(spec: ClipSpec, body: Body, rng: np.random.Generator, *, top: dict, bottom: dict,
                  depth_key: str, counted: Callable[[float], bool], faults: Callable[[dict], tuple],
                  tempo: mo.Tempo, arms: ArmFn, grips: str | None, sway: dict[str, float],
                  jitter: dict[str, float], seated: bool = False) -> tuple:
    turns, flags = [], []
    for _ in range(spec.reps):
        b = dict(bottom)
        for k, amp in jitter.items():
            b[k] = b[k] + float(rng.uniform(-amp, amp))
        turns.append(b)
        flags.append((counted(b[depth_key]), faults(b)))
    params, reps, duration = _keys(rng, top, turns, flags, tempo, sway)
    props = _props(grips)

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms, props, grips, seated)

    return params, st, reps, duration, {"_props": props}


def _props(grips: str | None) -> Props | None:
    if grips == "dumbbell":
        return Props({"L": dumbbell(), "R": dumbbell()})
    if grips == "band":
        return Props({"band": band_strip()})
    return None


STAND = dict(trunk=1.0, flex=0.0, neck=0.0, knee=176.0, shin_lean=2.0, shrug=0.0, yaw=0.0)


def _romanian_deadlift(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(STAND, knee=170.0, shin_lean=4.0)
    bottom = dict(top, trunk=v.get("trunk", 80.0), flex=v.get("flex", 0.0), knee=v.get("knee", 158.0),
                  shin_lean=7.0, neck=-5.0)
    return _hinge_family(
        spec, body, rng, top=top, bottom=bottom, depth_key="trunk", counted=lambda d: d >= 70,
        faults=lambda b: tuple(f for f, bad in (("rounded_back", b["flex"] >= FLEX_FAULT),) if bad),
        tempo=mo.Tempo(move=(2.0, 2.4), turn=(0.3, 0.4), pause=(0.3, 0.4)), arms=arms_hang, grips="dumbbell",
        sway={"trunk": 1.0, "knee": 0.8, "neck": 2.0}, jitter={"trunk": 3.0, "knee": 2.0})


def _deadlift_hips_first(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    """Hips shoot up first: from the floor the knees straighten (to ~160) while the chest stays
    down, then the straight-legged torso is hauled up (the back does the lifting)."""
    top = dict(STAND, knee=175.0)
    bottom = dict(top, trunk=66.0, knee=92.0, shin_lean=20.0, neck=-12.0)
    t = float(rng.uniform(1.5, 1.6))
    keys, reps = [mo.Key(0.0, top), mo.Key(t, top)], []
    for _ in range(spec.reps):
        b = dict(bottom, trunk=bottom["trunk"] + float(rng.uniform(-2, 2)))
        t1 = t + float(rng.uniform(1.1, 1.2))  # down
        t2 = t1 + 0.3  # at the floor
        t3 = t2 + 0.5  # hips up, knees straight, chest still down
        t4 = t3 + 0.4
        t5 = t4 + float(rng.uniform(0.8, 0.9))  # torso hauled up
        keys += [mo.Key(t1, b), mo.Key(t2, b), mo.Key(t3, dict(b, knee=160.0, shin_lean=6.0, trunk=b["trunk"] + 2)),
                 mo.Key(t4, dict(b, knee=164.0, shin_lean=5.0, trunk=b["trunk"] - 4)), mo.Key(t5, top)]
        reps.append(mo.Rep(round(t, 3), round((t1 + t2) / 2, 3), round(t5, 3), True, ("hips_first",)))
        t = t5 + float(rng.uniform(0.3, 0.4))
        keys.append(mo.Key(t, top))
    track = mo.Track(tuple(keys), mo.Sway.make(rng, {"trunk": 1.0, "knee": 1.0, "neck": 2.0}))
    props = _props("dumbbell")

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_hang, props, "dumbbell")

    return track.at, st, reps, t + float(rng.uniform(1.1, 1.2)), {"_props": props}


def _deadlift(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    if v.get("hips_first"):
        return _deadlift_hips_first(spec, body, rng)
    top = dict(STAND, knee=175.0)
    bottom = dict(top, trunk=v.get("trunk", 66.0), flex=v.get("flex", 0.0), knee=v.get("knee", 92.0),
                  shin_lean=20.0, neck=-12.0)
    return _hinge_family(
        spec, body, rng, top=top, bottom=bottom, depth_key="trunk", counted=lambda d: d >= 50,
        faults=lambda b: tuple(f for f, bad in (("rounded_back", b["flex"] >= FLEX_FAULT),
                                                ("too_shallow", b["trunk"] < 45)) if bad),
        tempo=mo.Tempo(move=(2.0, 2.4), turn=(0.3, 0.4), pause=(0.3, 0.4)), arms=arms_hang, grips="dumbbell",
        sway={"trunk": 1.0, "knee": 1.0, "neck": 2.0}, jitter={"trunk": 2.0, "knee": 3.0})


def _squat(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(STAND, hang_fwd=0.0)
    knee = v.get("knee", 88.0)
    bottom = dict(top, trunk=v.get("trunk", 38.0), knee=knee, shin_lean=v.get("shin", 30.0), neck=-10.0,
                  foot=v.get("foot", 0.0))

    def arms(f: Frame, s: str, sign: float):  # arms forward for balance, hands together
        lift = min(1.0, (176.0 - f.p["knee"]) / 40.0)
        p = dict(f.p, arm_h=-85.0 + 85.0 * lift, spread=12.0, elbow=165.0)
        return arms_apart(Frame(f.body, f.posed, p), s, sign)

    return _hinge_family(
        spec, body, rng, top=top, bottom=bottom, depth_key="knee", counted=lambda k: k <= 100,
        faults=lambda b: tuple(f for f, bad in (("too_shallow", b["knee"] > 115),
                                                ("heels_up", b["foot"] > 10)) if bad),
        tempo=mo.Tempo(move=(2.0, 2.4), turn=(0.3, 0.4), pause=(0.3, 0.4)), arms=arms, grips=None,
        sway={"trunk": 1.0, "knee": 1.0, "neck": 2.0}, jitter={"knee": 3.0, "trunk": 2.0})


def _seated_hip_hinge(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(STAND, trunk=2.0, thigh=92.0, shin=180.0 + v.get("shin", 0.0))
    bottom = dict(top, trunk=v.get("trunk", 47.0), neck=-5.0)
    return _hinge_family(
        spec, body, rng, top=top, bottom=bottom, depth_key="trunk", counted=lambda d: d >= 38,
        faults=lambda b: tuple(f for f, bad in (("too_deep", b["trunk"] > 60),
                                                ("feet_forward", abs(b["shin"] - 180) > 20)) if bad),
        tempo=mo.Tempo(move=(2.0, 2.4), turn=(0.3, 0.4), pause=(0.3, 0.4)), arms=arms_on_hips, grips=None,
        sway={"trunk": 0.8, "neck": 2.0}, jitter={"trunk": 2.0}, seated=True)


def _bent_over_row(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    hinge = dict(STAND, trunk=48.0, knee=155.0, shin_lean=9.0, neck=-10.0, pull=0.0, flex=0.0)
    stand = dict(STAND, knee=174.0, pull=0.0)
    rise = v.get("rise", 0.0)  # torso swings up this many degrees at each pull (momentum)
    turns, flags = [], []
    for _ in range(spec.reps):
        turns.append(dict(hinge, pull=1.0 + float(rng.uniform(-0.03, 0.03)), trunk=hinge["trunk"] - rise))
        pull_trunk = hinge["trunk"] - rise
        flags.append((True, tuple(f for f, bad in (("torso_moving", rise >= 12), ("hinge_angle", pull_trunk < 30)) if bad)))
    # Set-up: stand, hinge to 45 deg, row, stand up again at the end.
    t0 = float(rng.uniform(0.6, 0.7))
    t1 = t0 + 0.9
    keys, reps, t_end = mo.rep_keys(rng, t1 + 0.3, hinge, turns,
                                    mo.Tempo(move=(1.8, 2.1), turn=(0.4, 0.5), pause=(0.3, 0.4)), flags)
    t_up = t_end + 0.3
    keys = [mo.Key(0.0, stand), mo.Key(t0, stand), mo.Key(t1, hinge), *keys, mo.Key(t_up, hinge),
            mo.Key(t_up + 1.0, stand)]
    track = mo.Track(tuple(keys), mo.Sway.make(rng, {"trunk": 0.8, "knee": 0.8, "neck": 2.0}))
    props = _props("dumbbell")

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_row, props, "dumbbell")

    return track.at, st, reps, t_up + 1.0 + float(rng.uniform(0.7, 0.8)), {"_props": props}


def _reverse_fly(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    hinge = dict(STAND, trunk=v.get("trunk", 70.0), knee=155.0, shin_lean=9.0, neck=-25.0, lift=0.0, elbow=160.0,
                 yaw=90.0, db_across=0.0)
    stand = dict(hinge, trunk=1.0, knee=174.0, neck=0.0)
    top_lift = v.get("lift", 88.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        lift = top_lift + float(rng.uniform(-3, 3))
        turns.append(dict(hinge, lift=lift))
        flags.append((lift >= 65, () if lift >= 65 else ("too_low",)))
    t0 = float(rng.uniform(0.6, 0.7))
    t1 = t0 + 0.9
    keys, reps, t_end = mo.rep_keys(rng, t1 + 0.3, hinge, turns,
                                    mo.Tempo(move=(2.0, 2.3), turn=(0.3, 0.4), pause=(0.3, 0.4)), flags)
    t_up = t_end + 0.3
    keys = [mo.Key(0.0, stand), mo.Key(t0, stand), mo.Key(t1, hinge), *keys, mo.Key(t_up, hinge),
            mo.Key(t_up + 1.0, stand)]
    track = mo.Track(tuple(keys), mo.Sway.make(rng, {"trunk": 0.8, "lift": 1.5, "neck": 2.0}))
    props = _props("dumbbell")

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_fly, props, "dumbbell")

    return track.at, st, reps, t_up + 1.0 + float(rng.uniform(0.7, 0.8)), {"_props": props}


def _shrug(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(STAND, yaw=90.0, hang_out=0.10, db_across=0.0)
    height = v.get("shrug", 24.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        h = height + float(rng.uniform(-1.5, 1.5))
        turns.append(dict(top, shrug=h))
        flags.append((h >= 18, () if h >= 18 else ("too_shallow",)))
    params, reps, duration = _keys(rng, top, turns, flags, mo.Tempo(move=(1.8, 2.0), turn=(0.4, 0.6), pause=(0.3, 0.5)),
                                   {"neck": 1.5, "trunk": 0.6})
    props = _props("dumbbell")

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_hang, props, "dumbbell")

    return params, st, reps, duration, {"_props": props}


def _arm_circles(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    elev, radius = v.get("elev", 0.0), 14.0
    n_fwd, n_back = spec.reps // 2, spec.reps - spec.reps // 2
    period = float(rng.uniform(1.3, 1.4))
    t0 = float(rng.uniform(1.0, 1.1))
    t_c = t0 + 1.0  # arms up, hands at the back of the circle
    t_mid = t_c + n_fwd * period
    t_rev = t_mid + 0.4  # pause at the back, then circle the other way
    t_end = t_rev + n_back * period
    t_down = t_end + 1.0
    rest = dict(STAND, raise_=0.0, elev=elev, radius=radius, phase=np.pi)
    fl = ("arms_low",) if elev < -12 else ()
    # A circle runs from the hand's backmost point round to it again (where the count happens).
    reps = [mo.Rep(round(s, 3), round(s + period / 2, 3), round(s + period, 3), True, fl)
            for s in [t_c + i * period for i in range(n_fwd)] + [t_rev + i * period for i in range(n_back)]]
    sway = mo.Sway.make(rng, {"trunk": 0.6, "neck": 1.5, "elev": 2.0})

    def params(t: float) -> dict[str, float]:
        p = dict(rest)
        up = float(np.clip((t - t0) / (t_c - t0), 0, 1) - np.clip((t - t_end) / (t_down - t_end), 0, 1))
        p["raise_"] = 0.5 - 0.5 * np.cos(np.pi * up)
        if t_c <= t <= t_mid:
            p["phase"] = np.pi - 2 * np.pi * (t - t_c) / period  # forward: over the top going forward
        elif t_rev <= t <= t_end:
            p["phase"] = np.pi + 2 * np.pi * (t - t_rev) / period  # backward circles
        for k, x in sway.at(t).items():
            p[k] = p[k] + x
        return p

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_circle)

    return params, st, reps, t_down + float(rng.uniform(1.0, 1.1)), {}


def _band_pull_apart(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    arm_h = v.get("arm_h", 0.0)
    top = dict(STAND, yaw=90.0, arm_h=arm_h, spread=8.0, elbow=172.0, sag=0.0)
    hang = dict(top, arm_h=-75.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        turns.append(dict(top, spread=86.0 + float(rng.uniform(-3, 3))))
        flags.append((True, ("arms_low",) if arm_h <= -25 else ()))
    t0 = float(rng.uniform(0.7, 0.8))
    keys, reps, t_end = mo.rep_keys(rng, t0 + 1.3, top, turns,
                                    mo.Tempo(move=(1.8, 2.0), turn=(0.4, 0.5), pause=(0.3, 0.4)), flags)
    keys = [mo.Key(0.0, hang), mo.Key(t0, hang), mo.Key(t0 + 1.0, top), *keys, mo.Key(t_end + 0.3, top),
            mo.Key(t_end + 1.3, hang)]
    track = mo.Track(tuple(keys), mo.Sway.make(rng, {"trunk": 0.6, "neck": 1.5, "arm_h": 2.0}))
    props = _props("band")

    def params(t: float) -> dict[str, float]:
        p = track.at(t)
        # The band hangs slack until the hands come apart past shoulder width.
        p["sag"] = 0.08 * float(np.clip(1 - p["spread"] / 20.0, 0, 1)) if p["arm_h"] > -60 else 0.0
        return p

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_apart, props, "band")

    return params, st, reps, t_end + 1.3 + float(rng.uniform(0.7, 0.8)), {"_props": props}


def _twist_toe_touch(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(STAND, knee=172.0, twist=0.0, reach=0.0, reach_side=1.0, hang_out=0.08)
    twist = v.get("twist", 35.0)
    keys: list[mo.Key] = []
    t = float(rng.uniform(1.5, 1.6))
    reps = []
    for i in range(spec.reps):
        side = 1.0 if i % 2 == 0 else -1.0  # left hand to the right foot first, then the other side
        bottom = dict(top, trunk=84.0 + float(rng.uniform(-3, 3)), knee=150.0, shin_lean=12.0, neck=-20.0,
                      twist=-side * twist, reach=1.0 if twist > 10 else 0.0, reach_side=side)
        flags = (True, () if twist > 10 else ("no_twist",))
        k, r, t_end = mo.rep_keys(rng, t, dict(top, reach_side=side), [bottom],
                                  mo.Tempo(move=(2.0, 2.3), turn=(0.3, 0.4)), [flags])
        keys += k
        reps += r
        t = t_end + float(rng.uniform(0.3, 0.5))
    track = mo.Track((mo.Key(0.0, top), *keys), mo.Sway.make(rng, {"trunk": 0.8, "neck": 2.0}))
    props = _props("dumbbell")

    def st(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage(b, p, arms_toe_touch, props, "dumbbell")

    return track.at, st, reps, t + float(rng.uniform(1.2, 1.3)), {"_props": props}


# --------------------------------------------------------------------------- scenes
def _scene(body, params, st, duration, extras):
    extras = dict(extras)
    props: Props | None = extras.pop("_props", None)
    return Room(), None, _furniture(), props.mesh if props else None, extras


def _seated_scene(body, params, st, duration, extras):
    room, mat, furniture, props, extras = _scene(body, params, st, duration, extras)
    staged = st(body, params(0.0))
    kp = keypoints(body, staged.posed)
    hip = (kp["left_hip"] + kp["right_hip"]) / 2
    v = staged.vertices
    near = v[(np.abs(v[:, 1] - hip[1]) < 0.12) & (v[:, 2] < hip[2])]
    seat = float(near[:, 2].min())
    furniture = furniture + chair(0.0, float(hip[1]) + 0.06, seat)
    return room, mat, furniture, props, {**extras, "seat_height_m": round(seat, 3)}


# --------------------------------------------------------------------------- tables
CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("romanian_deadlift_good", "romanian_deadlift", "male", "side", 601, 2,
             "Romanian deadlift with dumbbells, good form: knees slightly bent, flat back, torso to "
             "nearly parallel, dumbbells at shin height, arms hanging straight."),
    ClipSpec("romanian_deadlift_rounded", "romanian_deadlift", "female", "side", 602, 2,
             "Romanian deadlift with a rounded back: the spine flexes 35 degrees on the way down "
             "(hip-shoulder line as in good form).", ("rounded_back",), {"flex": 35.0}),
    ClipSpec("deadlift_good", "deadlift", "female", "side", 611, 2,
             "Dumbbell deadlift, good form: dumbbells from the floor beside the feet to standing, "
             "knees and hips extending together, flat back."),
    # deadlift_rounded (male, 35 deg spine flexion) is not a sample: the back outline's per-rep
    # median at the bottom read 0.017-0.023, under the 0.025 that separates a neutral back on the
    # hinge family (neutral 0.000-0.016): see exercise_specs/deadlift.yaml.
    ClipSpec("deadlift_hips_first", "deadlift", "female", "side", 614, 2,
             "Hips-first deadlifts: from the floor the knees straighten while the chest stays down "
             "(trunk still ~66 degrees), then the back hauls the torso up; the reps count.",
             ("hips_first",), {"hips_first": 1.0}),
    ClipSpec("squat_good", "squat", "male", "side", 621, 2,
             "Bodyweight squat, good form: thighs to parallel, heels down, chest up, arms forward."),
    ClipSpec("squat_shallow", "squat", "female", "side", 622, 2,
             "Squats that stop at about 125 degrees of knee bend: partial reps, none counts.",
             ("too_shallow",), {"knee": 125.0, "trunk": 20.0, "shin": 15.0}),
    ClipSpec("seated_hip_hinge_good", "seated_hip_hinge", "female", "side", 631, 2,
             "Seated hip hinge on a chair, hands on hips, feet under the knees: torso forward to "
             "about 45 degrees and back up."),
    ClipSpec("seated_hip_hinge_too_deep", "seated_hip_hinge", "male", "side", 632, 2,
             "Seated hip hinge folding forward to about 75 degrees instead of 45: the reps count, "
             "the depth is called.", ("too_deep",), {"trunk": 75.0}),
    ClipSpec("bent_over_row_good", "bent_over_row", "male", "side", 641, 2,
             "Bent-over dumbbell row, good form: hinged to about 45 degrees, flat back, dumbbells "
             "pulled to the navel, torso still."),
    ClipSpec("bent_over_row_torso_moving", "bent_over_row", "female", "side", 642, 2,
             "Bent-over row with momentum: the torso swings up about 25 degrees at every pull "
             "(to 23 degrees of lean, out of the 45-degree hinge).",
             ("torso_moving", "hinge_angle"), {"rise": 25.0}),
    ClipSpec("bent_over_reverse_fly_good", "bent_over_reverse_fly", "female", "side", 651, 2,
             "Bent-over reverse fly seen from the front (the person faces the camera): hinged, "
             "arms raised sideways to parallel with slightly bent elbows, slowly.", (), {}),
    ClipSpec("bent_over_reverse_fly_low", "bent_over_reverse_fly", "male", "side", 652, 2,
             "Bent-over reverse fly seen from the front, arms raised only about 50 degrees (not to "
             "parallel): partial reps, none counts.", ("too_low",), {"lift": 50.0}),
    ClipSpec("shrug_good", "shrug", "male", "side", 661, 2,
             "Dumbbell shrugs seen from the front: shoulders raised high toward the ears, arms "
             "hanging straight."),
    # On the female body the neck gap reads 0.51-0.52 standing and 0.46 half-shrugged (the male's
    # standing value is 0.46-0.49): an absolute threshold cannot judge both (see shrug.yaml).
    ClipSpec("shrug_shallow", "shrug", "male", "side", 663, 2,
             "Shrugs that lift the shoulders only half way (3 cm instead of 6): partial, none counts.",
             ("too_shallow",), {"shrug": 12.0}),
    ClipSpec("arm_circles_good", "arm_circles", "female", "side", 671, 4,
             "Arm circles: arms out to the sides in line with the shoulders, 2 forward then 2 "
             "backward circles, seen from the side."),
    ClipSpec("arm_circles_arms_low", "arm_circles", "male", "side", 672, 4,
             "Arm circles with the arms drooping about 30 degrees below the shoulders.",
             ("arms_low",), {"elev": -30.0}),
    ClipSpec("band_pull_apart_good", "band_pull_apart", "male", "side", 681, 2,
             "Band pull-aparts seen from the front: arms straight at shoulder height, the band "
             "pulled apart until the arms are out to the sides."),
    ClipSpec("band_pull_apart_arms_low", "band_pull_apart", "female", "side", 682, 2,
             "Band pull-aparts with the hands at belly height (arms 40 degrees below the shoulders).",
             ("arms_low",), {"arm_h": -40.0}),
    ClipSpec("twist_toe_touch_good", "twist_toe_touch", "male", "side", 691, 2,
             "Twist and touch the opposite foot, seen from the side: the left hand reaches the "
             "right foot, stand up, the right hand reaches the left foot; dumbbells in both hands."),
    ClipSpec("twist_toe_touch_no_twist", "twist_toe_touch", "female", "side", 692, 2,
             "Bending straight down without the twist: the hands stay over their own feet; the "
             "bends count, the missing twist is called.", ("no_twist",), {"twist": 0.0}),
)

_L = ("left_hip", "left_knee", "left_ankle")
ANGLES: dict[str, tuple[AngleDef, ...]] = {
    "romanian_deadlift": (AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
                          AngleDef("knee", "angle", _L),
                          AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee"))),
    "deadlift": (AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
                 AngleDef("knee", "angle", _L),
                 AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee"))),
    "squat": (AngleDef("knee", "angle", _L), AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
              AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee"))),
    "seated_hip_hinge": (AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
                         AngleDef("shin", "inclination", ("left_ankle", "left_knee"))),
    "bent_over_row": (AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
                      AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
                      AngleDef("knee", "angle", _L)),
    "bent_over_reverse_fly": (AngleDef("arm_left", "elevation", ("left_shoulder", "left_wrist")),
                              AngleDef("arm_right", "elevation", ("right_shoulder", "right_wrist")),
                              AngleDef("trunk", "inclination", ("left_hip", "left_shoulder"), primary=False)),
    "shrug": (AngleDef("neck", "angle", ("left_ear", "left_shoulder", "left_hip"), primary=False),),
    "arm_circles": (AngleDef("arm", "elevation", ("left_shoulder", "left_wrist")),),
    "band_pull_apart": (AngleDef("arm_left", "elevation", ("left_shoulder", "left_wrist")),
                        AngleDef("arm_right", "elevation", ("right_shoulder", "right_wrist"))),
    "twist_toe_touch": (AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
                        AngleDef("knee", "angle", _L)),
}
FAULTS: dict[str, tuple[str, ...]] = {
    "romanian_deadlift": ("rounded_back",),
    "deadlift": ("rounded_back", "too_shallow", "hips_first"),
    "squat": ("too_shallow", "heels_up"),
    "seated_hip_hinge": ("too_deep", "feet_forward"),
    "bent_over_row": ("torso_moving", "hinge_angle"),
    "bent_over_reverse_fly": ("too_low",),
    "shrug": ("too_shallow",),
    "arm_circles": ("arms_low",),
    "band_pull_apart": ("arms_low",),
    "twist_toe_touch": ("no_twist",),
}
BUILDERS = {"romanian_deadlift": _romanian_deadlift, "deadlift": _deadlift, "squat": _squat,
            "seated_hip_hinge": _seated_hip_hinge, "bent_over_row": _bent_over_row,
            "bent_over_reverse_fly": _reverse_fly, "shrug": _shrug, "arm_circles": _arm_circles,
            "band_pull_apart": _band_pull_apart, "twist_toe_touch": _twist_toe_touch}
SCENES = {k: _scene for k in BUILDERS} | {"seated_hip_hinge": _seated_scene}
HOLD_RULES: dict[str, Callable] = {}
HOLD_TARGET_S: dict[str, float] = {}
