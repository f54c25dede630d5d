"""The sample clip table (data) and the per-exercise plan builders that turn a row into motion.

A `ClipSpec` says *what* happens (exercise, body, camera, variant numbers, expected faults);
`plan_clip` turns it into a `Plan`: a parameter function of time, a staging function, the room,
props, camera, rep truth and the ground-truth definitions the sidecar needs.
"""

from __future__ import annotations

import importlib

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from tools.synth import motion as mo
from tools.synth.body import Body, load_body
from tools.synth.camera import Camera, orbit
from tools.synth.render import TriMesh
from tools.synth.scene import Room, bench, box, pullup_station
from tools.synth.truth import AngleDef

FPS = 30


@dataclass(frozen=True)
class ClipSpec:
    """One sample clip. `variant` holds the numbers that make this clip differ from its family."""

    name: str
    exercise: str  # catalog id: hip_hinge | wall_squat | pull_up | superman
    body: str | None  # "male" | "female" | None (empty room)
    view: str  # camera preset name
    seed: int
    reps: int
    description: str
    faults: tuple[str, ...] = ()
    variant: Mapping[str, float] = field(default_factory=dict)


CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec("hip_hinge_good", "hip_hinge", "male", "side", 101, 4,
             "Hip hinge, good form: torso to about parallel, flat back, soft knees, hands on hips "
             "(the raised elbows hide the back outline: the back is reported as not judged)."),
    ClipSpec("hip_hinge_good_female", "hip_hinge", "female", "oblique45", 102, 3,
             "Hip hinge, good form, female body, camera 45 degrees between side and front."),
    ClipSpec("hip_hinge_rounded", "hip_hinge", "male", "side", 103, 4,
             "Hip hinge with a rounded back: the spine flexes 35 degrees as the torso goes down; "
             "hip-shoulder line as in good form. Arms hang so the camera sees the back.",
             ("rounded_back",), {"flex": 35.0, "hands": 0.0}),
    ClipSpec("hip_hinge_rounded_mild", "hip_hinge", "female", "side", 104, 4,
             "Hip hinge with a mildly rounded back (20 degrees of spine flexion), arms hanging.",
             ("rounded_back",), {"flex": 20.0, "hands": 0.0}),
    ClipSpec("hip_hinge_shallow", "hip_hinge", "female", "side", 105, 3,
             "Hip hinge attempts that stop at about 45 degrees of trunk lean: partial reps, none "
             "counts.", ("too_shallow",), {"trunk": 45.0}),
    ClipSpec("hip_hinge_head_down", "hip_hinge", "male", "side", 106, 4,
             "Confounder, good form: flat back but the head and neck drop at the bottom; arms hanging.",
             (), {"neck": 40.0, "hands": 0.0}),
    ClipSpec("hip_hinge_rounded_head_up", "hip_hinge", "female", "side", 107, 3,
             "Confounder, fault: back rounded 35 degrees while the head is raised; arms hanging.",
             ("rounded_back",), {"flex": 35.0, "neck": -30.0, "hands": 0.0}),
    ClipSpec("wall_squat_good", "wall_squat", "male", "side", 201, 3,
             "Wall squat, good: back on the wall, slide down to 90 degree knees, hold 5 s, up."),
    ClipSpec("wall_squat_shallow", "wall_squat", "female", "side", 202, 2,
             "Wall squat attempts only to about 120 degree knees (held 5 s): partial, none counts.",
             ("too_shallow",), {"knee": 120.0}),
    ClipSpec("wall_squat_short_hold", "wall_squat", "female", "side", 203, 2,
             "Wall squat to 90 degrees but each hold lasts only about 2 s; the reps count.",
             ("hold_short",), {"hold": 2.0}),
    ClipSpec("wall_squat_front", "wall_squat", "male", "front", 204, 2,
             "Wall squat, good, filmed from the front (the thighs point at the camera): slide down to "
             "90 degree knees, hold 5 s, up."),
    ClipSpec("wall_squat_oblique_short_hold", "wall_squat", "female", "oblique45", 205, 2,
             "Wall squat to 90 degrees filmed at 45 degrees, each hold only about 2 s; the reps count.",
             ("hold_short",), {"hold": 2.0}),
    ClipSpec("pull_up_good_front", "pull_up", "male", "pullup_front", 301, 4,
             "Strict pull-ups from a full hang to chin over the bar, seen from the front."),
    ClipSpec("pull_up_good_side", "pull_up", "female", "pullup_side", 302, 4,
             "Strict pull-ups from a full hang to chin over the bar, seen from the side."),
    ClipSpec("pull_up_swing_side", "pull_up", "male", "pullup_side", 303, 3,
             "Kipping pull-ups: the body swings about the bar and the knees drive up; the chin "
             "clears the bar so the reps count.", ("swinging",), {"swing": 22.0}),
    ClipSpec("pull_up_half_front", "pull_up", "female", "pullup_front", 304, 3,
             "Half pull-ups: full hang each time but the chin stays about 12 cm below the bar: "
             "partials, none counts.", ("chin_below_bar",), {"chin_gap": -0.12}),
    ClipSpec("pull_up_no_full_hang_side", "pull_up", "male", "pullup_side", 305, 4,
             "Pull-ups without a full hang: the first starts from a dead hang and clears the bar "
             "(counts); after it the elbows never straighten past about 120 degrees until the "
             "final lowering, so the next three do not count (strict coach: 1 rep).",
             ("no_full_hang",), {"min_elbow": 120.0}),
    ClipSpec("superman_hold", "superman", "female", "floor_side", 401, 0,
             "Superman: lie still, lift arms and legs, hold 18 s, lower, lie still.",
             (), {"hold": 18.0}),
    ClipSpec("superman_drop", "superman", "male", "floor_side", 402, 0,
             "Superman whose limbs drop after about 7 s of a 15 s target hold.",
             ("hold_short",), {"hold": 7.0}),
    ClipSpec("empty_room", "hip_hinge", None, "side", 501, 0,
             "The room with nobody in view for 6 s."),
    ClipSpec("walk_in_hip_hinge", "hip_hinge", "female", "side", 502, 3,
             "The person walks in from the frame edge, stands about 2 s, puts the hands on the "
             "hips, does 3 good hip hinges and idles.", (), {"walk_in": 1.0}),
)
CLIP_NAMES = tuple(c.name for c in CLIPS)

