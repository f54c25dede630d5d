"""How far to trust a rep count: a second opinion that needs no thresholds, and what was not seen.

The rep counter decides with the spec's two thresholds. The second opinion counts the cycles of
the same metric from its own rhythm: the turning points of the movement, found with a hysteresis
that scales with the person's own range of motion. When the two disagree, or a rep was completed
out of sight, or the rep metric was missing for much of the set, the count is `low` confidence,
with the reasons in words. Pure numpy; imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence

import numpy as np

#: Turning points need this share of the person's own range (5th-95th percentile) to count.
TURN_SHARE = 0.35
#: ...and at least this share of the spec's dead band (so standing still is not a rhythm).
MIN_BAND_SHARE = 0.3
#: A set in which the rep metric was missing for more than this share of the frames from the
#: first valid one to the end is low confidence.
MAX_MISSING_SHARE = 0.25


class Confidence(str, Enum):
    HIGH = "high"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class CountConfidence:
    """The verdict on a rep count, and the second opinion it rests on."""

    level: Confidence
    cycles: int  # full movement cycles found from the rhythm of the rep metric
    reasons: tuple[str, ...] = ()


def turning_points(values: np.ndarray, hysteresis: float) -> list[tuple[int, int]]:
    """Alternating extremes of a series as (index, +1 for a maximum / -1 for a minimum).

    A zig-zag: an extreme is confirmed once the series has moved `hysteresis` back from it.
    NaNs are skipped. The last running extreme is included (it ends the series).
    """
    points: list[tuple[int, int]] = []
    idx = np.flatnonzero(np.isfinite(values))
    if idx.size == 0:
        return points
    hi_i = lo_i = int(idx[0])
    direction = 0  # +1 rising (looking for a max), -1 falling
    for i in idx:
        v = values[i]
        if v > values[hi_i]:
            hi_i = int(i)
        if v < values[lo_i]:
            lo_i = int(i)
        if direction >= 0 and v < values[hi_i] - hysteresis:
            points.append((hi_i, +1))
            direction, lo_i = -1, int(i)
        elif direction <= 0 and v > values[lo_i] + hysteresis:
            points.append((lo_i, -1))
            direction, hi_i = +1, int(i)
    if direction > 0:
        points.append((hi_i, +1))
    elif direction < 0:
        points.append((lo_i, -1))
    return points


def cycle_count(values: Sequence[float], start: float, target: float) -> int:
    """Full cycles of a rep metric from its own rhythm (no thresholds from the spec).

    Counted like the rep counter counts: each visit to the target side followed by a return to
    the start side is one cycle, wherever the set begins (standing, at the bottom, mid-way).
    """
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size < 3:
        return 0
    low, high = np.percentile(finite, [5, 95])
    hysteresis = max(TURN_SHARE * (high - low), MIN_BAND_SHARE * abs(target - start))
    sign = 1 if target > start else -1  # +1: the target is a maximum of the metric
    kinds = [k * sign for _, k in turning_points(v, hysteresis)]  # +1 target side, -1 start side
    return sum(1 for a, b in zip(kinds, kinds[1:]) if a == 1 and b == -1)


def count_confidence(
    values: Sequence[float], start: float, target: float, reps: int, partials: int, unseen_reps: int = 0,
) -> CountConfidence:
    """Judge a count: `reps` full and `partials` partial reps counted over the rep metric `values`."""
    cycles = cycle_count(values, start, target)
    reasons: list[str] = []
    if cycles != reps + partials:
        reasons.append(f"the movement's own rhythm shows {cycles} cycle{'s' if cycles != 1 else ''}, "
                       f"the thresholds counted {reps + partials}")
    if unseen_reps:
        reasons.append(f"{unseen_reps} rep{'s' if unseen_reps != 1 else ''} finished out of sight")
    v = np.asarray(values, dtype=float)
    idx = np.flatnonzero(np.isfinite(v))
    if idx.size:
        span = v[idx[0]:]
        missing = float(np.mean(~np.isfinite(span)))
        if missing > MAX_MISSING_SHARE:
            reasons.append(f"the measured joints were hidden in {missing:.0%} of the set")
    return CountConfidence(Confidence.LOW if reasons else Confidence.HIGH, cycles, tuple(reasons))
