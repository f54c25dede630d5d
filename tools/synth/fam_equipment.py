"""Equipment and seated exercises: dumbbell row, chest-supported row, inverted row, seated band row,
seated lean-back, dead hang. Clip table, builders, ground-truth definitions and scenes (benches,
stool, table, bands, dumbbells), merged into `tools.synth.clips` like the four families there.

Moving props (dumbbells in the hands, a band from the feet to the hands) are one `Dynamic` mesh
whose vertices the stage function rewrites every frame; the renderer sorts them with the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from tools.synth import motion as mo
from tools.synth.body import Body, forward_kinematics, keypoints, skin, transform
from tools.synth.clips import ClipSpec
from tools.synth.render import TriMesh
from tools.synth.rig import Pose, arm_lengths, direction, pose_rotations, reach_for, rot_between, rot_x
from tools.synth.scene import Room, box, cylinder_x, pullup_station
from tools.synth.truth import AngleDef

IRON, RUBBER = (45, 45, 50), (40, 40, 40)
BAND = (60, 180, 60)  # green resistance band (BGR)
PAD, FRAME = (40, 40, 150), (70, 70, 70)  # dark red padding, grey steel


# --------------------------------------------------------------------------- props
def _unit_cylinder(radius: float, sides: int = 10, segment: float = 0.25) -> TriMesh:
    """A cylinder from x=0 to x=1 (scaled along x later)."""
    return cylinder_x(0.0, 1.0, 0.0, 0.0, radius, (0, 0, 0), sides, segment)


def _place(template: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Template vertices along +x (0..1) stretched and rotated onto p0→p1."""
    d = np.asarray(p1, float) - p0
    length = float(np.linalg.norm(d))
    v = template * np.array([length, 1.0, 1.0])
    return v @ rot_between(np.array([1.0, 0, 0]), d / max(length, 1e-9)).T + p0


def dumbbell_template() -> TriMesh:
    """A dumbbell centred at the origin along x: handle and two plate stacks (about 2-4 kg)."""
    handle = cylinder_x(-0.09, 0.09, 0, 0, 0.017, IRON, 10, 0.06)
    plates = [cylinder_x(-0.19, -0.085, 0, 0, 0.052, RUBBER, 14, 0.06),
              cylinder_x(0.085, 0.19, 0, 0, 0.052, RUBBER, 14, 0.06)]
    return TriMesh.concat([handle, *plates])


@dataclass(eq=False)
class Dynamic:
    """Props that move with the body: named parts, each a template placed per frame."""

    parts: dict[str, TriMesh]
    mesh: TriMesh | None = None
    slices: dict[str, slice] | None = None

    def build(self, static: list[TriMesh]) -> TriMesh:
        """One mesh: the static props followed by the moving parts (vertices rewritten per frame)."""
        meshes = list(static)
        self.slices = {}
        start = sum(len(m.vertices) for m in meshes)
        for name, part in self.parts.items():
            self.slices[name] = slice(start, start + len(part.vertices))
            start += len(part.vertices)
            meshes.append(TriMesh(part.vertices.copy(), part.faces, part.colors))
        self.mesh = TriMesh.concat(meshes)
        return self.mesh

    def put(self, name: str, vertices: np.ndarray) -> None:
        if self.mesh is not None and self.slices is not None:
            self.mesh.vertices[self.slices[name]] = vertices


