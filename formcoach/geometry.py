"""Pure numpy geometry on image points. No cv2, no mediapipe, no state.

Conventions (written down once, used everywhere):
- Points are pixels in image coordinates: x to the right, y *down*. Arrays of shape (..., 2)
  (or (..., 3) for world coordinates where it says so); leading dimensions broadcast.
- Angles are degrees. A joint angle is the inner angle 0–180° (`atan2(|cross|, dot)`), never
  wrapped to 0–360, so it does not flip when the person turns around.
- NaN in, NaN out: a missing landmark never turns into a number.
"""

from __future__ import annotations

import numpy as np

FloatArray = np.ndarray

_UP = np.array([0.0, -1.0])  # image "up" (y grows downwards)


def _as_float(x: object) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _scalar_or_array(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


def vector_angle(u: object, v: object) -> FloatArray | float:
    """Unsigned angle between vectors u and v, degrees in [0, 180]. Zero-length → NaN.

    Args:
        u, v: (..., 2) or (..., 3) vectors.
    """
    u, v = _as_float(u), _as_float(v)
    dot = np.sum(u * v, axis=-1)
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    degenerate = (np.linalg.norm(u, axis=-1) == 0) | (np.linalg.norm(v, axis=-1) == 0)
    angle = np.degrees(np.arctan2(cross, dot))
    return _scalar_or_array(np.where(degenerate, np.nan, angle))


def joint_angle(a: object, b: object, c: object) -> FloatArray | float:
    """Inner angle at `b` of the chain a–b–c, degrees in [0, 180] (180 = straight).

    Args:
        a, b, c: (..., 2) image points or (..., 3) world points.
    """
    b = _as_float(b)
    return vector_angle(_as_float(a) - b, _as_float(c) - b)


def inclination(a: object, b: object, reference: str = "vertical") -> FloatArray | float:
    """Angle of the segment a→b against a reference direction, degrees.

    - `vertical`: angle between a→b and image-up, in [0, 180]: 0 = b straight above a,
      90 = level, 180 = b straight below a (trunk hip→shoulder: 0 upright, 90 bent to parallel).
    - `horizontal`: angle between the *line* a–b and the horizon, in [0, 90] (direction-free).

    Points may be 2-D pixels (y down) or 3-D MediaPipe world metres (y down, z depth): in 3-D the
    reference is the world's vertical, so the angle does not foreshorten when the camera sees the
    person obliquely.
    """
    d = _as_float(b) - _as_float(a)
    if reference == "vertical":
        up = _UP if d.shape[-1] == 2 else np.array([0.0, -1.0, 0.0])
        return vector_angle(d, np.broadcast_to(up, d.shape))
    if reference == "horizontal":
        level = np.abs(d[..., 0]) if d.shape[-1] == 2 else np.hypot(d[..., 0], d[..., 2])
        return _scalar_or_array(np.degrees(np.arctan2(np.abs(d[..., 1]), level)))
    raise ValueError(f"reference must be 'vertical' or 'horizontal', got {reference!r}")


def elevation(a: object, b: object) -> FloatArray | float:
    """Signed angle of a→b above the horizon, degrees in [-90, 90] (+ = b higher than a).

    Independent of which way the person faces (uses |dx|): a superman's arm lifted 20°
    reads +20 whether the head points left or right in the image.
    """
    d = _as_float(b) - _as_float(a)
    return _scalar_or_array(np.degrees(np.arctan2(-d[..., 1], np.abs(d[..., 0]))))


def distance(a: object, b: object) -> FloatArray | float:
    """Euclidean distance between points (same units as the points)."""
    return _scalar_or_array(np.linalg.norm(_as_float(b) - _as_float(a), axis=-1))


def midpoint(a: object, b: object) -> FloatArray:
    """Midpoint of two points."""
    return (_as_float(a) + _as_float(b)) / 2.0


def facing_sign(toe: object, heel: object, nose: object, ear: object) -> float:
    """+1 if the person faces image-right, -1 if image-left, NaN if unknown.

    Uses the foot (toe ahead of heel) and falls back to the head (nose ahead of ear).
    Valid for side views only.
    """
    for front, back in ((toe, heel), (nose, ear)):
        dx = float(_as_float(front)[0] - _as_float(back)[0])
        if np.isfinite(dx) and dx != 0:
            return 1.0 if dx > 0 else -1.0
    return float("nan")


def back_normal(hip: object, shoulder: object, facing: float) -> FloatArray:
    """Unit normal of the hip→shoulder line pointing to the person's back, shape (2,).

    For a person facing +x (image right) the back is the hip→shoulder vector rotated by
    (vx, vy) → (vy, -vx); facing -x flips it. Upright: points behind the person; hinged
    forward to parallel: points up.
    """
    v = _as_float(shoulder) - _as_float(hip)
    n = facing * np.array([v[1], -v[0]])
    norm = np.linalg.norm(n)
    return n / norm if norm > 0 else np.full(2, np.nan)


def outline_sagitta(
    mask: FloatArray,
    hip: object,
    shoulder: object,
    facing: float,
    samples: int = 24,
    trim: float = 0.15,
    threshold: float = 0.5,
) -> float:
    """Mean bulge of the body's back outline beyond its chord, divided by hip–shoulder length.

    The back outline is traced on the segmentation mask: at `samples` stations between hip and
    shoulder (the outer `trim` fraction at each end left out, where arms and buttocks blur the
    outline), walk from the hip–shoulder line along the back normal until the mask drops below
    `threshold`. The sagitta is that of a parabola fitted robustly to the outline depths
    (`robust_sagitta`: a local bump such as an elbow is rejected as an outlier), positive when the
    back is convex (rounded).

    Args:
        mask: (H, W) person probability 0..1.
        hip, shoulder: (2,) pixel points on the trunk's near side.
        facing: +1 / -1 from `facing_sign`.
    Returns:
        Dimensionless sagitta (≈0 for a flat back), NaN when the outline cannot be traced.
    """
    hip, shoulder = _as_float(hip), _as_float(shoulder)
    length = float(np.linalg.norm(shoulder - hip))
    normal = back_normal(hip, shoulder, facing)
    if not (length > 1 and np.all(np.isfinite(normal))):
        return float("nan")
    height, width = mask.shape[:2]
    fractions = np.linspace(trim, 1.0 - trim, samples)
    stations = hip + fractions[:, None] * (shoulder - hip)  # (S, 2)
    steps = np.arange(0.0, 0.6 * length, 1.0)  # walk up to 0.6 trunk lengths outwards
    rays = stations[:, None, :] + steps[None, :, None] * normal  # (S, K, 2)
    cols = np.clip(np.round(rays[..., 0]).astype(int), 0, width - 1)
    rows = np.clip(np.round(rays[..., 1]).astype(int), 0, height - 1)
    inside = mask[rows, cols] >= threshold  # (S, K)
    outside = ~inside
    has_edge = outside.any(axis=1) & inside[:, 0]
    if has_edge.sum() < samples // 2:
        return float("nan")
    depth = np.argmax(outside, axis=1).astype(np.float64)  # first step outside the body
    depth[~has_edge] = np.nan
    valid = np.isfinite(depth)
    if valid.sum() < samples // 3:
        return float("nan")
    return robust_sagitta(fractions[valid], depth[valid] / length)


def robust_sagitta(s: FloatArray, d: FloatArray, iterations: int = 4, floor: float = 0.01) -> float:
    """Sagitta of a smooth outline d(s), robust to local bumps (a raised elbow, a hand).

    Fits d = a + b·s + c·s² by least squares, dropping points whose residual exceeds
    max(2.5 × MAD, `floor`) and refitting. The mean height of the fitted parabola above its chord
    over [s0, s1] is −c·(s1 − s0)²/6; positive = convex (bulging outwards).

    Args:
        s: (N,) positions along the hip→shoulder line, as fractions of its length.
        d: (N,) outline distance outwards from that line, in the same length units.
    """
    inliers = np.ones(len(s), dtype=bool)
    coeffs = np.zeros(3)
    for _ in range(iterations):
        if inliers.sum() < 5:
            return float("nan")
        coeffs = np.polyfit(s[inliers], d[inliers], 2)
        residual = d - np.polyval(coeffs, s)
        mad = float(np.median(np.abs(residual[inliers] - np.median(residual[inliers]))))
        new = np.abs(residual) <= max(2.5 * 1.4826 * mad, floor)
        if np.array_equal(new, inliers):
            break
        inliers = new
    span = float(s[inliers].max() - s[inliers].min())
    return float(-coeffs[0] * span**2 / 6.0)
