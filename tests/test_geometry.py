"""Geometry tables: known angles, degenerate input, NaN propagation, image-axis conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcoach import geometry

NAN = float("nan")


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ((0, 0), (1, 0), (1, 1), 90.0),  # right angle
        ((0, 0), (1, 0), (2, 0), 180.0),  # straight line
        ((2, 0), (1, 0), (2, 0), 0.0),  # folded back on itself
        ((0, 1), (0, 0), (1, 1), 45.0),
        ((0, 0), (1, 0), (1, 0), NAN),  # repeated point: undefined, not 0
        ((NAN, 0), (1, 0), (1, 1), NAN),  # missing landmark propagates
        ((0, 0, 0), (1, 0, 0), (1, 0, 1), 90.0),  # 3D world points
    ],
)
def test_joint_angle(a, b, c, expected):
    got = geometry.joint_angle(a, b, c)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, abs=1e-9)


def test_joint_angle_is_mirror_invariant():
    """The inner angle does not flip when the person turns around (no 0–360 wrapping)."""
    a, b, c = np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([2.0, 0.5])
    mirror = np.array([-1.0, 1.0])
    assert geometry.joint_angle(a, b, c) == pytest.approx(geometry.joint_angle(a * mirror, b * mirror, c * mirror))


def test_joint_angle_vectorised():
    a = np.array([[0, 0], [0, 0]], float)
    b = np.array([[1, 0], [1, 0]], float)
    c = np.array([[1, 1], [2, 0]], float)
    np.testing.assert_allclose(geometry.joint_angle(a, b, c), [90.0, 180.0])


@pytest.mark.parametrize(
    "a, b, reference, expected",
    [
        ((0, 0), (0, -1), "vertical", 0.0),  # b straight above a (y grows down)
        ((0, 0), (1, 0), "vertical", 90.0),
        ((0, 0), (-1, 0), "vertical", 90.0),  # facing the other way: same inclination
        ((0, 0), (0, 1), "vertical", 180.0),
        ((0, 0), (1, -1), "vertical", 45.0),
        ((0, 0), (1, 0), "horizontal", 0.0),
        ((0, 0), (-1, 1), "horizontal", 45.0),
        ((0, 0), (0, 0), "vertical", NAN),
    ],
)
def test_inclination(a, b, reference, expected):
    got = geometry.inclination(a, b, reference)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_inclination_rejects_unknown_reference():
    with pytest.raises(ValueError):
        geometry.inclination((0, 0), (1, 1), "diagonal")


@pytest.mark.parametrize(
    "a, b, expected",
    [((0, 0), (1, -1), 45.0), ((0, 0), (-1, -1), 45.0), ((0, 0), (1, 1), -45.0), ((0, 0), (3, 0), 0.0), ((0, 0), (0, -2), 90.0)],
)
def test_elevation_is_signed_and_facing_free(a, b, expected):
    assert geometry.elevation(a, b) == pytest.approx(expected)


def test_facing_sign_uses_foot_then_head():
    assert geometry.facing_sign((10, 0), (0, 0), (NAN, 0), (0, 0)) == 1.0
    assert geometry.facing_sign((NAN, 0), (0, 0), (-5, 0), (0, 0)) == -1.0
    assert math.isnan(geometry.facing_sign((NAN, 0), (0, 0), (NAN, 0), (0, 0)))


def test_back_normal_points_behind_then_up():
    upright = geometry.back_normal((0, 0), (0, -10), facing=1.0)
    np.testing.assert_allclose(upright, [-1.0, 0.0], atol=1e-12)  # facing right: back is to the left
    hinged = geometry.back_normal((0, 0), (10, 0), facing=1.0)
    np.testing.assert_allclose(hinged, [0.0, -1.0], atol=1e-12)  # torso level: back is up


def _trunk_mask(bulge_px: float, size=(200, 300)) -> np.ndarray:
    """Mask of a horizontal 'torso' from x=50..250 whose top edge bows up by bulge_px in the middle."""
    h, w = size
    mask = np.zeros((h, w), np.float32)
    xs = np.arange(w)
    s = np.clip((xs - 50) / 200.0, 0, 1)
    top = 100 - 20 - bulge_px * 4 * s * (1 - s)  # parabola through the ends
    for x in range(50, 251):
        mask[int(round(top[x])):121, x] = 1.0
    return mask


@pytest.mark.parametrize("bulge", [0.0, 6.0, 12.0])
def test_outline_sagitta_measures_back_bulge(bulge):
    hip, shoulder = (50.0, 110.0), (250.0, 110.0)  # facing right, torso level: back is up
    got = geometry.outline_sagitta(_trunk_mask(bulge), hip, shoulder, facing=1.0)
    # Mean of a parabola's height over the trimmed chord, relative to its ends, divided by length 200.
    s = np.linspace(0.15, 0.85, 24)
    expected = np.mean(bulge * 4 * s * (1 - s) - bulge * 4 * 0.15 * 0.85) / 200.0
    assert got == pytest.approx(expected, abs=0.006)


def test_outline_sagitta_nan_without_body():
    assert math.isnan(geometry.outline_sagitta(np.zeros((100, 100), np.float32), (10, 50), (90, 50), 1.0))
