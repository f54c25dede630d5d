"""Room geometry (static backdrop polygons), props that can occlude the body, and body outfits.

World frame: metres, +z up, floor at z = 0. Colours are BGR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.synth.body import Body
from tools.synth.render import Polygon, TriMesh


@dataclass(frozen=True)
class Outfit:
    """Colours per body region (BGR)."""

    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    shirt: tuple[int, int, int]
    shorts: tuple[int, int, int]
    shoes: tuple[int, int, int]
    eyes: tuple[int, int, int] = (40, 40, 45)

    def face_colors(self, body: Body) -> np.ndarray:
        """(F,3) float colour of every face of `body`."""
        table = np.array([getattr(self, r) for r in body.region_names], float)
        return table[body.face_region]


OUTFITS = {
    "male": Outfit(skin=(120, 150, 205), hair=(30, 40, 55), shirt=(170, 90, 30),
                   shorts=(45, 45, 50), shoes=(235, 235, 235)),
    "female": Outfit(skin=(135, 165, 220), hair=(25, 45, 90), shirt=(120, 50, 200),
                     shorts=(60, 40, 35), shoes=(210, 210, 200)),
}


@dataclass(frozen=True)
class Room:
    """An axis-aligned box room; the camera must be inside it."""

    x: tuple[float, float] = (-2.2, 4.5)
    y: tuple[float, float] = (-4.0, 2.2)
    height: float = 2.7
    wall: tuple[int, int, int] = (180, 200, 210)
    side_wall: tuple[int, int, int] = (150, 180, 160)
    floor: tuple[int, int, int] = (70, 110, 150)


def _quad(a, b, c, d, color, two_sided=True) -> Polygon:
    return Polygon(tuple(tuple(float(v) for v in p) for p in (a, b, c, d)), color, two_sided)


def _rect_on_wall(axis: str, at: float, u: tuple[float, float], z: tuple[float, float],
                  color, inward: float) -> Polygon:
    """A rectangle lying on the wall plane `axis = at`, nudged `inward` towards the room."""
    a = at + inward
    if axis == "x":
        pts = [(a, u[0], z[0]), (a, u[1], z[0]), (a, u[1], z[1]), (a, u[0], z[1])]
    else:
        pts = [(u[0], a, z[0]), (u[1], a, z[0]), (u[1], a, z[1]), (u[0], a, z[1])]
    return _quad(*pts, color, two_sided=True)


def room_polygons(room: Room, mat: tuple[float, float, float, float] | None = None) -> list[Polygon]:
    """Floor (planks), optional exercise mat (x0, x1, y0, y1), walls, ceiling and wall decor."""
    (x0, x1), (y0, y1), h = room.x, room.y, room.height
    polys: list[Polygon] = [_quad((x0, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y1, 0), room.floor)]
    # Floor planks: thin darker seams every 0.2 m along x.
    for i, xs in enumerate(np.arange(x0 + 0.2, x1, 0.2)):
        shade = 0.82 if i % 3 else 0.75
        col = tuple(c * shade for c in room.floor)
        polys.append(_quad((xs, y0, 0.001), (xs + 0.012, y0, 0.001), (xs + 0.012, y1, 0.001),
                           (xs, y1, 0.001), col))
    # A rug in a free corner and the exercise mat.
    polys.append(_quad((x0 + 0.3, y0 + 0.4, 0.002), (x0 + 1.5, y0 + 0.4, 0.002),
                       (x0 + 1.5, y0 + 2.0, 0.002), (x0 + 0.3, y0 + 2.0, 0.002), (60, 60, 140)))
    if mat is not None:
        mx0, mx1, my0, my1 = mat
        polys.append(_quad((mx0, my0, 0.004), (mx1, my0, 0.004), (mx1, my1, 0.004), (mx0, my1, 0.004),
                           (150, 120, 40)))
    # Walls face the inside of the room (counter-clockwise seen from inside).
    polys += [
        _quad((x0, y1, 0), (x0, y0, 0), (x0, y0, h), (x0, y1, h), room.wall),
        _quad((x1, y0, 0), (x1, y1, 0), (x1, y1, h), (x1, y0, h), room.wall),
        _quad((x0, y0, 0), (x1, y0, 0), (x1, y0, h), (x0, y0, h), room.side_wall),
        _quad((x1, y1, 0), (x0, y1, 0), (x0, y1, h), (x1, y1, h), room.side_wall),
        _quad((x0, y0, h), (x0, y1, h), (x1, y1, h), (x1, y0, h), (235, 235, 235)),
    ]
    base = (235, 235, 240)
    for axis, at, span, inward in (("x", x0, (y0, y1), 0.01), ("x", x1, (y0, y1), -0.01),
                                   ("y", y0, (x0, x1), 0.01), ("y", y1, (x0, x1), -0.01)):
        polys.append(_rect_on_wall(axis, at, span, (0.0, 0.1), base, inward))
    # Decor: a window and a picture on the x0 wall, a door and a poster on the y walls.
    polys += [
        _rect_on_wall("x", x0, (y0 + 0.6, y0 + 1.9), (0.95, 2.15), (240, 240, 240), 0.01),
        _rect_on_wall("x", x0, (y0 + 0.68, y0 + 1.82), (1.03, 2.07), (235, 205, 170), 0.012),
        _rect_on_wall("x", x0, (y1 - 1.3, y1 - 0.5), (1.5, 2.0), (60, 90, 120), 0.01),
        _rect_on_wall("x", x0, (y1 - 1.25, y1 - 0.55), (1.55, 1.95), (90, 160, 200), 0.012),
        _rect_on_wall("y", y0, (x0 + 2.0, x0 + 2.9), (0.0, 2.05), (90, 120, 150), 0.01),
        _rect_on_wall("y", y1, (x1 - 1.8, x1 - 0.9), (1.2, 1.9), (140, 90, 60), -0.01),
    ]
    return polys


def box(lo, hi, color) -> TriMesh:
    """An axis-aligned box as 12 outward-facing triangles."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], float)
    quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    f = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    return TriMesh(v, f, np.tile(np.asarray(color, float), (len(f), 1)))