# Ground-truth angles per exercise (left side faces the side cameras).
ANGLES: dict[str, tuple[AngleDef, ...]] = {
    "hip_hinge": (
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
        AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
        # Head position diagnostic: the ear-shoulder segment is short, so landmark placement
        # conventions (MediaPipe's shoulder sits on top of the joint) dominate its error.
        AngleDef("neck", "angle", ("left_ear", "left_shoulder", "left_hip"), primary=False),
    ),
    "wall_squat": (
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
        AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
    ),
    "pull_up": (
        AngleDef("elbow", "angle", ("left_shoulder", "left_elbow", "left_wrist")),
        AngleDef("hip", "angle", ("left_shoulder", "left_hip", "left_knee")),
        AngleDef("body_line", "angle", ("left_shoulder", "left_hip", "left_ankle")),
        AngleDef("trunk", "inclination", ("left_hip", "left_shoulder")),
    ),
    "superman": (
        AngleDef("arm_elevation", "elevation", ("left_shoulder", "left_wrist")),
        AngleDef("leg_elevation", "elevation", ("left_hip", "left_ankle")),
        AngleDef("knee", "angle", ("left_hip", "left_knee", "left_ankle")),
    ),
}
FAULTS: dict[str, tuple[str, ...]] = {
    "hip_hinge": ("rounded_back", "too_shallow"),
    "wall_squat": ("too_shallow", "hold_short"),
    "pull_up": ("swinging", "chin_below_bar", "no_full_hang"),
    "superman": ("hold_short",),
}
# Hold predicates on the projected ground truth (sidecar `expected_holds`). The wall squat's is on the
# true 3-D knee angle: seen from the front, the projected angle of a bent knee reads almost straight
# (in the side-view clips the two give the same holds within one frame).
HOLD_RULES: dict[str, str] = {
    "wall_squat": "knee_3d <= 100",
    "superman": "arm_elevation_2d >= 5 and leg_elevation_2d >= 5",
}
HOLD_TARGET_S = {"wall_squat": 5.0, "superman": 15.0}
SPINE_FLEX_FAULT_DEG = 10.0  # per-frame rounded_back truth: spine flexion at or above this


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything needed to render a clip and write its sidecar."""

    spec: ClipSpec
    body: Body | None
    duration: float
    params: Callable[[float], dict[str, float]]
    stage: Callable[[Body, dict[str, float]], mo.Staged] | None
    camera: Camera
    room: Room
    mat: tuple[float, float, float, float] | None
    furniture: list[TriMesh]
    props: TriMesh | None
    reps: list[mo.Rep]
    extras: Mapping[str, object] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return int(round(self.duration * FPS))


def _cameras(view: str) -> Camera:
    presets = {
        "side": orbit("side", (0.0, 0.0, 0.92), 0.0, 2.8, 1.0),
        "oblique45": orbit("oblique45", (0.0, 0.0, 0.92), 45.0, 2.8, 1.0),
        "front": orbit("front", (0.0, 0.0, 0.92), 90.0, 2.8, 1.0),
        "pullup_front": orbit("pullup_front", (0.0, 0.0, 1.5), 90.0, 3.4, 1.35),
        "pullup_side": orbit("pullup_side", (0.0, 0.0, 1.45), 10.0, 3.0, 1.35),
        "floor_side": orbit("floor_side", (0.0, 0.05, 0.2), 0.0, 2.8, 0.42),
    }
    return presets[view]


def _furniture() -> list[TriMesh]:
    """A bench against the far wall and a low cabinet, out of the person's way."""
    return bench(-2.15, -1.75, -3.2, -1.8) + [box((-2.2, 0.9, 0.0), (-1.8, 2.1, 0.75), (80, 80, 95))]