def hand_frame(body: Body, posed, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(grip centre, unit axis across the palm from the pinky to the index knuckles); side L/R."""
    h = lambda b: posed.heads[body.bone[f"{b}.{side}"]]  # noqa: E731
    index, pinky, wrist = h("finger2-1"), h("finger5-1"), h("wrist")
    knuckles = (index + pinky) / 2
    axis = index - pinky
    return wrist + 1.25 * (knuckles - wrist), axis / (np.linalg.norm(axis) + 1e-9)


def place_dumbbell(dyn: Dynamic, name: str, body: Body, posed, side: str) -> None:
    """Dumbbell in the hand, its handle across the palm."""
    c, axis = hand_frame(body, posed, side)
    dyn.put(name, dyn.parts[name].vertices @ rot_between(np.array([1.0, 0, 0]), axis).T + c)


def bench_mesh(x0: float, x1: float, y0: float, y1: float, top: float) -> list[TriMesh]:
    """A padded weight bench (or sturdy low seat): pad on a steel frame."""
    parts = [box((x0, y0, top - 0.07), (x1, y1, top), PAD),
             box((x0 + 0.05, y0 + 0.05, top - 0.1), (x1 - 0.05, y1 - 0.05, top - 0.07), FRAME)]
    for ly in (y0 + 0.06, y1 - 0.10):
        parts.append(box(((x0 + x1) / 2 - 0.03, ly, 0.04), ((x0 + x1) / 2 + 0.03, ly + 0.04, top - 0.1), FRAME))
        parts.append(box((x0 - 0.02, ly - 0.02, 0.0), (x1 + 0.02, ly + 0.06, 0.04), FRAME))
    return parts


def _oriented_box(center: np.ndarray, axes: np.ndarray, half: tuple[float, float, float], color) -> TriMesh:
    """A box with its own axes (3,3 rows = unit axes) and half sizes."""
    m = box((-half[0], -half[1], -half[2]), half, color)
    return TriMesh(m.vertices @ axes + center, m.faces, m.colors)


# --------------------------------------------------------------------------- staging helpers
def _joint(body: Body, posed, bone: str) -> np.ndarray:
    return posed.heads[body.bone[bone]]


# --------------------------------------------------------------------------- dead hang
def stage_dead_hang(body: Body, p: dict[str, float], bar: mo.Bar) -> mo.Staged:
    """Standing under a bar, reaching up and hanging from it.

    Params: arms (0 at the sides … 1 overhead at the grip), lift (0 feet on the floor … 1 hanging
    from the bar with elbows at `elbow`), elbow (inner elbow angle in the hang), knee, hip, neck.
    """
    arms, lift = float(np.clip(p["arms"], 0, 1)), float(np.clip(p["lift"], 0, 1))
    th = p.get("hip", 180.0)
    sh = th + 180 - p.get("knee", 176.0)
    foot = 25.0 * lift
    pose = Pose(neck_flex=p.get("neck", 0.0), thigh=(th, th), shin=(sh, sh), foot=(foot, foot))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    shoulders = posed.heads[[body.bone["upperarm01.L"], body.bone["upperarm01.R"]]]
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    z_stand = mo._ankle_height(body) - ankles[:, 2].min()
    z_hang = mo.hang_shoulder_z(body, bar, p.get("elbow", 174.0), 0.0) - shoulders[:, 2].mean()
    z = z_stand + lift * max(z_hang - z_stand, 0.0)
    shift = np.array([-shoulders[:, 0].mean(), bar.y - shoulders[:, 1].mean(), z])

    def target(s: str, sign: float) -> np.ndarray:
        shoulder = _joint(body, posed, f"upperarm01.{s}") + shift
        l1, l2 = arm_lengths(body, s)
        if lift > 0:
            return bar.wrist(sign)
        d = direction(180.0 - 180.0 * arms) + np.array([sign * (0.12 + 0.25 * arms), 0, 0])
        return shoulder + reach_for(l1, l2, 168) * d / np.linalg.norm(d)

    targets = mo._sides_map(target)
    poles = mo._sides_map(lambda s, sign: np.array([sign * bar.elbows_out, -1.0, -0.5 + 0.5 * (1 - arms)]))
    posed = mo._with_arms(body, pose, posed, targets, poles, shift)
    staged = mo._finish(body, posed)
    feet = float(staged.vertices[:, 2].min())
    return mo.Staged(staged.posed, staged.vertices, {"feet_off_floor_m": feet})


def _dead_hang(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    bar = mo.Bar(grip=0.36, elbows_out=0.6)
    stand = dict(arms=0.0, lift=0.0, elbow=174.0, knee=176.0, hip=180.0, neck=0.0)
    hang = dict(stand, arms=1.0, lift=1.0, knee=168.0, hip=182.0)
    t0 = float(rng.uniform(1.5, 1.6))
    hold = v.get("hold", 5.0)
    keys = [mo.Key(0.0, stand), mo.Key(t0, stand), mo.Key(t0 + 0.7, dict(stand, arms=1.0)),
            mo.Key(t0 + 1.0, hang)]
    t = t0 + 1.0
    bent = v.get("bent_elbow")
    if bent is not None:
        # A flexed-arm stretch in the middle of the hang: elbows bend and stay bent for a while.
        keys += [mo.Key(t + 1.4, hang), mo.Key(t + 2.2, dict(hang, elbow=bent)),
                 mo.Key(t + 3.8, dict(hang, elbow=bent)), mo.Key(t + 4.6, hang)]
    keys += [mo.Key(t + hold, hang), mo.Key(t + hold + 0.3, dict(hang, lift=0.0, knee=176.0, hip=180.0)),
             mo.Key(t + hold + 0.9, stand)]
    sway = mo.Sway.make(rng, {"knee": 2.0, "hip": 1.5, "neck": 2.0})
    track = mo.Track(tuple(keys), sway)
    end = t + hold + 1.1 + float(rng.uniform(1.5, 1.6))

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_dead_hang(b, p, bar)

    extras = {"bar": {"axis_z_m": bar.z, "y_m": bar.y, "half_length_m": 0.75, "grip_half_width_m": bar.grip},
              "level": "beginner"}
    return track.at, stage, [], end, extras


def _dead_hang_scene(body, params, stage, duration, extras):
    bar = extras["bar"]
    return Room(), None, [], pullup_station(0.0, bar["y_m"], bar["axis_z_m"]), extras


def _hanging(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Hanging from the bar: both wrists above the shoulders (projected arm elevation >= 45 deg
    on both sides) — the posture the spec times; bent elbows are a cue during it, not its end."""
    return (cols["arm_elevation_2d"] >= 45) & (cols["right_arm_elevation_2d"] >= 45)


# --------------------------------------------------------------------------- dumbbell row
def _trunk_axes(trunk: float) -> tuple[np.ndarray, np.ndarray]:
    """World unit vectors for a person facing -y: along the hip→shoulder line, and its normal
    pointing out of the chest (down when bent over)."""
    u = direction(trunk)
    n = direction(trunk + 90.0)
    return u, n


def stage_dumbbell_row(body: Body, p: dict[str, float], dyn: Dynamic | None = None) -> mo.Staged:
    """One-arm dumbbell row, right knee and right hand on a bench, left leg standing, left arm rows.

    Params: trunk (hip→shoulder from vertical, ~85 = parallel to the floor), flex (spine), neck,
    knee (standing knee), pull (0 arm hanging … 1 elbow pulled up by the back), flare (0 elbow
    along the body … 1 elbow out to the side), top_wrist (how far back the hand travels at pull 1).
    """
    trunk = p["trunk"]
    knee = p.get("knee", 165.0)
    th_l = 172.0
    pose = Pose(trunk=trunk, spine_flex=p.get("flex", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=(th_l, 178.0), shin=(th_l + 180 - knee, 268.0), foot=(0.0, 60.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    ankle_l = _joint(body, posed, "foot.L")
    shift = np.array([-_joint(body, posed, "upperleg01.L")[0] + 0.55, -ankle_l[1],
                      mo._ankle_height(body) - ankle_l[2]])
    bench_top = float(_joint(body, posed, "lowerleg01.R")[2] + shift[2]) - 0.065
    u, n = _trunk_axes(trunk)
    pull, flare = float(np.clip(p.get("pull", 0.0), 0, 1.2)), p.get("flare", 0.0)

    def target(s: str, sign: float) -> np.ndarray:
        sh = _joint(body, posed, f"upperarm01.{s}") + shift
        l1, l2 = arm_lengths(body, s)
        if s == "R":  # support hand flat on the bench, a little ahead of the shoulder
            return np.array([sh[0] - 0.02, sh[1] - 0.06, bench_top + 0.075])
        bottom = sh + np.array([0.02, -0.04, -reach_for(l1, l2, 168)])
        top = sh - p.get("top_wrist", 0.28) * u + 0.14 * n + np.array([0.05 + 0.20 * flare, 0, 0])
        w = 0.5 - 0.5 * np.cos(np.pi * min(pull, 1.0))
        return (1 - w) * bottom + w * top

    targets = mo._sides_map(target)
    poles = (np.array([0.25 + 1.6 * flare, 0.6, 1.0]), np.array([-1.0, 0.3, 0.0]))
    posed = mo._with_arms(body, pose, posed, targets, poles, shift)
    staged = mo._finish(body, posed, {"spine_flex": p.get("flex", 0.0), "bench_top_m": bench_top})
    if dyn is not None:
        place_dumbbell(dyn, "dumbbell", body, staged.posed, "L")
    return staged


def _dumbbell_row(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    base = dict(trunk=84.0, flex=0.0, neck=-10.0, knee=163.0, pull=0.0, flare=0.0, top_wrist=0.28)
    turns, flags = [], []
    depth = v.get("pull", 1.0)
    for _ in range(spec.reps):
        d = depth + float(rng.uniform(-0.03, 0.03))
        turns.append(dict(base, pull=d, flare=v.get("flare", 0.0), trunk=base["trunk"] - v.get("heave", 0.0)))
        faults = tuple(f for f, bad in (("short_pull", d < 0.7), ("elbow_flare", v.get("flare", 0) > 0.5),
                                        ("torso_heave", v.get("heave", 0) > 12)) if bad)
        flags.append((d >= 0.9, faults))
    tempo = mo.Tempo(move=(1.9, 2.2), down_fraction=(0.45, 0.55), turn=(0.8, 0.9), pause=(0.4, 0.5))
    t0 = float(rng.uniform(1.5, 1.6))
    keys, reps, t_end = mo.rep_keys(rng, t0, base, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"trunk": 0.8, "neck": 2.0, "knee": 1.0})
    track = mo.Track((mo.Key(0.0, base), *keys), sway)
    dyn = Dynamic({"dumbbell": dumbbell_template()})

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_dumbbell_row(b, p, dyn)

    return track.at, stage, reps, t_end + float(rng.uniform(1.5, 1.6)), {"_dyn": dyn}


def _dumbbell_row_scene(body, params, stage, duration, extras):
    dyn = extras.pop("_dyn")
    staged = stage(body, params(0.0))
    kp = keypoints(body, staged.posed)
    top = staged.extras["bench_top_m"]
    y0 = float(kp["right_wrist"][1]) - 0.18
    y1 = float(max(kp["right_foot_index"][1], kp["right_heel"][1])) + 0.05
    x1 = float(kp["right_knee"][0]) + 0.14
    x0 = x1 - 0.30
    static = bench_mesh(x0, x1, y0, y1, top)
    return Room(), None, [], dyn.build(static), {**extras, "bench": {"x_m": [round(x0, 3), round(x1, 3)],
                                                                     "y_m": [round(y0, 3), round(y1, 3)],
                                                                     "top_m": round(top, 3)}}


# --------------------------------------------------------------------------- chest-supported row
def _region_vertices(body: Body, verts: np.ndarray, region: str) -> np.ndarray:
    return verts[body.vertex_region == body.region_names.index(region)]


def stage_chest_supported_row(body: Body, p: dict[str, float], dyn: Dynamic | None = None) -> mo.Staged:
    """Chest on an incline bench, feet on the floor behind it, a dumbbell in each hand.

    Params: trunk (hip→shoulder from vertical; a 40 deg bench gives 50), neck, knee, pull (0 arms
    hanging … 1 elbows pulled to the ribs), y (position along world y).
    """
    trunk = p["trunk"]
    th = 200.0
    pose = Pose(trunk=trunk, neck_flex=p.get("neck", 0.0), thigh=(th, th),
                shin=(th + 180 - p.get("knee", 168.0),) * 2, foot=(-8.0, -8.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    shift = np.array([0.45 - ankles[:, 0].mean(), p.get("y", 0.55) - ankles[:, 1].mean(),
                      mo._ankle_height(body) - ankles[:, 2].min()])
    u, n = _trunk_axes(trunk)
    pull = float(np.clip(p.get("pull", 0.0), 0, 1))

    def target(s: str, sign: float) -> np.ndarray:
        sh = _joint(body, posed, f"upperarm01.{s}") + shift
        l1, l2 = arm_lengths(body, s)
        bottom = sh + np.array([sign * 0.03, -0.02, -reach_for(l1, l2, 168)])
        top = sh - 0.26 * u + 0.16 * n + np.array([sign * 0.06, 0, 0])
        w = 0.5 - 0.5 * np.cos(np.pi * pull)
        return (1 - w) * bottom + w * top

    targets = mo._sides_map(target)
    poles = mo._sides_map(lambda s, sign: -n + np.array([sign * 0.35, 0, 0]) + np.array([0, 0.3, 0]))
    posed = mo._with_arms(body, pose, posed, targets, poles, shift)
    staged = mo._finish(body, posed)
    if dyn is not None:
        place_dumbbell(dyn, "dumbbell_l", body, staged.posed, "L")
        place_dumbbell(dyn, "dumbbell_r", body, staged.posed, "R")
    return staged


def incline_bench(body: Body, staged: mo.Staged, trunk: float) -> list[TriMesh]:
    """An incline bench whose pad lies under the chest of `staged` (pad angle = 90 - trunk)."""
    u, n = _trunk_axes(trunk)
    hip = (_joint(body, staged.posed, "upperleg01.L") + _joint(body, staged.posed, "upperleg01.R")) / 2
    shoulder = (_joint(body, staged.posed, "upperarm01.L") + _joint(body, staged.posed, "upperarm01.R")) / 2
    shirt = _region_vertices(body, staged.vertices, "shirt")
    along = (shirt - hip) @ u
    torso = shirt[(along > 0.05) & (along < float((shoulder - hip) @ u) - 0.08)]
    depth = float(((torso - hip) @ n).max())  # the chest surface, measured from the hip line
    length = float((shoulder - hip) @ u) + 0.02
    thick = 0.07
    centre = hip + u * (length / 2 - 0.08) + n * (depth + thick / 2)
    axes = np.stack([np.array([1.0, 0, 0]), u, n])
    # Short pieces, so the painter's sort orders the pad and the arms beside it correctly.
    pieces = 8
    half = (length / 2 + 0.04) / pieces
    parts = [_oriented_box(centre + u * (-(length / 2 + 0.04) + (2 * i + 1) * half), axes,
                           (0.12, half, thick / 2), PAD) for i in range(pieces)]
    top_end = centre + u * (length / 2) + n * thick / 2
    low_end = centre - u * (length / 2) + n * thick / 2
    x = float(centre[0])
    for end, w in ((top_end, 0.04), (low_end, 0.04)):
        parts.append(box((x - w, end[1] - 0.03, 0.04), (x + w, end[1] + 0.03, end[2]), FRAME))
    y0, y1 = sorted((float(top_end[1]), float(low_end[1])))
    parts.append(box((x - 0.22, y0 - 0.08, 0.0), (x + 0.22, y0 + 0.02, 0.04), FRAME))
    parts.append(box((x - 0.22, y1 - 0.02, 0.0), (x + 0.22, y1 + 0.08, 0.04), FRAME))
    parts.append(box((x - 0.03, y0, 0.0), (x + 0.03, y1, 0.05), FRAME))
    return parts


def _chest_supported_row(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    base = dict(trunk=50.0, neck=-5.0, knee=168.0, pull=0.0, y=0.55)
    lift = v.get("lift", 0.0)  # the chest comes off the pad (torso more upright) on each pull
    turns, flags = [], []
    for _ in range(spec.reps):
        d = v.get("pull", 1.0) + float(rng.uniform(-0.03, 0.03))
        turns.append(dict(base, pull=d, trunk=base["trunk"] - lift))
        faults = tuple(f for f, bad in (("chest_off_bench", lift >= 12), ("short_pull", d < 0.7)) if bad)
        flags.append((d >= 0.9, faults))
    tempo = mo.Tempo(move=(1.9, 2.2), down_fraction=(0.45, 0.55), turn=(0.6, 0.7), pause=(0.4, 0.5))
    t0 = float(rng.uniform(1.5, 1.6))
    keys, reps, t_end = mo.rep_keys(rng, t0, base, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"trunk": 0.6, "neck": 2.0, "knee": 1.0})
    track = mo.Track((mo.Key(0.0, base), *keys), sway)
    dyn = Dynamic({"dumbbell_l": dumbbell_template(), "dumbbell_r": dumbbell_template()})

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_chest_supported_row(b, p, dyn)

    return track.at, stage, reps, t_end + float(rng.uniform(1.5, 1.6)), {"_dyn": dyn, "bench_incline_deg": 90 - base["trunk"]}


def _chest_supported_row_scene(body, params, stage, duration, extras):
    dyn = extras.pop("_dyn")
    p0 = params(0.0)
    staged = stage(body, dict(p0, trunk=50.0))
    return Room(), None, [], dyn.build(incline_bench(body, staged, 50.0)), extras



# --------------------------------------------------------------------------- seated lean-back
def _band(radius: float = 0.008) -> TriMesh:
    m = _unit_cylinder(radius, 6, 0.2)
    return TriMesh(m.vertices, m.faces, np.tile(np.asarray(BAND, float), (len(m.faces), 1)))


def stage_seated_lean_back(body: Body, p: dict[str, float], dyn: Dynamic | None = None) -> mo.Staged:
    """Sitting on a stool, feet flat, band under the feet, hands holding it at the chest; the torso
    leans back about the hips.

    Params: trunk (hip→shoulder direction, negative = leaning back), flex (spine; + rounds), neck.
    """
    trunk = p["trunk"]
    pose = Pose(trunk=trunk, spine_flex=p.get("flex", 0.0), neck_flex=p.get("neck", 0.0),
                thigh=(94.0, 94.0), shin=(182.0, 182.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    ankles = posed.heads[[body.bone["foot.L"], body.bone["foot.R"]]]
    hips = posed.heads[[body.bone["upperleg01.L"], body.bone["upperleg01.R"]]]
    shift = np.array([0.45 - ankles[:, 0].mean(), -hips[:, 1].mean() - 0.15,
                      mo._ankle_height(body) - ankles[:, 2].min()])
    u, n = _trunk_axes(trunk)

    def target(s: str, sign: float) -> np.ndarray:
        sh = _joint(body, posed, f"upperarm01.{s}") + shift
        return sh - 0.17 * u + 0.16 * n + np.array([-sign * 0.06, 0, 0])

    targets = mo._sides_map(target)
    poles = mo._sides_map(lambda s, sign: np.array([sign * 1.0, 0.2, -1.0]))
    posed = mo._with_arms(body, pose, posed, targets, poles, shift)
    staged = mo._finish(body, posed, {"spine_flex": p.get("flex", 0.0)})
    if dyn is not None:
        for s in ("L", "R"):
            hand, _ = hand_frame(body, staged.posed, s)
            foot = (_joint(body, staged.posed, f"foot.{s}") + _joint(body, staged.posed, f"toe1-1.{s}")) / 2
            foot = foot + np.array([0, 0, -0.06])
            knee = _joint(body, staged.posed, f"lowerleg01.{s}") + np.array([0.0, -0.07, 0.0])
            dyn.put(f"band_{s}_low", _place(dyn.parts[f"band_{s}_low"].vertices, foot, knee))
            dyn.put(f"band_{s}_high", _place(dyn.parts[f"band_{s}_high"].vertices, knee, hand))
    return staged


def stool(body: Body, staged: mo.Staged, height_pad: float = 0.0) -> list[TriMesh]:
    """A backless stool under the buttocks of a seated `staged` body."""
    shorts = _region_vertices(body, staged.vertices, "shorts")
    hip = (_joint(body, staged.posed, "upperleg01.L") + _joint(body, staged.posed, "upperleg01.R")) / 2
    near = shorts[np.abs(shorts[:, 1] - hip[1]) < 0.12]
    top = float(near[:, 2].min()) + height_pad
    x, y = float(hip[0]), float(hip[1]) + 0.04
    wood, leg = (50, 90, 140), (35, 60, 95)
    parts = [box((x - 0.19, y - 0.17, top - 0.04), (x + 0.19, y + 0.17, top), wood)]
    for dx in (-0.15, 0.12):
        for dy in (-0.13, 0.10):
            parts.append(box((x + dx, y + dy, 0.0), (x + dx + 0.03, y + dy + 0.03, top - 0.04), leg))
    return parts


def _seated_lean_back(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    base = dict(trunk=3.0, flex=0.0, neck=0.0)
    lean, hold = v.get("lean", 30.0), v.get("hold", 2.9)
    turns, flags = [], []
    for _ in range(spec.reps):
        d = lean + float(rng.uniform(-2, 2))
        turns.append(dict(base, trunk=-d, flex=v.get("flex", 0.0), neck=v.get("neck", 6.0)))
        faults = tuple(f for f, bad in (("too_shallow", d < 20), ("hold_short", hold < 2.0),
                                        ("rounded_back", v.get("flex", 0) >= 10)) if bad)
        flags.append((d >= 25, faults))
    tempo = mo.Tempo(move=(1.5, 1.7), down_fraction=(0.48, 0.52), turn=(hold, hold + 0.1), pause=(0.4, 0.5))
    t0 = float(rng.uniform(1.5, 1.6))
    keys, reps, t_end = mo.rep_keys(rng, t0, base, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"trunk": 0.7, "neck": 2.0})
    track = mo.Track((mo.Key(0.0, base), *keys), sway)
    dyn = Dynamic({f"band_{s}_{k}": _band() for s in ("L", "R") for k in ("low", "high")})

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_seated_lean_back(b, p, dyn)

    return track.at, stage, reps, t_end + float(rng.uniform(1.5, 1.6)), {"_dyn": dyn}


def _seated_lean_back_scene(body, params, stage, duration, extras):
    dyn = extras.pop("_dyn")
    staged = stage(body, params(0.0))
    return Room(), None, [], dyn.build(stool(body, staged)), extras


def _leaning_back(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Leaning back at least 25 deg: projected hip→shoulder line >= 25 deg from vertical (the clips
    only ever lean backwards, so the unsigned angle is the backward lean)."""
    return cols["trunk_2d"] >= 25



# --------------------------------------------------------------------------- seated band row
def stage_seated_band_row(body: Body, p: dict[str, float], dyn: Dynamic | None = None) -> mo.Staged:
    """Sitting on the floor, legs straight forward, a band around the soles, both ends in the hands.

    Params: trunk (hip→shoulder from vertical; + forward, - back), knee, neck, pull (0 arms
    straight towards the feet … 1 hands at the lower ribs, elbows behind the body).
    """
    trunk, knee = p["trunk"], p.get("knee", 176.0)
    th = 92.0
    pose = Pose(trunk=trunk, neck_flex=p.get("neck", 0.0), thigh=(th, th),
                shin=(th + 180 - knee,) * 2, foot=(-20.0, -20.0))
    posed = forward_kinematics(body, pose_rotations(body, pose))
    verts = skin(body, posed)
    hips = posed.heads[[body.bone["upperleg01.L"], body.bone["upperleg01.R"]]]
    shift = np.array([0.30 - hips[:, 0].mean(), 0.35 - hips[:, 1].mean(), 0.004 - verts[:, 2].min()])
    u, n = _trunk_axes(trunk)
    pull = float(np.clip(p.get("pull", 0.0), 0, 1))

    def target(s: str, sign: float) -> np.ndarray:
        sh = _joint(body, posed, f"upperarm01.{s}") + shift
        l1, l2 = arm_lengths(body, s)
        reach = sh + reach_for(l1, l2, 170) * direction(112.0) + np.array([-sign * 0.08, 0, 0])
        back = sh - 0.25 * u + 0.10 * n + np.array([sign * 0.02, 0, 0])
        w = 0.5 - 0.5 * np.cos(np.pi * pull)
        return (1 - w) * reach + w * back

    targets = mo._sides_map(target)
    poles = mo._sides_map(lambda s, sign: np.array([sign * 0.5, 1.0, -0.6]))
    posed = mo._with_arms(body, pose, posed, targets, poles, shift)
    staged = mo._finish(body, posed)
    if dyn is not None:
        for s in ("L", "R"):
            hand, _ = hand_frame(body, staged.posed, s)
            toe = _joint(body, staged.posed, f"toe1-1.{s}")
            ankle = _joint(body, staged.posed, f"foot.{s}")
            sole = toe + 0.6 * (toe - ankle) / np.linalg.norm(toe - ankle) * 0.05 + np.array([0, -0.03, 0.0])
            dyn.put(f"band_{s}", _place(dyn.parts[f"band_{s}"].vertices, sole, hand))
    return staged


def _seated_band_row(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    base = dict(trunk=4.0, knee=176.0, neck=0.0, pull=0.0)
    rock = v.get("rock", 0.0)  # the torso swings back on each pull
    turns, flags = [], []
    for _ in range(spec.reps):
        d = v.get("pull", 1.0) + float(rng.uniform(-0.03, 0.03))
        turns.append(dict(base, pull=d, trunk=base["trunk"] - rock, knee=v.get("knee", 176.0)))
        faults = tuple(f for f, bad in (("torso_rock", rock >= 12),) if bad)
        flags.append((d >= 0.9, faults))
    tempo = mo.Tempo(move=(1.9, 2.2), down_fraction=(0.45, 0.55), turn=(0.6, 0.7), pause=(0.4, 0.5))
    t0 = float(rng.uniform(1.5, 1.6))
    keys, reps, t_end = mo.rep_keys(rng, t0, base, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"trunk": 0.6, "neck": 2.0, "knee": 0.8})
    track = mo.Track((mo.Key(0.0, base), *keys), sway)
    dyn = Dynamic({f"band_{s}": _band(0.009) for s in ("L", "R")})

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_seated_band_row(b, p, dyn)

    return track.at, stage, reps, t_end + float(rng.uniform(1.5, 1.6)), {"_dyn": dyn}


def _seated_band_row_scene(body, params, stage, duration, extras):
    dyn = extras.pop("_dyn")
    return Room(), (-0.1, 0.75, -1.2, 0.9), [], dyn.build([]), extras



# --------------------------------------------------------------------------- inverted row
@dataclass(frozen=True)
class Table:
    """A table whose near long edge (world y = edge_y, along x) the hands grip from below."""

    edge_y: float = 0.45
    top_z: float = 0.76
    grip: float = 0.27  # hands at ±grip m from x = 0
    depth: float = 0.85  # towards +y (over the head)
    half_width: float = 0.75
    x: float = 0.45  # table (and person) centre along x: nearer the side camera than the room centre
    leg_inset: float = 0.30  # legs set back from the gripped edge (an overhanging top)

    def wrist(self, sign: float) -> np.ndarray:
        return np.array([self.x + sign * self.grip, self.edge_y + 0.02, self.top_z - 0.075])

    def meshes(self) -> list[TriMesh]:
        wood, legc = (60, 105, 160), (45, 75, 115)
        x0, x1 = self.x - self.half_width, self.x + self.half_width
        y0, y1 = self.edge_y, self.edge_y + self.depth
        xs = np.linspace(x0, x1, 9)
        parts = [box((a, y0, self.top_z - 0.035), (b, y1, self.top_z), wood) for a, b in zip(xs, xs[1:])]
        for lx in (x0 + 0.04, x1 - 0.09):
            for ly in (y0 + self.leg_inset, y1 - 0.09):
                zs = np.linspace(0.0, self.top_z - 0.035, 4)
                parts += [box((lx, ly, za), (lx + 0.05, ly + 0.05, zb), legc) for za, zb in zip(zs, zs[1:])]
        return parts


def _ang(v: np.ndarray) -> float:
    """World (y, z) direction of a supine body (head towards +y) → the rig's direction angle."""
    return float(np.degrees(np.arctan2(v[2], v[1])))


def stage_inverted_row(body: Body, p: dict[str, float], table: Table) -> mo.Staged:
    """Lying face up under a table, heels/feet on the floor, hands on the table edge: the body
    (shoulder–hip–knee line) rises towards the edge as the elbows bend.

    Params: elbow (inner elbow angle the shoulders are placed for), sag (hip drop: 180 - hip angle),
    knee_y (feet position along y: sets the knee bend), neck.
    """
    h = body.heads
    b = body.bone
    mid = lambda a, c: (h[b[a]] + h[b[c]]) / 2  # noqa: E731
    hip0, sh0 = mid("upperleg01.L", "upperleg01.R"), mid("upperarm01.L", "upperarm01.R")
    l_trunk = float(np.linalg.norm((sh0 - hip0)[1:]))
    l_thigh = float(np.linalg.norm((h[b["lowerleg01.L"]] - h[b["upperleg01.L"]])[1:]))
    l_shin = float(np.linalg.norm((h[b["foot.L"]] - h[b["lowerleg01.L"]])[1:]))
    l1, l2 = arm_lengths(body, "L")
    sx = float(h[b["upperarm01.L"], 0])
    # Shoulders below the grip: the arm spans grip - shoulder at the requested elbow angle.
    d = reach_for(l1, l2, p["elbow"])
    dx = table.grip - sx
    up = np.sqrt(max(d ** 2 - dx ** 2 - p.get("dy", 0.0) ** 2, 1e-6))
    g = table.wrist(1.0)
    S = np.array([table.x, g[1] + p.get("dy", 0.0), g[2] - up])
    A = np.array([table.x, table.edge_y - p.get("feet", 1.25), mo._ankle_height(body) + 0.02])
    sag = np.radians(p.get("sag", 0.0))
    # Knee→shoulder span with the hip bent by `sag`, then the knee from two-bone IK (knee up).
    span = np.sqrt(l_thigh ** 2 + l_trunk ** 2 + 2 * l_thigh * l_trunk * np.cos(sag))
    up_s, _ = mo.two_bone_ik(A, S, l_shin, span, np.array([0.0, 0.0, 1.0]))
    K = A + l_shin * up_s
    ks = (S - K) / np.linalg.norm(S - K)
    # The hip lies below the knee→shoulder line when it sags.
    gamma = np.arcsin(np.clip(l_trunk * np.sin(sag) / span, -1, 1))
    rot = rot_x(-np.degrees(gamma))  # turn the knee→shoulder direction down (towards -z)
    kh = rot @ ks
    if kh[2] > ks[2]:
        kh = rot_x(np.degrees(gamma)) @ ks
    H = K + l_thigh * kh
    pose = Pose(trunk=_ang(S - H), neck_flex=p.get("neck", 0.0), thigh=(_ang(K - H),) * 2,
                shin=(_ang(A - K),) * 2, foot=(p.get("foot", 95.0),) * 2)
    posed = forward_kinematics(body, pose_rotations(body, pose))
    lay = rot_x(-90.0)
    posed = transform(posed, lay, np.zeros(3))
    hip_now = (_joint(body, posed, "upperleg01.L") + _joint(body, posed, "upperleg01.R")) / 2
    shift = np.array([table.x - hip_now[0], H[1] - hip_now[1], H[2] - hip_now[2]])
    targets = (table.wrist(1.0), table.wrist(-1.0))
    poles = mo._sides_map(lambda s, sign: np.array([sign * 0.6, -0.5, -1.0]))
    # _with_arms re-runs FK in the body frame: do the arm IK there and lay the result down.
    inv = lay.T
    posed_b = forward_kinematics(body, pose_rotations(body, pose))
    shift_b = inv @ shift  # world shift expressed in the body frame (rotation is about the origin)
    targets_b = tuple(inv @ t for t in targets)
    poles_b = tuple(inv @ q for q in poles)
    posed_b = mo._with_arms(body, pose, posed_b, targets_b, poles_b, shift_b)
    posed = transform(posed_b, lay, np.zeros(3))
    staged = mo._finish(body, posed)
    kp = keypoints(body, staged.posed)
    chest = float(table.top_z - 0.035 - max(kp["left_shoulder"][2], kp["right_shoulder"][2]))
    return mo.Staged(staged.posed, staged.vertices, {"shoulder_below_table_m": chest})


def _inverted_row(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    table = Table()
    base = dict(elbow=172.0, sag=v.get("sag", 4.0), neck=5.0, dy=0.0, feet=0.95, foot=95.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        e = v.get("top_elbow", 68.0) + float(rng.uniform(-3, 3))
        turns.append(dict(base, elbow=e, dy=0.20 if e < 100 else 0.06, sag=v.get("sag", 4.0) + v.get("sag_top", 0.0)))
        faults = tuple(f for f, bad in (("short_pull", e > 115), ("hips_sag", v.get("sag", 0) >= 20)) if bad)
        flags.append((e <= 100, faults))
    tempo = mo.Tempo(move=(2.0, 2.3), down_fraction=(0.45, 0.55), turn=(0.6, 0.7), pause=(0.4, 0.5))
    t0 = float(rng.uniform(1.5, 1.6))
    keys, reps, t_end = mo.rep_keys(rng, t0, base, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"sag": 1.0, "neck": 2.0})
    track = mo.Track((mo.Key(0.0, base), *keys), sway)

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return stage_inverted_row(b, p, table)

    extras = {"table": {"edge_y_m": table.edge_y, "top_z_m": table.top_z, "grip_half_width_m": table.grip}}
    return track.at, stage, reps, t_end + float(rng.uniform(1.5, 1.6)), extras


def _inverted_row_scene(body, params, stage, duration, extras):
    t = extras["table"]
    table = Table(edge_y=t["edge_y_m"], top_z=t["top_z_m"], grip=t["grip_half_width_m"])
    return Room(), (0.0, 0.9, -1.0, 1.4), [], TriMesh.concat(table.meshes()), extras



# --------------------------------------------------------------------------- tables
CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("inverted_row_good", "inverted_row", "male", "floor_side", 651, 2,
             "Inverted row under a table, knees bent and feet on the floor: shoulder-hip-knee in one "
             "line, chest pulled up to the table edge, short pause, slow lowering."),
    ClipSpec("inverted_row_sag", "inverted_row", "female", "floor_side", 652, 2,
             "Inverted rows with the hips sagging about 30 degrees below the shoulder-knee line; the "
             "chest still reaches the edge, so the reps count.", ("hips_sag",), {"sag": 30.0}),
    ClipSpec("seated_band_row_good", "seated_band_row", "male", "floor_side", 641, 2,
             "Seated band row on the floor: legs straight, torso upright and still, band from the "
             "soles pulled until the hands reach the lower ribs and the elbows are behind the body."),
    ClipSpec("seated_band_row_rocking", "seated_band_row", "female", "floor_side", 642, 2,
             "Seated band rows where the torso swings back about 18 degrees on every pull (using "
             "body weight instead of the back); the reps count.", ("torso_rock",), {"rock": 18.0}),
    ClipSpec("seated_lean_back_good", "seated_lean_back", "female", "side", 631, 2,
             "Seated lean-back on a stool, band under the feet held at the chest: lean back about 30 "
             "degrees with a straight back, hold about 3 s, sit up."),
    ClipSpec("seated_lean_back_shallow", "seated_lean_back", "male", "side", 632, 2,
             "Seated lean-backs that only tilt about 14 degrees (held 3 s): partials, none counts.",
             ("too_shallow",), {"lean": 14.0}),
    ClipSpec("chest_supported_row_good", "chest_supported_row", "female", "side", 621, 2,
             "Chest-supported row on a 40 degree incline bench: chest stays on the pad, both "
             "dumbbells pulled up to the ribs, short pause, slow lowering."),
    ClipSpec("chest_supported_row_chest_up", "chest_supported_row", "male", "side", 622, 2,
             "Chest-supported rows where the chest comes off the pad on every pull (torso rises "
             "about 20 degrees to help the weight up); the reps count.", ("chest_off_bench",), {"lift": 20.0}),
    ClipSpec("dumbbell_row_good", "dumbbell_row", "male", "side", 611, 2,
             "One-arm dumbbell row, right knee and hand on a bench, left arm rows: back parallel to "
             "the floor, elbow pulled up past the back close to the body, a short pause at the top."),
    ClipSpec("dumbbell_row_short", "dumbbell_row", "female", "side", 612, 2,
             "Dumbbell rows that stop about halfway: the elbow never comes up to the back (partials, "
             "none counts).", ("short_pull",), {"pull": 0.55}),
    ClipSpec("dead_hang_good", "dead_hang", "male", "pullup_front", 601, 0,
             "Dead hang at the spec's beginner level (5 s): stand under the bar, reach up, hang with "
             "straight arms for about 6 s, let go.", (), {"hold": 5.2}),
    ClipSpec("dead_hang_bent_arms", "dead_hang", "female", "pullup_front", 602, 0,
             "Hang (beginner level, 5 s) whose elbows bend to about 115 degrees for 1.5 s in the middle "
             "(a flexed-arm hang, not a dead hang), then straighten again.",
             ("bent_arms",), {"hold": 5.8, "bent_elbow": 115.0}),
)

ANGLES: dict[str, tuple[AngleDef, ...]] = {
    "inverted_row": (
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("body_line", "angle", ("left_shoulder", "left_hip", "left_knee")),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
    ),
    "seated_band_row": (
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
    ),
    "seated_lean_back": (
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
        AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee")),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle"), primary=False),
    ),
    "chest_supported_row": (
        AngleDef("elbow_lift", "elevation", ("left_shoulder", "left_elbow")),
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
    ),
    "dumbbell_row": (
        AngleDef("elbow_lift", "elevation", ("left_shoulder", "left_elbow")),
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
        AngleDef("support_elbow", "angle", ("right_shoulder", "right_elbow", "right_wrist"), primary=False),
    ),
    "dead_hang": (
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("right_elbow", "angle", ("right_shoulder", "right_elbow", "right_wrist")),
        AngleDef("arm_elevation", "elevation", ("left_shoulder", "left_wrist")),
        AngleDef("right_arm_elevation", "elevation", ("right_shoulder", "right_wrist")),
    ),
}
FAULTS: dict[str, tuple[str, ...]] = {
    "inverted_row": ("hips_sag", "short_pull"),
    "seated_band_row": ("torso_rock",),
    "seated_lean_back": ("too_shallow", "hold_short", "rounded_back"),
    "chest_supported_row": ("chest_off_bench", "short_pull"),
    "dumbbell_row": ("short_pull",),
    "dead_hang": ("bent_arms", "hold_short"),
}
HOLD_RULES: dict[str, Callable] = {"dead_hang": _hanging, "seated_lean_back": _leaning_back}
HOLD_TARGET_S = {"dead_hang": 5.0, "seated_lean_back": 3.0}
BUILDERS = {"dead_hang": _dead_hang, "dumbbell_row": _dumbbell_row,
            "chest_supported_row": _chest_supported_row, "seated_lean_back": _seated_lean_back,
            "seated_band_row": _seated_band_row, "inverted_row": _inverted_row}
SCENES = {"dead_hang": _dead_hang_scene, "dumbbell_row": _dumbbell_row_scene,
          "chest_supported_row": _chest_supported_row_scene, "seated_lean_back": _seated_lean_back_scene,
          "seated_band_row": _seated_band_row_scene, "inverted_row": _inverted_row_scene}