def cylinder_x(x0: float, x1: float, y: float, z: float, radius: float, color,
               sides: int = 12, segment: float = 0.06) -> TriMesh:
    """A capped cylinder along x, cut into short segments so the painter's sort stays right."""
    n_seg = max(1, int(np.ceil((x1 - x0) / segment)))
    xs = np.linspace(x0, x1, n_seg + 1)
    a = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([np.zeros_like(a), radius * np.cos(a), radius * np.sin(a)], 1)
    verts = np.concatenate([ring + [x, y, z] for x in xs] + [np.array([[x0, y, z], [x1, y, z]])])
    faces = []
    for s in range(n_seg):
        for i in range(sides):
            j = (i + 1) % sides
            p, q, r, t = s * sides + i, s * sides + j, (s + 1) * sides + j, (s + 1) * sides + i
            faces += [(p, q, r), (p, r, t)]
    c0, c1 = len(verts) - 2, len(verts) - 1
    last = n_seg * sides
    for i in range(sides):
        j = (i + 1) % sides
        faces += [(c0, j, i), (c1, last + i, last + j)]
    f = np.array(faces)
    return TriMesh(verts, f, np.tile(np.asarray(color, float), (len(f), 1)))


def pullup_station(center_x: float, bar_y: float, bar_z: float, half_width: float = 0.75,
                   depth: float = 0.6) -> TriMesh:
    """A free-standing pull-up tower: the bar (real geometry), brackets reaching forward from two
    posts that stand `depth` m behind the bar (out of a side camera's line of sight), floor feet."""
    steel, frame = (60, 60, 60), (40, 40, 150)
    parts = [cylinder_x(center_x - half_width, center_x + half_width, bar_y, bar_z, 0.018, steel)]
    post_y = bar_y + depth
    for sx in (-1, 1):
        x = center_x + sx * (half_width + 0.04)
        parts += _segmented_post(x, post_y, bar_z + 0.12, frame)
        ys = np.linspace(bar_y - 0.03, post_y, 4)
        parts += [box((x - 0.03, y0, bar_z - 0.03), (x + 0.03, y1, bar_z + 0.03), frame)
                  for y0, y1 in zip(ys, ys[1:])]
        parts.append(box((x - 0.04, post_y - 0.5, 0.0), (x + 0.04, post_y + 0.35, 0.06), frame))
    xs = np.linspace(center_x - half_width - 0.07, center_x + half_width + 0.07, 7)
    parts += [box((x0, post_y - 0.03, bar_z + 0.12), (x1, post_y + 0.03, bar_z + 0.18), frame)
              for x0, x1 in zip(xs, xs[1:])]
    return TriMesh.concat(parts)


def _segmented_post(x: float, y: float, top: float, color, step: float = 0.25) -> list[TriMesh]:
    zs = np.arange(0.0, top, step).tolist() + [top]
    return [box((x - 0.03, y - 0.03, z0), (x + 0.03, y + 0.03, z1), color) for z0, z1 in zip(zs, zs[1:])]


def bench(x0: float, x1: float, y0: float, y1: float, height: float = 0.45) -> list[TriMesh]:
    """A simple wooden bench (seat plus four legs)."""
    wood = (60, 100, 140)
    parts = [box((x0, y0, height - 0.05), (x1, y1, height), wood)]
    for lx in (x0 + 0.03, x1 - 0.07):
        for ly in (y0 + 0.03, y1 - 0.07):
            parts.append(box((lx, ly, 0.0), (lx + 0.04, ly + 0.04, height - 0.05), (40, 70, 100)))
    return parts
