"""The count's second opinion on synthetic metric series with known cycles."""

from __future__ import annotations

import numpy as np
import pytest

from formcoach.confidence import Confidence, count_confidence, cycle_count, turning_points

T = np.arange(0, 12, 1 / 30)


def squats(n: int, period: float = 3.0, noise: float = 0.0) -> np.ndarray:
    """Knee angle: standing 170, bottom 90, `n` reps then standing."""
    phase = np.clip(T / period, 0, n)
    v = 130 + 40 * np.cos(2 * np.pi * phase)
    return v + np.random.default_rng(1).normal(0, noise, T.size)


def test_turning_points_alternate() -> None:
    kinds = [k for _, k in turning_points(squats(3), 20.0)]
    assert all(a != b for a, b in zip(kinds, kinds[1:]))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_cycles_of_a_squat_set(n: int) -> None:
    assert cycle_count(squats(n, noise=2.0), start=160, target=100) == n


def test_set_from_the_floor_counts_lockouts() -> None:
    """Deadlift hip angle: floor (60) → lockout (170) → floor, twice."""
    v = 115 - 55 * np.cos(2 * np.pi * np.clip(T / 5.0, 0, 2))
    assert cycle_count(v, start=150, target=110) == 2


def test_standing_still_is_no_rhythm() -> None:
    v = 170 + np.random.default_rng(2).normal(0, 3, T.size)
    assert cycle_count(v, start=160, target=100) == 0


def test_disagreement_and_hidden_joints_lower_confidence() -> None:
    v = squats(3)
    assert count_confidence(v, 160, 100, reps=3, partials=0).level is Confidence.HIGH
    low = count_confidence(v, 160, 100, reps=2, partials=0)
    assert low.level is Confidence.LOW and low.cycles == 3 and "3 cycles" in low.reasons[0]
    hidden = v.copy()
    hidden[T > 6] = np.nan
    assert count_confidence(hidden, 160, 100, reps=2, partials=0).level is Confidence.LOW
    assert count_confidence(v, 160, 100, reps=3, partials=0, unseen_reps=1).level is Confidence.LOW
