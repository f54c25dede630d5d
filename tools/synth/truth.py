"""Ground-truth angle kinds, computed identically on 3D world points and 2D pixel points.

Same conventions as `formcoach.geometry` (kept separate so the tool does not depend on the
runtime package): inner joint angles 0–180°, inclination against "up" 0–180°, elevation above
the horizon −90…90° independent of facing direction. In 2D, "up" is −y (image rows grow down);
in 3D it is +z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("angle", "inclination", "elevation")


@dataclass(frozen=True)
class AngleDef:
    """One ground-truth angle: a kind and the MediaPipe landmark names it is measured on."""

    name: str
    kind: str
    points: tuple[str, ...]
    primary: bool = True  # False: a diagnostic angle, outside the benchmark's pass bar

    def __post_init__(self) -> None:
        want = 3 if self.kind == "angle" else 2
        if self.kind not in KINDS or len(self.points) != want:
            raise ValueError(f"{self.name}: kind {self.kind!r} needs {want} points, got {self.points}")

    def as_json(self) -> dict[str, object]:
        """Sidecar form, e.g. {"kind": "angle", "points": [...]}."""
        d: dict[str, object] = {"kind": self.kind, "points": list(self.points), "primary": self.primary}
        if self.kind == "inclination":
            d["reference"] = "vertical"
        return d


def _up_and_horizontal(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if d.shape[-1] == 2:
        return -d[..., 1], np.abs(d[..., 0])
    return d[..., 2], np.linalg.norm(d[..., :2], axis=-1)


def inner_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Inner angle at b (degrees, 0–180) for 2D or 3D points."""
    u, v = np.asarray(a, float) - b, np.asarray(c, float) - b
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(u * v, axis=-1)))


def inclination(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of a→b from straight up (degrees, 0–180)."""
    up, hor = _up_and_horizontal(np.asarray(b, float) - a)
    return np.degrees(np.arctan2(hor, up))


def elevation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angle of a→b above the horizon (degrees, + = b higher)."""
    up, hor = _up_and_horizontal(np.asarray(b, float) - a)
    return np.degrees(np.arctan2(up, hor))


def measure(defn: AngleDef, points: dict[str, np.ndarray]) -> np.ndarray:
    """Evaluate an angle on named points (each (...,2) pixels or (...,3) metres)."""
    p = [points[n] for n in defn.points]
    if defn.kind == "angle":
        return inner_angle(*p)
    if defn.kind == "inclination":
        return inclination(*p)
    return elevation(*p)
