"""Body assets, forward kinematics and linear blend skinning (numpy only).

Frame convention (body frame = the exported rest frame): metres, +z up, -y forward
(the face looks towards -y), +x is the body's LEFT side.
"""

from __future__ import annotations

import functools
import pathlib
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

ASSETS = pathlib.Path(__file__).parent / "assets"
BODY_NAMES = ("male", "female")

# MediaPipe landmark name -> skeleton bone whose head is that joint.
JOINT_BONES: dict[str, str] = {
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
}


@dataclass(frozen=True, eq=False)
class Body:
    """A rigged mesh in its rest pose. Arrays are read-only."""

    name: str
    vertices: np.ndarray  # (V,3) rest positions
    faces: np.ndarray  # (F,3) vertex ids, counter-clockwise seen from outside
    skin_weights: np.ndarray  # (V,K) rows sum to 1
    skin_bones: np.ndarray  # (V,K) bone ids
    heads: np.ndarray  # (B,3) rest bone heads
    tails: np.ndarray  # (B,3) rest bone tails
    parents: np.ndarray  # (B,) parent id, -1 for the root
    labels: tuple[str, ...]
    vertex_region: np.ndarray  # (V,) index into region_names
    region_names: tuple[str, ...]
    landmark_vertices: Mapping[str, int]
    bone: Mapping[str, int] = field(repr=False)

    @property
    def face_region(self) -> np.ndarray:
        """(F,) region of each face: the most specific region among its vertices."""
        return _face_region(self)


@functools.lru_cache(maxsize=None)
def _face_region(body: Body) -> np.ndarray:
    r = body.vertex_region[body.faces]  # (F,3)
    # Majority vote; ties fall to the first vertex.
    agree = (r[:, 1] == r[:, 2])
    return np.where(agree, r[:, 1], r[:, 0])


@functools.lru_cache(maxsize=None)
def load_body(name: str) -> Body:
    """Load `assets/<name>.npz` (written by `export_body.py`)."""
    if name not in BODY_NAMES:
        raise ValueError(f"unknown body {name!r}; choose from {BODY_NAMES}")
    z = np.load(ASSETS / f"{name}.npz")
    w = z["skin_weights"].astype(np.float64)
    w /= w.sum(1, keepdims=True)
    labels = tuple(str(s) for s in z["bone_labels"])
    arrays = dict(
        vertices=z["vertices"].astype(np.float64), faces=z["faces"].astype(np.int64),
        skin_weights=w, skin_bones=z["skin_bones"].astype(np.int64),
        heads=z["bone_heads"].astype(np.float64), tails=z["bone_tails"].astype(np.float64),
        parents=z["bone_parents"].astype(np.int64), vertex_region=z["vertex_region"].astype(np.int64),
    )
    for a in arrays.values():
        a.setflags(write=False)
    return Body(
        name=name, labels=labels,
        region_names=tuple(str(s) for s in z["region_names"]),
        landmark_vertices={str(k): int(v) for k, v in zip(z["landmark_names"], z["landmark_vertices"])},
        bone={n: i for i, n in enumerate(labels)},
        **arrays,
    )


@dataclass(frozen=True, eq=False)
class Posed:
    """Posed skeleton: per-bone world rotation and posed head position."""

    rotations: np.ndarray  # (B,3,3)
    heads: np.ndarray  # (B,3)


def forward_kinematics(body: Body, rotations: Mapping[str, np.ndarray],
                       root: np.ndarray | None = None) -> Posed:
    """Pose the skeleton from *global* bone rotations.

    Args:
        rotations: bone label -> (3,3) rotation in the body frame. A bone not listed keeps
            its parent's rotation (rigid with its parent).
        root: (3,) where the root bone's head goes (default: its rest position).
    """
    B = len(body.labels)
    rot = np.empty((B, 3, 3))
    pos = np.empty((B, 3))
    over = {body.bone[k]: np.asarray(v, float) for k, v in rotations.items()}
    for b in range(B):
        p = body.parents[b]
        if p < 0:
            rot[b] = over.get(b, np.eye(3))
            pos[b] = body.heads[b] if root is None else root
            continue
        rot[b] = over.get(b, rot[p])
        pos[b] = rot[p] @ (body.heads[b] - body.heads[p]) + pos[p]
    return Posed(rot, pos)


def transform(posed: Posed, rotation: np.ndarray, translation: np.ndarray) -> Posed:
    """Apply a rigid world transform x -> R x + t to a posed skeleton."""
    return Posed(np.einsum("ij,bjk->bik", rotation, posed.rotations),
                 posed.heads @ rotation.T + translation)


def translate(posed: Posed, offset: np.ndarray) -> Posed:
    """Shift a posed skeleton by `offset` (3,)."""
    return Posed(posed.rotations, posed.heads + offset)


def _bone_affines(body: Body, posed: Posed) -> np.ndarray:
    """(B,3,4) affine of each bone mapping rest points to posed points."""
    t = posed.heads - np.einsum("bij,bj->bi", posed.rotations, body.heads)
    return np.concatenate([posed.rotations, t[:, :, None]], axis=2)


def skin(body: Body, posed: Posed, vertex_ids: np.ndarray | None = None) -> np.ndarray:
    """Linear blend skinning: posed positions (V,3) (or of `vertex_ids` only)."""
    A = _bone_affines(body, posed)
    ids = slice(None) if vertex_ids is None else vertex_ids
    w, bones, v = body.skin_weights[ids], body.skin_bones[ids], body.vertices[ids]
    M = np.einsum("vk,vkij->vij", w, A[bones])  # (V,3,4)
    return np.einsum("vij,vj->vi", M[:, :, :3], v) + M[:, :, 3]


def keypoints(body: Body, posed: Posed) -> dict[str, np.ndarray]:
    """MediaPipe-equivalent 3D points: skeleton joint centres plus face/foot surface vertices."""
    out = {name: posed.heads[body.bone[b]] for name, b in JOINT_BONES.items()}
    names = list(body.landmark_vertices)
    pts = skin(body, posed, np.array([body.landmark_vertices[n] for n in names]))
    out.update(zip(names, pts))
    return out
