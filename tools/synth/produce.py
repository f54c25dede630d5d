"""Render one planned clip to `NAME.mp4` and compute its ground truth into `NAME.json`."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import cv2
import numpy as np

from tools.synth import sidecar
from tools.synth.body import keypoints
from tools.synth.clips import (ANGLES, FAULTS, FPS, HOLD_RULES, HOLD_TARGET_S, SPINE_FLEX_FAULT_DEG,
                               Plan)
from tools.synth.render import SS, TriMesh, draw_backdrop, draw_meshes, draw_shadow, finish
from tools.synth.scene import OUTFITS, room_polygons
from tools.synth.truth import measure


BACKGROUND_BLUR = 2.0  # px (output scale), static room only
FRAME_BLUR = 0.6  # px, whole frame: a camera is never pixel-sharp


@dataclass(frozen=True, eq=False)
class FrameTruth:
    """Per-frame ground truth collected while rendering."""

    points_3d: dict[str, np.ndarray]  # name -> (3,)
    points_2d: dict[str, np.ndarray]  # name -> (2,)
    extras: dict[str, float]


def backdrop(plan: Plan) -> np.ndarray:
    """The static room as seen by the clip's camera (supersampled)."""
    img = draw_backdrop(plan.camera, room_polygons(plan.room, plan.mat))
    if plan.furniture:
        draw_meshes(img, plan.camera, TriMesh.concat(plan.furniture))
    # Shallow depth of field: a soft room keeps the person the sharpest thing in view and
    # keeps the mp4v files small (OpenCV's writer offers no bitrate control).
    return cv2.GaussianBlur(img, (0, 0), BACKGROUND_BLUR * SS)


def render_frame(plan: Plan, bg: np.ndarray, t: float) -> tuple[np.ndarray, FrameTruth | None]:
    """One output frame (BGR uint8, 640x480) and its truth (None when nobody is in view)."""
    img = bg.copy()
    cam = plan.camera
    truth = None
    meshes = [plan.props] if plan.props is not None else []
    if plan.body is not None and plan.stage is not None:
        staged = plan.stage(plan.body, plan.params(t))
        v = staged.vertices
        lift = float(v[:, 2].min())
        floor_pts = np.c_[v[::12, :2], np.zeros(len(v[::12]))]
        draw_shadow(img, cam, floor_pts, strength=0.32 * float(np.exp(-2.5 * lift)))
        colors = OUTFITS[plan.body.name].face_colors(plan.body)
        meshes.insert(0, TriMesh(v, plan.body.faces, colors))
        kp = keypoints(plan.body, staged.posed)
        px = {k: cam.project(p) for k, p in kp.items()}
        truth = FrameTruth(kp, px, dict(staged.extras))
    if meshes:
        draw_meshes(img, cam, TriMesh.concat(meshes))
    return cv2.GaussianBlur(finish(img), (0, 0), FRAME_BLUR), truth


def _hold_mask(rule, cols: dict[str, np.ndarray]) -> np.ndarray:
    """Per-frame hold truth: a callable on the truth columns (family modules) or a named rule."""
    if callable(rule):
        return np.asarray(rule(cols), dtype=bool)
    if rule == "knee_3d <= 100":
        return cols["knee_3d"] <= 100
    if rule == "arm_elevation_2d >= 5 and leg_elevation_2d >= 5":
        return (cols["arm_elevation_2d"] >= 5) & (cols["leg_elevation_2d"] >= 5)
    raise ValueError(f"unknown hold rule {rule!r}")


