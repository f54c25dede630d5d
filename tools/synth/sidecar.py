"""The JSON sidecar next to each sample clip: building it from per-frame truth, and validating it.

Format documented in docs/sample_videos.md. Top-level keys other tools rely on:
`exercise`, `expected_rep_count`, `expected_holds`, `expected_faults`.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Mapping, Sequence

import numpy as np

SCHEMA_VERSION = 1
SPEC_DIR = pathlib.Path(__file__).resolve().parents[2] / "exercise_specs"


def catalog_ids(spec_dir: pathlib.Path = SPEC_DIR) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exercise ids, cue ids) of the spec catalog, read from the YAML files directly (the tool
    does not import the runtime package). Cue ids: cues, partial/incomplete-return and short-hold
    cues, and the engine's defaults for the last two."""
    import yaml

    exercises, cues = set(), {"too_shallow", "hold_short"}
    for path in sorted(spec_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        exercises.add(path.stem)
        cues |= {c["id"] for c in data.get("cues", []) if isinstance(c, dict) and "id" in c}
        for block, key in (("reps", "partial"), ("reps", "incomplete_return"), ("hold", "short")):
            sub = (data.get(block) or {}).get(key) or {}
            if "cue" in sub:
                cues.add(sub["cue"])
    return tuple(sorted(exercises)), tuple(sorted(cues))


# Every exercise of the catalog may have samples; their faults are the catalog's cue ids.
EXERCISES, FAULT_IDS = catalog_ids()
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema_version": int, "name": str, "exercise": str, "expected_rep_count": int,
    "expected_partial_reps": int, "expected_holds": list, "expected_faults": list,
    "body": (str, type(None)), "view": str, "camera": dict, "fps": (int, float), "frame_count": int,
    "duration_s": (int, float), "seed": int, "reps": list, "description": str, "angles": dict,
    "frames": dict,
}
# MediaPipe-equivalent points written per frame (pixels).
POINTS_2D = ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
             "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle", "left_heel", "left_foot_index")


def intervals(mask: np.ndarray, t: np.ndarray) -> list[dict[str, float]]:
    """Runs of True in a per-frame mask as [{start_s, end_s}] (first and last frame times)."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if start is not None and (not m or i == len(mask) - 1):
            end = i if m else i - 1
            out.append({"start_s": round(float(t[start]), 3), "end_s": round(float(t[end]), 3)})
            start = None
    return out


def rounded(values: Sequence[float] | np.ndarray, digits: int = 1) -> list[float | None]:
    """Round for a compact sidecar; NaN becomes null."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in np.asarray(values, float)]


def write(path: pathlib.Path, sidecar: Mapping[str, Any]) -> None:
    """Write compact, key-ordered JSON (byte-stable for identical input)."""
    errors = validate(sidecar)
    if errors:
        raise ValueError(f"{path}: invalid sidecar: " + "; ".join(errors))
    path.write_text(json.dumps(sidecar, separators=(",", ":"), ensure_ascii=True) + "\n")


def validate(d: Mapping[str, Any]) -> list[str]:
    """All problems found in a sidecar dict (empty list = valid)."""
    errs: list[str] = []
    for key, typ in REQUIRED.items():
        if key not in d:
            errs.append(f"missing key {key!r}")
        elif not isinstance(d[key], typ) or (typ is int and isinstance(d[key], bool)):
            errs.append(f"{key}: expected {typ}, found {type(d[key]).__name__}")
    if errs:
        return errs
    if d["exercise"] not in EXERCISES:
        errs.append(f"exercise: {d['exercise']!r} not in {EXERCISES}")
    for f in d["expected_faults"]:
        if f not in FAULT_IDS:
            errs.append(f"expected_faults: unknown cue id {f!r} (known: {FAULT_IDS})")
    if d["expected_rep_count"] < 0 or d["expected_partial_reps"] < 0:
        errs.append("rep counts must be >= 0")
    counted = sum(1 for r in d["reps"] if r.get("counted"))
    if counted != d["expected_rep_count"]:
        errs.append(f"expected_rep_count {d['expected_rep_count']} != counted reps {counted}")
    if len(d["reps"]) - counted != d["expected_partial_reps"]:
        errs.append("expected_partial_reps does not match the uncounted reps")
    dur = d["duration_s"]
    for r in d["reps"]:
        if not (0 <= r["start_s"] <= r["bottom_s"] <= r["end_s"] <= dur):
            errs.append(f"rep interval out of order or range: {r}")
    for h in d["expected_holds"]:
        if set(h) != {"start_s", "end_s"} or not (0 <= h["start_s"] <= h["end_s"] <= dur):
            errs.append(f"bad hold {h}")
    n = d["frame_count"]
    frames = d["frames"]
    if "t" not in frames:
        errs.append("frames: missing 't'")
    for k, col in frames.items():
        if len(col) != n:
            errs.append(f"frames.{k}: {len(col)} values for {n} frames")
    for name, a in d["angles"].items():
        if a.get("kind") not in ("angle", "inclination", "elevation") or not isinstance(a.get("points"), list):
            errs.append(f"angles.{name}: bad definition {a}")
        elif n and (f"{name}_2d" not in frames or f"{name}_3d" not in frames):
            errs.append(f"angles.{name}: frames lack {name}_2d/{name}_3d")
    for f in d["expected_faults"]:
        if n and f"fault_{f}" not in frames:
            errs.append(f"frames: no per-frame truth fault_{f}")
    return errs
