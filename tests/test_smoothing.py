"""One Euro filter and landmark smoother: analytic cases, NaN handling, gating, a golden file.

Regenerate the golden file (only after checking a behaviour change is intended):
    .venv/bin/python tests/test_smoothing.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from formcoach.core import PoseFrame
from formcoach.skeleton import NUM_LANDMARKS, Landmark
from formcoach.smoothing import LandmarkSmoother, OneEuroFilter, OneEuroParams, collapsed_legs, smoothing_factor

GOLDEN = Path(__file__).parent / "golden" / "one_euro_noisy_sine.csv"
GOLDEN_PARAMS = dict(min_cutoff=1.0, beta=0.5, d_cutoff=1.0)


def ema_alpha(dt: float, fc: float) -> float:
    """Textbook first-order low-pass weight, written out independently of the module."""
    tau = 1.0 / (2.0 * math.pi * fc)
    return 1.0 / (1.0 + tau / dt)


# ---- One Euro: analytic cases ---------------------------------------------------------------------

@pytest.mark.parametrize("dt, fc, expected", [(1 / 30, 1.0, 0.17317), (0.1, 1.0, 0.38586), (1 / 30, 1e6, 1.0)])
def test_smoothing_factor(dt: float, fc: float, expected: float) -> None:
    assert smoothing_factor(dt, fc) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("beta", [0.0, 1.0, 100.0])
def test_constant_input_gives_constant_output(beta: float) -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=beta)
    x = np.array([[3.5, -2.0], [0.0, 1e3]])
    for i in range(100):
        assert np.array_equal(f(i / 30, x), x)


@pytest.mark.parametrize("dts", [[1 / 30] * 20, [0.01, 0.2, 0.05, 0.033, 0.5, 0.02, 0.07]], ids=["regular", "irregular"])
def test_beta_zero_is_an_exponential_smoother(dts: list[float]) -> None:
    """With beta = 0 the cutoff is fixed: y_i = y_{i-1} + alpha(dt_i) (x_i - y_{i-1})."""
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=2.0, beta=0.0)
    xs = rng.normal(size=(len(dts) + 1, 3))
    t = 0.0
    y = f(t, xs[0])
    expected = xs[0].copy()
    assert np.array_equal(y, expected)  # the first sample passes through
    for dt, x in zip(dts, xs[1:]):
        t += dt
        expected = expected + ema_alpha(dt, 2.0) * (x - expected)
        np.testing.assert_allclose(f(t, x), expected, rtol=1e-12)


def test_beta_raises_the_cutoff_with_speed() -> None:
    """One step by hand: dx = 10/0.1, edx = a_d * dx, cutoff = 1 + 0.5 * edx."""
    f = OneEuroFilter(min_cutoff=1.0, beta=0.5, d_cutoff=1.0)
    f(0.0, np.array([0.0]))
    edx = ema_alpha(0.1, 1.0) * 100.0
    expected = ema_alpha(0.1, 1.0 + 0.5 * edx) * 10.0
    assert f(0.1, np.array([10.0]))[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("beta, settle_s", [(0.0, 1.0), (0.1, 0.6)])
def test_step_response_settles_and_beta_speeds_it_up(beta: float, settle_s: float) -> None:
    f = OneEuroFilter(min_cutoff=1.5, beta=beta)
    t = np.arange(0, 3, 1 / 30)
    y = np.array([f(ti, np.array([0.0 if ti < 1 else 100.0]))[0] for ti in t])
    assert np.all(np.diff(y) >= 0) and y[-1] == pytest.approx(100, abs=0.1)  # monotone, no overshoot
    within_5pct = t[np.flatnonzero(y >= 95)[0]] - 1.0
    assert within_5pct <= settle_s
    if beta == 0:
        # first-order: 95 % after ~3 tau, tau = 1 / (2 pi 1.5) = 0.106 s → ~0.3 s (+ discretisation)
        assert within_5pct == pytest.approx(3 / (2 * math.pi * 1.5), abs=0.1)


def test_irregular_dt_tracks_a_ramp_like_regular_dt() -> None:
    """Timed by timestamps: the lag on a ramp is the same whatever the frame spacing."""
    rng = np.random.default_rng(5)
    results = []
    for t in (np.arange(0, 4, 1 / 30), np.cumsum(rng.uniform(0.005, 0.06, 200))):
        f = OneEuroFilter(min_cutoff=1.5, beta=0.0)
        y = [f(ti, np.array([10.0 * ti]))[0] for ti in t]
        lag = (10.0 * t[-1] - y[-1]) / 10.0  # seconds behind
        results.append(lag)
    # continuous first-order lag on a ramp is tau = 0.106 s; the discrete filter is close to it
    assert results[0] == pytest.approx(1 / (2 * math.pi * 1.5), abs=0.02)
    assert results[1] == pytest.approx(results[0], abs=0.02)


def test_repeated_timestamp_returns_previous_output() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f(0.0, np.array([0.0, np.nan]))
    y1 = f(0.1, np.array([1.0, np.nan]))
    y2 = f(0.1, np.array([5.0, 7.0]))
    assert y2[0] == y1[0] and y2[1] == 7.0
    y3 = f(0.1, np.array([np.nan, 7.0]))
    assert np.isnan(y3[0]) and y3[1] == 7.0  # NaN still means "not seen", even with no time step


def test_nan_element_gives_nan_and_restarts_cleanly() -> None:
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    f(0.0, np.array([0.0, 0.0]))
    f(0.1, np.array([0.0, 0.0]))
    y = f(0.2, np.array([1.0, np.nan]))
    assert np.isnan(y[1]) and 0 < y[0] < 1
    y = f(0.3, np.array([1.0, 50.0]))
    assert y[1] == 50.0  # restarted from its new value, not smeared from 0
    y = f(0.4, np.array([1.0, 50.0]))
    assert y[1] == 50.0 and np.all(np.isfinite(y))


def test_shape_change_is_an_error() -> None:
    f = OneEuroFilter()
    f(0.0, np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        f(0.1, np.zeros(4))


@pytest.mark.parametrize("kwargs", [dict(min_cutoff=0), dict(d_cutoff=-1), dict(beta=-0.1)])
def test_bad_params_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        OneEuroParams(**kwargs)


def test_reset_passes_the_next_input_through() -> None:
    f = OneEuroFilter()
    f(0.0, np.array([0.0]))
    f(0.1, np.array([10.0]))
    f.reset()
    assert f(0.2, np.array([10.0]))[0] == 10.0


# ---- golden file ------------------------------------------------------------------------------------

def make_golden_input() -> tuple[np.ndarray, np.ndarray]:
    """A fixed noisy signal: two channels, irregular timestamps, a NaN stretch in channel 1."""
    rng = np.random.default_rng(20240601)
    t = np.cumsum(rng.uniform(0.02, 0.05, 150))
    x = np.stack([np.sin(2 * np.pi * 0.5 * t), 2.0 * (t > 2.0)], axis=1) + rng.normal(0, 0.05, (t.size, 2))
    x[60:70, 1] = np.nan
    return t, x


def filter_all(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    f = OneEuroFilter(**GOLDEN_PARAMS)
    return np.stack([f(ti, xi) for ti, xi in zip(t, x)])


def test_golden_file() -> None:
    data = np.genfromtxt(GOLDEN, delimiter=",", names=True)
    t = data["t"]
    x = np.stack([data["x0"], data["x1"]], axis=1)
    expected = np.stack([data["y0"], data["y1"]], axis=1)
    np.testing.assert_allclose(filter_all(t, x), expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isnan(expected[60:70, 1]).all() and np.isfinite(expected[:, 0]).all()


def write_golden() -> None:
    t, x = make_golden_input()
    y = filter_all(t, x)
    GOLDEN.parent.mkdir(exist_ok=True)
    rows = np.column_stack([t, x, y])
    np.savetxt(GOLDEN, rows, delimiter=",", fmt="%.17g", header="t,x0,x1,y0,y1", comments="")


# ---- landmark smoother -------------------------------------------------------------------------------

def pose(t: float, xy: np.ndarray | None = None, visibility: float | np.ndarray = 0.9,
         size: tuple[int, int] = (1280, 720)) -> PoseFrame:
    xy = np.full((NUM_LANDMARKS, 2), 100.0) if xy is None else xy
    world = np.full((NUM_LANDMARKS, 3), 0.5)
    vis = np.broadcast_to(np.asarray(visibility, dtype=float), (NUM_LANDMARKS,)).copy()
    return PoseFrame(t=t, image_size=size, xy=xy, world=world, visibility=vis, mask=np.ones((4, 4), np.float32))


def test_smoother_passes_none_and_keeps_mask_and_visibility() -> None:
    s = LandmarkSmoother()
    assert s.update(None) is None
    frame = pose(0.0)
    out = s.update(frame)
    assert out is not frame and out.mask is frame.mask and np.array_equal(out.visibility, frame.visibility)
    assert np.array_equal(out.xy, frame.xy) and np.array_equal(out.world, frame.world)
    assert out.t == frame.t and out.image_size == frame.image_size


def test_smoother_constant_pose_stays_constant() -> None:
    s = LandmarkSmoother()
    for i in range(30):
        out = s.update(pose(i / 30))
    np.testing.assert_allclose(out.xy, 100.0, rtol=1e-12)
    np.testing.assert_allclose(out.world, 0.5, rtol=1e-12)


@pytest.mark.parametrize("vis, hidden", [(0.49, True), (0.5, False), (np.nan, True)])
def test_visibility_gating(vis: float, hidden: bool) -> None:
    s = LandmarkSmoother(min_visibility=0.5)
    visibility = np.full(NUM_LANDMARKS, 0.9)
    visibility[Landmark.LEFT_KNEE] = vis
    out = s.update(pose(0.0, visibility=visibility))
    knee = Landmark.LEFT_KNEE
    assert np.isnan(out.xy[knee]).all() == hidden and np.isnan(out.world[knee]).all() == hidden
    assert np.isfinite(out.xy[Landmark.LEFT_HIP]).all()


def standing_world(left_thigh_m: float = 0.4) -> np.ndarray:
    """A standing skeleton in metres (y down, as MediaPipe's world): torso 0.5, thighs and shins 0.4."""
    world = np.zeros((NUM_LANDMARKS, 3))
    for side, x in (("LEFT", 0.1), ("RIGHT", -0.1)):
        thigh = left_thigh_m if side == "LEFT" else 0.4
        world[Landmark[f"{side}_SHOULDER"]] = (x, -0.5, 0.0)
        world[Landmark[f"{side}_HIP"]] = (x, 0.0, 0.0)
        world[Landmark[f"{side}_KNEE"]] = (x, thigh, 0.0)
        for part in ("ANKLE", "HEEL", "FOOT_INDEX"):
            world[Landmark[f"{side}_{part}"]] = (x, thigh + 0.4, 0.0)
    return world


LEFT_LEG = {Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX}


@pytest.mark.parametrize(("left_thigh_m", "gated"), [(0.4, set()), (0.16, set()), (0.14, LEFT_LEG), (0.03, LEFT_LEG)])
def test_a_thigh_folded_into_the_hip_takes_its_leg_out(left_thigh_m: float, gated: set[Landmark]) -> None:
    # torso 0.5 m: a thigh under 0.3 of it (0.15 m) is a tracking failure
    assert set(np.flatnonzero(collapsed_legs(standing_world(left_thigh_m)))) == gated


def test_no_torso_no_leg_check() -> None:
    world = standing_world(0.03)
    world[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = np.nan
    assert not collapsed_legs(world).any()


def test_smoother_drops_a_folded_leg_and_keeps_the_rest() -> None:
    frame = pose(0.0)
    frame = PoseFrame(t=0.0, image_size=frame.image_size, xy=frame.xy, world=standing_world(0.05),
                      visibility=frame.visibility, mask=None)
    out = LandmarkSmoother().update(frame)
    for landmark in Landmark:
        assert np.isnan(out.xy[landmark]).all() == (landmark in LEFT_LEG), landmark.name


def test_gated_landmark_restarts_when_visible_again() -> None:
    s = LandmarkSmoother()
    knee = Landmark.LEFT_KNEE
    vis = np.full(NUM_LANDMARKS, 0.9)
    for i in range(10):
        s.update(pose(i / 30))
    vis[knee] = 0.1
    s.update(pose(10 / 30, visibility=vis))
    xy = np.full((NUM_LANDMARKS, 2), 100.0)
    xy[knee] = (400.0, 300.0)
    out = s.update(pose(11 / 30, xy=xy))
    assert tuple(out.xy[knee]) == (400.0, 300.0)  # no smear from the old position


@pytest.mark.parametrize("gap_s, reset", [(0.3, False), (0.7, True)])
def test_gap_longer_than_reset_after_restarts_the_filters(gap_s: float, reset: bool) -> None:
    s = LandmarkSmoother(reset_after_s=0.5)
    for i in range(10):
        s.update(pose(i / 30))
    assert s.update(None) is None
    moved = np.full((NUM_LANDMARKS, 2), 300.0)
    out = s.update(pose(9 / 30 + gap_s, xy=moved))
    assert np.array_equal(out.xy, moved) == reset


def test_image_size_change_restarts_the_filters() -> None:
    s = LandmarkSmoother()
    s.update(pose(0.0))
    moved = np.full((NUM_LANDMARKS, 2), 300.0)
    out = s.update(pose(1 / 30, xy=moved, size=(640, 360)))
    assert np.array_equal(out.xy, moved)


def test_default_xy_filter_is_resolution_independent() -> None:
    """The same motion in image heights gives the same smoothed path at 720p and 1080p."""
    noise = np.random.default_rng(9).normal(0, 0.003, 60)
    paths = []
    for height in (720, 1080):
        s = LandmarkSmoother()
        out = []
        for i in range(60):
            y = (0.5 + 0.2 * math.sin(i / 10) + noise[i]) * height
            out.append(s.update(pose(i / 30, xy=np.full((NUM_LANDMARKS, 2), y), size=(height * 16 // 9, height))).xy[0, 1] / height)
        paths.append(out)
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-12)


def test_default_lag_is_small_at_exercise_speed() -> None:
    """A hip moving 0.3 image heights in 1 s (a brisk squat): the smoothed lag stays under 70 ms."""
    s = LandmarkSmoother()
    height = 720
    t = np.arange(0, 1.5, 1 / 30)
    pos = np.clip(t, 0, 1.0) * 0.3 * height
    out = [s.update(pose(ti, xy=np.full((NUM_LANDMARKS, 2), p))).xy[0, 0] for ti, p in zip(t, pos)]
    lag_s = (pos[29] - out[29]) / (0.3 * height)
    assert 0 < lag_s < 0.07


if __name__ == "__main__":
    write_golden()
    print(f"wrote {GOLDEN}")
