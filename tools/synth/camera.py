"""Pinhole cameras and the named presets used by the clips (world frame: metres, +z up)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking from `position` at `target`; square pixels, centred principal point."""

    name: str
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    focal_px: float = 520.0
    width: int = WIDTH
    height: int = HEIGHT

    def basis(self) -> np.ndarray:
        """(3,3) rows: right, down, forward (camera axes in world coordinates)."""
        fwd = np.subtract(self.target, self.position).astype(float)
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (...,3) -> camera coordinates (...,3) (x right, y down, z depth)."""
        return (np.asarray(points, float) - np.asarray(self.position)) @ self.basis().T

    def project_camera(self, pc: np.ndarray) -> np.ndarray:
        """Camera coordinates (...,3) -> pixel coordinates (...,2)."""
        z = pc[..., 2:3]
        return pc[..., :2] * (self.focal_px / z) + np.array([self.width / 2, self.height / 2])

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (...,3) -> pixels (...,2)."""
        return self.project_camera(self.to_camera(points))

    def describe(self) -> dict[str, object]:
        """JSON-friendly description for the sidecar."""
        return {"preset": self.name, "position_m": [round(v, 3) for v in self.position],
                "target_m": [round(v, 3) for v in self.target], "focal_px": self.focal_px,
                "image_size": [self.width, self.height]}


def orbit(name: str, target: tuple[float, float, float], azimuth_deg: float, distance: float,
          height: float, focal_px: float = 520.0) -> Camera:
    """Camera at `distance` (horizontal) from `target`, at `height` above the floor.

    Azimuth 0 looks at the person's left side (camera on world +x); 90 is in front of a person
    facing world -y (camera on -y); 45 is the oblique between them.
    """
    a = np.radians(azimuth_deg)
    pos = (target[0] + distance * np.cos(a), target[1] - distance * np.sin(a), height)
    return Camera(name, tuple(float(v) for v in pos), target, focal_px)
