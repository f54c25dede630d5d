"""Software renderer: painter's algorithm with back-face culling, Lambert shading and 2x supersampling.

Static room geometry is drawn once per clip into a background (`Backdrop`); each frame copies it
and draws the depth-sorted triangles of the body and of the props that can occlude it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tools.synth.camera import Camera

SS = 2  # supersampling factor
SHIFT = 3  # sub-pixel bits for cv2.fillConvexPoly
NEAR = 0.05  # near clipping plane, metres
LIGHT = np.array([0.35, -0.45, 0.82]) / np.linalg.norm([0.35, -0.45, 0.82])  # towards the light


@dataclass(frozen=True, eq=False)
class TriMesh:
    """Triangles with one BGR colour each; counter-clockwise seen from outside."""

    vertices: np.ndarray  # (N,3) world
    faces: np.ndarray  # (F,3)
    colors: np.ndarray  # (F,3) float BGR 0..255

    @staticmethod
    def concat(meshes: list[TriMesh]) -> TriMesh:
        """Merge meshes into one."""
        off = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
        return TriMesh(np.concatenate([m.vertices for m in meshes]),
                       np.concatenate([m.faces + o for m, o in zip(meshes, off)]),
                       np.concatenate([m.colors for m in meshes]))


@dataclass(frozen=True)
class Polygon:
    """A flat convex polygon of the static room, drawn in list order (no depth sort)."""

    points: tuple[tuple[float, float, float], ...]
    color: tuple[float, float, float]  # BGR
    two_sided: bool = False


def shade(normals: np.ndarray, colors: np.ndarray, ambient: float = 0.42) -> np.ndarray:
    """Lambert shading of unit normals (F,3) with base colours (F,3)."""
    lam = np.clip(normals @ LIGHT, 0.0, 1.0)
    back = np.clip(-(normals @ LIGHT), 0.0, 1.0) * 0.12  # soft fill light from behind
    return np.clip(colors * (ambient + (1 - ambient) * lam + back)[:, None], 0, 255)


def _to_pixels(cam: Camera, pc: np.ndarray) -> np.ndarray:
    return np.round(cam.project_camera(pc) * (SS * (1 << SHIFT))).astype(np.int32)


def _clip_near(pc: np.ndarray) -> np.ndarray:
    """Sutherland–Hodgman clip of a polygon (n,3, camera coords) against z >= NEAR."""
    out = []
    n = len(pc)
    for i in range(n):
        a, b = pc[i], pc[(i + 1) % n]
        ina, inb = a[2] >= NEAR, b[2] >= NEAR
        if ina:
            out.append(a)
        if ina != inb:
            s = (NEAR - a[2]) / (b[2] - a[2])
            out.append(a + s * (b - a))
    return np.array(out)


def draw_backdrop(cam: Camera, polygons: list[Polygon]) -> np.ndarray:
    """Render static polygons in order into a supersampled BGR image."""
    img = np.zeros((cam.height * SS, cam.width * SS, 3), np.uint8)
    basis = cam.basis()
    for poly in polygons:
        pts = np.asarray(poly.points, float)
        normal = np.cross(pts[1] - pts[0], pts[2] - pts[0])
        normal /= np.linalg.norm(normal)
        view = pts.mean(0) - np.asarray(cam.position)
        if normal @ view > 0:
            if not poly.two_sided:
                continue
            normal = -normal
        pc = _clip_near((pts - np.asarray(cam.position)) @ basis.T)
        if len(pc) < 3:
            continue
        color = shade(normal[None], np.asarray(poly.color, float)[None], ambient=0.6)[0]
        cv2.fillConvexPoly(img, _to_pixels(cam, pc), tuple(float(c) for c in color),
                           cv2.LINE_8, SHIFT)
    return img


def draw_shadow(img: np.ndarray, cam: Camera, floor_points: np.ndarray, strength: float = 0.3) -> None:
    """Darken the convex hull of points lying on the floor (a soft contact shadow), in place."""
    pc = cam.to_camera(floor_points)
    pc = pc[pc[:, 2] > NEAR]
    if len(pc) < 3:
        return
    px = _to_pixels(cam, pc) >> SHIFT
    hull = cv2.convexHull(px.astype(np.int32))
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, hull, 255)
    mask = cv2.GaussianBlur(mask, (0, 0), 6 * SS)
    img[:] = (img * (1 - strength * mask[:, :, None] / 255.0)).astype(np.uint8)


def draw_meshes(img: np.ndarray, cam: Camera, mesh: TriMesh) -> None:
    """Draw triangles far-to-near with back-face culling, in place on a supersampled image."""
    pc = cam.to_camera(mesh.vertices)
    tri = pc[mesh.faces]  # (F,3,3)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    centroid = tri.mean(1)
    front = (np.einsum("fi,fi->f", n, centroid) < 0) & (tri[:, :, 2].min(1) > NEAR)
    if not front.any():
        return
    tri, n, centroid, colors = tri[front], n[front], centroid[front], mesh.colors[front]
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    world_n = n @ cam.basis()  # back to world axes for the world-fixed light
    col = shade(world_n, colors)
    order = np.argsort(-np.linalg.norm(centroid, axis=1), kind="stable")
    px = _to_pixels(cam, tri[order])
    col = col[order].tolist()
    fill = cv2.fillConvexPoly
    for p, c in zip(px, col):
        fill(img, p, c, cv2.LINE_8, SHIFT)


def finish(img: np.ndarray) -> np.ndarray:
    """Downscale a supersampled image to the output size (area averaging = anti-aliasing)."""
    h, w = img.shape[:2]
    return cv2.resize(img, (w // SS, h // SS), interpolation=cv2.INTER_AREA)