def _hip_hinge(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    # Standing tall between reps: hip ~177 and knee ~176 on the skeleton's joint centres.
    top = dict(trunk=1.0, flex=0.0, neck=0.0, knee=176.0, shin_lean=2.0, y=0.0, walk=0.0,
               gait=0.0, hands=v.get("hands", 1.0))  # 1 = hands on hips, 0 = arms hanging
    keys: list[mo.Key] = []
    t = float(rng.uniform(1.8, 2.4))
    if v.get("walk_in"):
        stride = 1.35
        y0, y1, stop = 2.7, 0.6, 0.0
        start = dict(top, y=y0, walk=1.0, hands=0.0, gait=0.0)
        g1 = 2 * np.pi * (y0 - y1) / stride
        g2 = 2 * np.pi * (y0 - stop) / stride
        keys = [mo.Key(0.0, start),
                mo.Key(1.95, dict(start, y=y1, gait=g1), "linear"),
                mo.Key(2.75, dict(start, y=stop, walk=0.0, gait=g2), "out"),
                mo.Key(4.6, dict(top, y=stop, hands=0.0, gait=g2)),
                mo.Key(5.4, dict(top, y=stop, gait=g2))]
        top = dict(top, gait=g2)
        t = 5.4 + float(rng.uniform(1.8, 2.2))
    trunk = v.get("trunk", 85.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        depth = trunk + float(rng.uniform(-3, 3))
        turns.append(dict(top, trunk=depth, flex=v.get("flex", 0.0), neck=v.get("neck", 0.0),
                          knee=165.0 + float(rng.uniform(-2, 2)), shin_lean=8.0))
        faults = tuple(f for f, bad in (("rounded_back", v.get("flex", 0) >= SPINE_FLEX_FAULT_DEG),
                                        ("too_shallow", depth < 60)) if bad)
        flags.append((depth >= 70, faults))
    rk, reps, t_end = mo.rep_keys(rng, t, top, turns, mo.Tempo(), flags)
    keys = (keys or [mo.Key(0.0, top)]) + rk
    sway = mo.Sway.make(rng, {"trunk": 1.2, "knee": 1.0, "y": 0.006, "neck": 2.0})
    track = mo.Track(tuple(keys), sway)
    duration = t_end + float(rng.uniform(2.0, 2.5)) if spec.reps else 6.0
    return track.at, mo.stage_standing, reps, duration, {}


def _wall_squat(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    top = dict(knee=172.0, trunk=2.0, reach=0.40, neck=0.0)
    knee, hold = v.get("knee", 90.0), v.get("hold", 5.0)
    turns, flags = [], []
    for _ in range(spec.reps):
        k = knee + float(rng.uniform(-2, 2))
        turns.append(dict(top, knee=k, trunk=3.0))
        faults = tuple(f for f, bad in (("too_shallow", k > 110), ("hold_short", hold < 4)) if bad)
        flags.append((k <= 100, faults))
    tempo = mo.Tempo(move=(4.0, 5.2), down_fraction=(0.45, 0.55), turn=(hold - 0.2, hold + 0.4),
                     pause=(1.5, 2.2))
    t0 = float(rng.uniform(1.8, 2.4))
    keys, reps, t_end = mo.rep_keys(rng, t0, top, turns, tempo, flags)
    sway = mo.Sway.make(rng, {"knee": 0.8, "trunk": 0.8, "neck": 2.0})
    track = mo.Track((mo.Key(0.0, top), *keys), sway)
    return track.at, mo.stage_wall_squat, reps, t_end + float(rng.uniform(2.0, 2.5)), {}


def _pull_up(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    # Side views use a shoulder-width grip with the elbows forward (arms near the sagittal
    # plane); front views a wide grip with the elbows out.
    bar = mo.Bar(grip=0.40, elbows_out=0.6) if spec.view.endswith("front") else mo.Bar(grip=0.27, elbows_out=0.25)
    swing_amp = v.get("swing", 0.0)
    kip = swing_amp > 0
    hang = dict(sz=mo.hang_shoulder_z(body, bar, 174.0, 0.0), dy=0.0, trunk=0.0, hip=182.0,
                knee=168.0, neck=0.0, swing=0.0)
    chin_gap = v.get("chin_gap", 0.05)
    top_neck = -12.0
    top = dict(sz=mo.top_shoulder_z(body, bar, chin_gap, top_neck), dy=0.11, trunk=-8.0,
               hip=120.0 if kip else 172.0, knee=95.0 if kip else 150.0, neck=top_neck, swing=0.0)
    min_elbow = v.get("min_elbow")
    returns = None
    turns, flags = [], []
    for i in range(spec.reps):
        turns.append(dict(top, sz=top["sz"] + float(rng.uniform(-0.01, 0.01))))
        faults: tuple[str, ...] = ()
        counted = chin_gap > 0
        if kip:
            faults = ("swinging",)
        if chin_gap <= 0:
            faults = ("chin_below_bar",)
        if min_elbow is not None:
            counted = i == 0
            faults = ("no_full_hang",) if i > 0 else ()
        flags.append((counted, faults))
    if min_elbow is not None:
        bent = dict(hang, sz=mo.hang_shoulder_z(body, bar, min_elbow, 0.03), dy=0.03, knee=160.0)
        returns = [bent] * (spec.reps - 1) + [hang]
    tempo = mo.Tempo(move=(2.4, 3.4), turn=(0.3, 0.5), pause=(0.4, 0.9) if kip else (0.8, 1.4))
    t0 = float(rng.uniform(1.8, 2.3))
    keys, reps, t_end = mo.rep_keys(rng, t0, hang, turns, tempo, flags, returns)
    sway = mo.Sway.make(rng, {"swing": 1.5, "knee": 3.0, "hip": 2.0})
    track = mo.Track((mo.Key(0.0, hang), *keys), sway)

    def params(t: float) -> dict[str, float]:
        p = track.at(t)
        if kip:
            for r in reps:
                if r.start <= t <= r.end:
                    u = (t - r.start) / (r.end - r.start)
                    p["swing"] += swing_amp * np.sin(2 * np.pi * u)
        return p

    def stage(b: Body, p: dict[str, float]) -> mo.Staged:
        return mo.stage_pull_up(b, p, bar)

    extras = {"bar": {"axis_z_m": bar.z, "y_m": bar.y, "half_length_m": 0.75, "grip_half_width_m": bar.grip}}
    return params, stage, reps, t_end + float(rng.uniform(2.0, 2.5)), extras


def _superman(spec: ClipSpec, body: Body, rng: np.random.Generator) -> tuple:
    v = spec.variant
    rest = dict(arm=-7.0, leg=-2.0, chest=0.0, neck=0.0, y=0.0)
    up = dict(arm=22.0, leg=16.0, chest=10.0, neck=-8.0, y=0.0)
    t1 = float(rng.uniform(2.0, 2.4))
    t2 = t1 + 1.0
    t3 = t2 + v["hold"]
    t4 = t3 + 1.0
    keys = (mo.Key(0.0, rest), mo.Key(t1, rest), mo.Key(t2, up), mo.Key(t3, up), mo.Key(t4, rest))
    sway = mo.Sway.make(rng, {"arm": 1.2, "leg": 1.0, "neck": 2.0})
    track = mo.Track(keys, sway)
    return track.at, mo.stage_prone, [], t4 + float(rng.uniform(2.0, 2.4)), {}


BUILDERS = {"hip_hinge": _hip_hinge, "wall_squat": _wall_squat, "pull_up": _pull_up,
            "superman": _superman}

#: Per-exercise scene set-up for families defined elsewhere: (body, params, stage, duration,
#: extras) -> (room, mat, furniture, props, extras). The four families above are set up inline.
SceneHook = Callable[..., tuple]
SCENES: dict[str, SceneHook] = {}

#: More exercise families live in their own modules (one per group of exercises), each defining
#: CLIPS, BUILDERS, ANGLES, FAULTS, HOLD_RULES (callables on the per-frame truth columns),
#: HOLD_TARGET_S and SCENES like the tables in this file. They are merged here, in this order.
FAMILY_MODULES = ("tools.synth.fam_floor", "tools.synth.fam_standing", "tools.synth.fam_equipment")


def _merge_families() -> None:
    global CLIPS, CLIP_NAMES
    for module_name in FAMILY_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that family has not been written yet
            raise
        CLIPS = CLIPS + tuple(module.CLIPS)
        for table, extra in ((BUILDERS, module.BUILDERS), (ANGLES, module.ANGLES), (FAULTS, module.FAULTS),
                             (HOLD_RULES, getattr(module, "HOLD_RULES", {})),
                             (HOLD_TARGET_S, getattr(module, "HOLD_TARGET_S", {})),
                             (SCENES, getattr(module, "SCENES", {}))):
            clash = set(table) & set(extra)
            if clash:
                raise ValueError(f"{module_name} redefines {sorted(clash)}")
            table.update(extra)
    CLIP_NAMES = tuple(c.name for c in CLIPS)
    if len(set(CLIP_NAMES)) != len(CLIP_NAMES):
        raise ValueError("duplicate clip names across family modules")


def plan_clip(spec: ClipSpec) -> Plan:
    """Turn a table row into a renderable plan (deterministic for the row's seed)."""
    rng = np.random.default_rng(spec.seed)
    camera = _cameras(spec.view)
    room, mat, props, furniture = Room(), None, None, _furniture()
    if spec.body is None:
        return Plan(spec, None, 6.0, lambda t: {}, None, camera, room, mat, furniture, None, [])
    body = load_body(spec.body)
    params, stage, reps, duration, extras = BUILDERS[spec.exercise](spec, body, rng)
    if spec.exercise == "wall_squat":
        # The wall touches the person's back: the furthest-back point over the motion.
        back = max(float(stage(body, params(t)).vertices[:, 1].max()) for t in np.arange(0, duration, 0.5))
        room = Room(y=(room.y[0], back + 0.004))
        furniture = [m for m in furniture if m.vertices[:, 1].max() <= room.y[1]]
        extras = {"wall_y_m": round(back + 0.004, 4)}
    if spec.exercise == "pull_up":
        bar = extras["bar"]
        props = pullup_station(0.0, bar["y_m"], bar["axis_z_m"])
    if spec.exercise == "superman":
        mat = (-0.45, 0.45, -1.35, 1.05)
    if spec.exercise in SCENES:
        room, mat, furniture, props, extras = SCENES[spec.exercise](body, params, stage, duration, extras)
    return Plan(spec, body, duration, params, stage, camera, room, mat, furniture, props, reps, extras)


_merge_families()