def build_sidecar(plan: Plan, truths: list[FrameTruth | None]) -> dict[str, object]:
    """Assemble the sidecar dict from per-frame truth."""
    spec = plan.spec
    n = plan.frame_count
    t = np.arange(n) / FPS
    defs = ANGLES[spec.exercise]
    frames: dict[str, list] = {"t": sidecar.rounded(t, 3)}
    cols: dict[str, np.ndarray] = {}
    if plan.body is not None:
        p3 = {k: np.stack([tr.points_3d[k] for tr in truths]) for k in truths[0].points_3d}
        p2 = {k: np.stack([tr.points_2d[k] for tr in truths]) for k in truths[0].points_2d}
        for d in defs:
            cols[f"{d.name}_2d"] = measure(d, p2)
            cols[f"{d.name}_3d"] = measure(d, p3)
        for key in truths[0].extras:
            cols[key if key.endswith(("_m", "_deg")) else f"{key}_3d"] = np.array([tr.extras[key] for tr in truths])
        w, h = plan.camera.width, plan.camera.height
        inside = np.ones(n, bool)
        for k in sidecar.POINTS_2D:
            inside &= (p2[k][:, 0] >= 0) & (p2[k][:, 0] < w) & (p2[k][:, 1] >= 0) & (p2[k][:, 1] < h)
        cols["in_view"] = inside.astype(float)
    holds: list[dict[str, float]] = []
    hold_mask = np.zeros(n, bool)
    rule = HOLD_RULES.get(spec.exercise)
    if rule and plan.body is not None:
        hold_mask = _hold_mask(rule, cols)
        holds = sidecar.intervals(hold_mask, t)
    rep_ivals = [{"start_s": r.start, "bottom_s": r.bottom, "end_s": r.end, "counted": r.counted,
                  "faults": list(r.faults)} for r in plan.reps]
    if plan.body is not None:
        for f in FAULTS[spec.exercise]:
            col = np.zeros(n)
            for r in plan.reps:
                if f in r.faults:
                    col[(t >= r.start) & (t <= r.end)] = 1
            if f == "rounded_back":
                col = (cols["spine_flex_3d"] >= SPINE_FLEX_FAULT_DEG).astype(float)
            if f == "hold_short" and f in spec.faults:
                target = HOLD_TARGET_S[spec.exercise]
                for hd in holds:
                    if hd["end_s"] - hd["start_s"] < target - 1.0:
                        col[(t >= hd["start_s"]) & (t <= hd["end_s"])] = 1
            cols[f"fault_{f}"] = col
    for k, col in cols.items():
        frames[k] = [int(x) for x in col] if k.startswith(("fault_", "in_view")) else sidecar.rounded(
            col, 3 if k.endswith("_m") else 1)
    counted = sum(r.counted for r in plan.reps)
    return {
        "schema_version": sidecar.SCHEMA_VERSION,
        "name": spec.name,
        "exercise": spec.exercise,
        "expected_rep_count": counted,
        "expected_partial_reps": len(plan.reps) - counted,
        "expected_holds": holds,
        "expected_faults": list(spec.faults),
        "description": spec.description,
        "body": spec.body,
        "view": spec.view,
        "side_facing_camera": "left",
        "camera": plan.camera.describe(),
        "fps": FPS,
        "frame_count": n,
        "duration_s": round(n / FPS, 3),
        "seed": spec.seed,
        "reps": rep_ivals,
        "hold_rule": rule if rule is None or isinstance(rule, str) else (rule.__doc__ or rule.__name__).strip(),
        "hold_target_s": HOLD_TARGET_S.get(spec.exercise),
        "scene": {k: v for k, v in plan.extras.items()},
        "angles": {d.name: d.as_json() for d in defs} if plan.body is not None else {},
        "frames": frames,
        "generator": "python tools/render_samples.py " + spec.name,
        # A clip performed at one of its spec's levels (e.g. a short hold): sample_check applies it.
        **({"level": plan.extras["level"]} if "level" in plan.extras else {}),
    }


def render_clip(plan: Plan, out_dir: pathlib.Path, progress: bool = False) -> tuple[pathlib.Path, pathlib.Path]:
    """Render `plan` to out_dir/NAME.mp4 and out_dir/NAME.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    name = plan.spec.name
    mp4, js = out_dir / f"{name}.mp4", out_dir / f"{name}.json"
    cam = plan.camera
    writer = cv2.VideoWriter(str(mp4), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (cam.width, cam.height))
    if not writer.isOpened():
        raise RuntimeError(f"cannot open a video writer for {mp4}")
    bg = backdrop(plan)
    truths: list[FrameTruth | None] = []
    try:
        for i in range(plan.frame_count):
            frame, truth = render_frame(plan, bg, i / FPS)
            writer.write(frame)
            truths.append(truth)
            if progress and i % 150 == 0:
                print(f"  {name}: frame {i}/{plan.frame_count}", flush=True)
    finally:
        writer.release()
    sidecar.write(js, build_sidecar(plan, truths))
    return mp4, js
