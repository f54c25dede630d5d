"""Causal landmark smoothing: a vectorised, NaN-aware One Euro filter and visibility gating.

Timed by the source clock. Imports numpy only (no cv2, no mediapipe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcoach import geometry
from formcoach.core import PoseFrame
from formcoach.skeleton import sided

#: Per side: hip, knee, and the knee and everything below it (what a thigh folded into the hip takes with it).
_LEGS = tuple(
    (sided("hip", side), sided("knee", side), [sided(part, side) for part in ("knee", "ankle", "heel", "foot_index")])
    for side in ("left", "right")
)
_SHOULDERS = (sided("shoulder", "left"), sided("shoulder", "right"))
_HIPS = (sided("hip", "left"), sided("hip", "right"))
#: A thigh shorter than this share of the torso (both in 3-D) is no leg but a tracking failure.
#: MediaPipe's 3-D thigh is 0.7-0.9 torso lengths whatever the view: real footage (shared realvids, 1st
#: percentile per clip) 0.46-0.82, renders of both bodies >= 0.34; a dark setup at the floor (mv_good_05
#: at 60 % brightness) folded the visible knee into the hip, 0.08-0.26, and read the hip as standing.
#: Only the thigh: MediaPipe shortens a hidden shin or forearm this much on clean footage (a plate in
#: front of the shins 0.27-0.39, renders' arms pointing at the camera 0.07).
MIN_THIGH_SHARE = 0.3


def collapsed_legs(world: np.ndarray, min_share: float = MIN_THIGH_SHARE) -> np.ndarray:
    """(33,) bool: the knee, ankle and foot of each leg whose 3-D thigh is shorter than `min_share`
    torso lengths (mid-hip to mid-shoulder). Nothing when the torso cannot be measured.

    Args:
        world: (33, 3) world landmarks, metres (NaN = missing).
    """
    out = np.zeros(len(world), dtype=bool)
    torso = float(geometry.distance(geometry.midpoint(*world[list(_SHOULDERS)]), geometry.midpoint(*world[list(_HIPS)])))
    if not torso > 0:  # NaN too
        return out
    for hip, knee, below in _LEGS:
        if geometry.distance(world[hip], world[knee]) < min_share * torso:  # NaN compares False
            out[below] = True
    return out


def smoothing_factor(dt: float, cutoff: np.ndarray | float) -> np.ndarray | float:
    """Exponential-smoothing weight of a first-order low-pass: 1 / (1 + tau/dt), tau = 1/(2π f_c).

    Args:
        dt: time step, seconds (> 0).
        cutoff: cutoff frequency, Hz (> 0); scalar or array.
    """
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    """One Euro filter parameters (Casiez, Roussel & Vogel, CHI 2012).

    Attributes:
        min_cutoff: cutoff at rest, Hz; lower = less jitter, more lag when slow.
        beta: cutoff increase per unit of speed, Hz per (signal unit / s); higher = less lag when fast.
        d_cutoff: cutoff of the speed estimate, Hz.
    """

    min_cutoff: float = 1.0
    beta: float = 0.0
    d_cutoff: float = 1.0

    def __post_init__(self) -> None:
        if self.min_cutoff <= 0 or self.d_cutoff <= 0 or self.beta < 0:
            raise ValueError(f"OneEuroParams: need min_cutoff > 0, d_cutoff > 0, beta >= 0, got {self}")


class OneEuroFilter:
    """One Euro filter over an array of independent signals, timed by the given timestamps.

    Each element is filtered on its own. A NaN input gives NaN output for that element and resets
    its state, so when the signal comes back it restarts from its first new value (no smear from
    the value before the gap). A repeated timestamp (dt <= 0) returns the previous output for the
    elements already running (there is no time step to filter over).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        self.params = OneEuroParams(min_cutoff, beta, d_cutoff)
        self.reset()

    def reset(self) -> None:
        """Forget all state; the next call passes its input through."""
        self._t: float | None = None
        self._x: np.ndarray | None = None  # last output, NaN = element not running
        self._dx: np.ndarray | None = None  # filtered speed, signal units / s

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        """Same as `update`."""
        return self.update(t, x)

    def update(self, t: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample.

        Args:
            t: source time, seconds (non-decreasing).
            x: samples, any shape (fixed after the first call); NaN = missing.
        Returns:
            Filtered samples, same shape as `x`, float64; NaN where `x` is NaN.
        """
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._dx is None or self._t is None:
            self._t, self._x, self._dx = t, x.copy(), np.where(np.isnan(x), np.nan, 0.0)
            return x.copy()
        if x.shape != self._x.shape:
            raise ValueError(f"OneEuroFilter: input shape changed from {self._x.shape} to {x.shape}")
        dt = t - self._t
        if dt > 0:
            p = self.params
            with np.errstate(invalid="ignore"):
                # Speed against the previous *filtered* value, as in the paper's pseudocode.
                dx = (x - self._x) / dt
                dx_hat = self._dx + smoothing_factor(dt, p.d_cutoff) * (dx - self._dx)
                cutoff = p.min_cutoff + p.beta * np.abs(dx_hat)
                x_hat = self._x + smoothing_factor(dt, cutoff) * (x - self._x)
            self._t = t
        else:
            dx_hat, x_hat = self._dx, self._x
        new = np.isnan(self._x)  # elements (re)starting: pass the input through
        self._x = np.where(new, x, x_hat)
        self._dx = np.where(new, 0.0, dx_hat)
        missing = np.isnan(x)
        self._x[missing] = np.nan
        self._dx[missing] = np.nan
        return self._x.copy()


# Defaults, chosen for exercise speeds (a rep takes 1–4 s, so the motion itself lives below ~1 Hz):
# - min_cutoff 1.5 Hz: at rest a first-order low-pass with tau = 0.11 s cuts MediaPipe's frame-to-
#   frame jitter to ~0.3–0.4 of its raw size at 30 fps, with ~0.1 s lag on slow movement.
# - xy is filtered in image heights (pixels / image height), so one beta fits every resolution:
#   beta 4 adds ~2 Hz at 0.5 heights/s (a hip going down in a squat), cutting lag to ~0.05 s,
#   while jitter-level speeds (~0.04 heights/s after the 1 Hz speed filter) add only ~0.15 Hz.
# - world is in metres; a person of ~1.7 m fills ~0.7 image heights, so 1 height ≈ 2.4 m and the
#   same behaviour needs beta ≈ 4 / 2.4 ≈ 1.5 per m/s. MediaPipe's world depth is noisier than its
#   image xy, so a slightly lower min_cutoff.
XY_PARAMS = OneEuroParams(min_cutoff=1.5, beta=4.0, d_cutoff=1.0)
WORLD_PARAMS = OneEuroParams(min_cutoff=1.2, beta=1.5, d_cutoff=1.0)


class LandmarkSmoother:
    """Visibility gating, then One Euro on xy (pixels) and world (metres) of each `PoseFrame`.

    Landmarks with visibility below `min_visibility` (or NaN), and the legs whose thigh the model
    folded into the hip (`collapsed_legs`), become NaN in xy and world before filtering, so a hidden
    or impossible joint never drags a filtered value around. A gap between frames longer
    than `reset_after_s` (frames missing or `None`), or a change of image size, resets the filters.
    Visibility and mask pass through untouched.

    Args:
        min_visibility: 0..1; landmarks below it are treated as missing.
        reset_after_s: a gap longer than this (seconds) restarts the filters.
        xy_params: One Euro parameters for xy in image heights (beta in Hz per image-height/s).
        world_params: One Euro parameters for world in metres (beta in Hz per m/s).
    """

    def __init__(
        self,
        min_visibility: float = 0.5,
        reset_after_s: float = 0.5,
        xy_params: OneEuroParams = XY_PARAMS,
        world_params: OneEuroParams = WORLD_PARAMS,
    ) -> None:
        self.min_visibility = min_visibility
        self.reset_after_s = reset_after_s
        self._xy = OneEuroFilter(xy_params.min_cutoff, xy_params.beta, xy_params.d_cutoff)
        self._world = OneEuroFilter(world_params.min_cutoff, world_params.beta, world_params.d_cutoff)
        self.reset()

    def reset(self) -> None:
        """Forget all state."""
        self._xy.reset()
        self._world.reset()
        self._last_t: float | None = None
        self._image_size: tuple[int, int] | None = None

    def update(self, frame: PoseFrame | None) -> PoseFrame | None:
        """Smooth one frame; `None` (no pose) passes through as `None`.

        Args:
            frame: the raw pose, or None when no person was detected.
        Returns:
            A new `PoseFrame` with gated, filtered xy (33, 2) and world (33, 3); or None.
        """
        if frame is None:
            return None
        if (self._last_t is not None and frame.t - self._last_t > self.reset_after_s) or (
            self._image_size is not None and tuple(frame.image_size) != self._image_size
        ):
            self.reset()
        self._last_t = frame.t
        self._image_size = (int(frame.image_size[0]), int(frame.image_size[1]))

        visible = np.asarray(frame.visibility, dtype=np.float64) >= self.min_visibility  # (33,), NaN → False
        visible &= ~collapsed_legs(np.asarray(frame.world, dtype=np.float64))
        xy = np.where(visible[:, None], frame.xy, np.nan)  # (33, 2) pixels
        world = np.where(visible[:, None], frame.world, np.nan)  # (33, 3) metres
        height = float(frame.image_size[1])
        xy_s = self._xy(frame.t, xy / height) * height
        world_s = self._world(frame.t, world)
        return PoseFrame(t=frame.t, image_size=frame.image_size, xy=xy_s, world=world_s,
                         visibility=frame.visibility, mask=frame.mask)
