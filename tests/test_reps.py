"""Rep state machine on synthetic metric sequences with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcoach.core import PartialRep, RepCompleted, RepPhase
from formcoach.reps import PAUSE_BAND, RepCounter, RepRule

FPS = 30.0
DT = 1.0 / FPS

SQUAT = RepRule(metric="knee", start=160, target=100)
HINGE = RepRule(metric="trunk", start=10, target=85)  # target > start
PULL_UP = RepRule(metric="elbow", start=150, target=70, partial_cue="not_high_enough",
                  incomplete_return_cue="no_full_hang", incomplete_return_message="Hang all the way down")


def path(keys: list[tuple[float, float]], fps: float = FPS) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-linear (time s, value) keyframes sampled at `fps` → (t, values)."""
    kt, kv = zip(*keys)
    t = np.arange(0.0, kt[-1] + 1e-9, 1.0 / fps)
    return t, np.interp(t, kt, kv)


def run(rule: RepRule, t: np.ndarray, v: np.ndarray) -> tuple[RepCounter, list]:
    counter = RepCounter(rule)
    events = [e for ti, vi in zip(t, v) for e in counter.update(float(ti), float(vi))]
    return counter, events


# ---- one full rep, both directions --------------------------------------------------------------

def within_frame_after(got: float, truth: float) -> bool:
    """`got` is the first frame at or after the continuous-time `truth`."""
    return truth - 1e-9 <= got < truth + DT + 1e-9


def within_frame_before(got: float, truth: float) -> bool:
    """`got` is the last frame at or before the continuous-time `truth`."""
    return truth - DT - 1e-9 < got <= truth + 1e-9


@pytest.mark.parametrize(
    "rule, keys, truth",
    [
        # squat: 170 → 90 → 170, 1 s down, 0.5 s at the bottom, 1.5 s up.
        # Crossings: leaves 160 at 0.625, reaches 100 at 1.375, leaves 100 at 2.1875, back to 160 at 3.3125.
        (SQUAT, [(0, 170), (0.5, 170), (1.5, 90), (2.0, 90), (3.5, 170), (4.0, 170)],
         (0.625, 1.375, 2.1875, 3.3125)),
        # hip hinge, trunk 5 → 90 → 5: leaves 10 at 0.5+5/85, reaches 85 at 0.5+80/85,
        # leaves 85 at 2+5*1.5/85, back to 10 at 2+80*1.5/85.
        (HINGE, [(0, 5), (0.5, 5), (1.5, 90), (2.0, 90), (3.5, 5), (4.0, 5)],
         (0.5 + 5 / 85, 0.5 + 80 / 85, 2 + 7.5 / 85, 2 + 120 / 85)),
    ],
    ids=["target_below_start", "target_above_start"],
)
def test_one_full_rep_with_tempo(rule: RepRule, keys: list[tuple[float, float]], truth: tuple[float, ...]) -> None:
    t, v = path(keys)
    counter, events = run(rule, t, v)
    assert counter.count == 1 and counter.partials == []
    [event] = events
    assert isinstance(event, RepCompleted) and event.count == 1 and event.t == event.rep.end_s
    rep = event.rep
    leave_start, reach_target, _, back = truth
    assert rep.index == 1
    assert within_frame_before(rep.start_s, leave_start)
    assert within_frame_after(rep.bottom_s, reach_target)
    assert within_frame_after(rep.end_s, back)
    # The pause: the time within PAUSE_BAND of the rep's own range from its deepest value, on the
    # continuous path (each boundary within one frame of the truth, so each phase within two).
    deepest = keys[2][1]
    fine_t = np.arange(0, keys[-1][0], 1e-4)
    fine_v = np.interp(fine_t, [k[0] for k in keys], [k[1] for k in keys])
    near = fine_t[np.abs(fine_v - deepest) <= PAUSE_BAND * (rep.max - rep.min)]
    assert rep.tempo.down_s == pytest.approx(near[0] - leave_start, abs=2 * DT)
    assert rep.tempo.pause_s == pytest.approx(near[-1] - near[0], abs=2 * DT)
    assert rep.tempo.up_s == pytest.approx(back - near[-1], abs=2 * DT)
    assert rep.tempo.pause_s == pytest.approx(0.5, abs=0.25)  # the half second held at the bottom, give or take the band
    assert rep.tempo.down_s + rep.tempo.pause_s + rep.tempo.up_s == pytest.approx(rep.end_s - rep.start_s)
    in_rep = (t >= rep.start_s - 1e-9) & (t <= rep.end_s + 1e-9)
    assert (rep.min, rep.max) == (v[in_rep].min(), v[in_rep].max())
    assert (rep.min if rule.target < rule.start else rep.max) == pytest.approx(keys[2][1])
    assert counter.phase is RepPhase.START and counter.current_index is None and not counter.in_rep


def test_simple_sequence_from_design() -> None:
    """`[170, 120, 90, 120, 170]`, one keyframe per second → 1 rep, bottom 90."""
    t, v = path([(i, x) for i, x in enumerate([170, 120, 90, 120, 170])])
    counter, _ = run(SQUAT, t, v)
    [rep] = counter.reps
    assert rep.min == 90 and rep.max == pytest.approx(160, abs=2)
    assert within_frame_before(rep.start_s, 0.2) and within_frame_after(rep.end_s, 3.8)
    assert within_frame_after(rep.bottom_s, 1 + 20 / 30)
    assert rep.tempo.pause_s == pytest.approx(2 * 7 / 30, abs=DT)  # within 7 (a tenth of 160-90) of 90, around t = 2


def test_a_touch_and_go_bottom_is_no_pause_however_long_it_is_past_the_target() -> None:
    """A kettlebell pull: hip 170 down to 60 and straight back up, 0.6 s each way. The hip is past the
    110 target for half a second, but it never stays at the bottom: the pause is a frame or two."""
    pull = RepRule(metric="hip", start=150, target=110)
    t, v = path([(0, 170), (0.5, 170), (1.1, 60), (1.7, 170), (2.2, 170)])
    counter, _ = run(pull, t, v)
    [rep] = counter.reps
    assert rep.tempo.pause_s < 0.15 and rep.tempo.down_s == pytest.approx(0.45, abs=2 * DT)
    assert rep.end_s - rep.bottom_s > 0.4  # the time past the target, the old "pause"


def test_phases_and_current_index_during_a_rep() -> None:
    counter = RepCounter(SQUAT)
    seen = []
    for i, x in enumerate([170, 170, 150, 120, 95, 90, 102, 101, 130, 150, 170, 170]):
        counter.update(i * 0.2, x)
        seen.append((counter.phase, counter.current_index, counter.in_rep))
    S, E, T, C = RepPhase.START, RepPhase.ECCENTRIC, RepPhase.TARGET, RepPhase.CONCENTRIC
    assert [p for p, _, _ in seen] == [S, S, E, E, T, T, T, T, C, C, S, S]  # 102, 101: inside the 3° margin
    assert [i for _, i, _ in seen] == [None, None, 1, 1, 1, 1, 1, 1, 1, 1, None, None]
    assert counter.count == 1


# ---- things that must not count ---------------------------------------------------------------

@pytest.mark.parametrize("centre", [160.0, 100.0, 160.0 - 0.3 * 60], ids=["start_edge", "target_edge", "partial_edge"])
def test_jitter_around_a_threshold_makes_nothing(centre: float) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(0, 10, DT)
    v = centre + rng.uniform(-3, 3, t.size)
    v[:15] = 170  # armed: the person stood in the start zone first
    counter, events = run(SQUAT, t, v)
    assert events == [] and counter.count == 0 and counter.partials == []


def test_jitter_at_the_bottom_is_one_rep() -> None:
    """±3° wobble at the target edge for 5 s: still exactly one rep, with a long pause."""
    rng = np.random.default_rng(3)
    t1, v1 = path([(0, 170), (1, 170), (2, 100)])
    t2 = np.arange(t1[-1] + DT, t1[-1] + 5, DT)
    v2 = 100 + rng.uniform(-3, 3, t2.size)
    t3, v3 = path([(0, 100), (1, 170), (1.5, 170)])
    t = np.concatenate([t1, t2, t3[1:] + t2[-1]])
    v = np.concatenate([v1, v2, v3[1:]])
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 1 and counter.partials == []
    assert counter.reps[0].tempo.pause_s > 4.5


def test_partial_rep_is_recorded_not_counted() -> None:
    t, v = path([(0, 170), (0.5, 170), (1.5, 130), (2.5, 170), (3, 170)])  # 160 → 100 rule, only to 130
    counter, events = run(SQUAT, t, v)
    assert counter.count == 0
    [event] = events
    assert isinstance(event, PartialRep)
    assert (event.cue, event.message) == ("too_shallow", "Go further")
    [partial] = counter.partials
    assert partial.partial_cue == "too_shallow" and partial.index == 1
    assert partial.min == pytest.approx(130) and partial.bottom_s == pytest.approx(1.5, abs=DT / 2)
    assert partial.tempo.pause_s == 0 and partial.tempo.down_s + partial.tempo.up_s == pytest.approx(
        partial.end_s - partial.start_s)


@pytest.mark.parametrize(("stood_s", "partials"), [(0.1, 0), (0.6, 1)])
def test_a_dip_right_after_the_person_appears_is_getting_into_position(stood_s: float, partials: int) -> None:
    """Found at the start and dipping 0.1 s later (a barbell walk-out) is no attempt; after
    standing there for half a second, the same dip is a partial."""
    t, v = path([(0, 170), (stood_s, 170), (stood_s + 1.0, 130), (stood_s + 2.0, 170), (stood_s + 2.5, 170)])
    counter, _ = run(SQUAT, t + 3.0, v)  # the person appears 3 s into the clip
    assert len(counter.partials) == partials


@pytest.mark.parametrize(("seen_frames", "partials"), [(1, 0), (2, 0), (3, 1)])
def test_a_partial_must_be_seen_not_read_off_frames_between_gaps(seen_frames: int, partials: int) -> None:
    """Standing (170), lost for 0.3 s, found on `seen_frames` frames at 130 (past the 160 → 100 rule's
    partial edge), lost again, standing: a lifter at lockout in poor light, not a shallow attempt,
    unless it was seen there for a few frames."""
    t, v = path([(0, 170), (3, 170)])
    gap = (t > 1.0) & (t <= 1.6)
    v[gap] = np.nan
    seen = np.flatnonzero(gap)[9:9 + seen_frames]
    v[seen] = 130.0
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 0 and len(counter.partials) == partials


@pytest.mark.parametrize(("standing_frames", "partials", "reps"), [(1, 0, 1), (2, 1, 1)])
def test_a_partial_ends_on_two_frames_back_at_the_start(standing_frames: int, partials: int, reps: int) -> None:
    """Down to 130 (a partial's depth), lost, read standing on `standing_frames` frame(s) between gaps,
    then seen at the bottom (90) and standing up: one frame standing is no evidence that the attempt
    ended (a tilted close camera lost a squatter near the bottom and read one frame at 163), so it is one
    attempt that reached the target; two frames in a row end a partial, dated to the first."""
    t, v = path([(0, 170), (0.5, 170), (1.5, 130), (1.8, 130), (3.0, 90), (4.0, 170), (4.5, 170)])
    lost = (t > 1.8) & (t < 2.6)
    v[lost] = np.nan
    standing = np.flatnonzero(lost)[10:10 + standing_frames]
    v[standing] = 168.0
    counter, events = run(SQUAT, t, v)
    assert (len(counter.partials), counter.count) == (partials, reps)
    if partials:
        assert counter.partials[0].end_s == pytest.approx(t[standing[0]])


def test_partial_then_full_rep_indices() -> None:
    t, v = path([(0, 170), (0.5, 170), (1.5, 130), (2.5, 170), (3.5, 90), (4.5, 170), (5, 170)])
    counter, events = run(SQUAT, t, v)
    assert [type(e) for e in events] == [PartialRep, RepCompleted]
    assert counter.count == 1 and counter.reps[0].index == 1 and counter.partials[0].index == 1


def test_custom_partial_after() -> None:
    rule = RepRule(metric="knee", start=160, target=100, partial_after=125)
    t, v = path([(0, 170), (0.5, 170), (1.5, 130), (2.5, 170), (3, 170)])
    counter, _ = run(rule, t, v)
    assert counter.partials == []  # 130 did not pass 125: jitter, not an attempt


def test_walking_in_counts_nothing() -> None:
    """Walking in: knees between the zones, never at the target, then standing: no rep, no partial."""
    rng = np.random.default_rng(11)
    t = np.arange(0, 4, DT)
    v = 135 + 15 * np.sin(2 * np.pi * 1.2 * t) + rng.normal(0, 3, t.size)  # strides: 120-150
    t = np.concatenate([t, t[-1] + DT + np.arange(0, 1, DT)])
    v = np.concatenate([v, np.full(t.size - v.size, 170.0)])
    counter, events = run(SQUAT, t, v)
    assert events == [] and counter.count == 0 and counter.partials == []
    assert counter.armed


def test_set_that_starts_at_the_bottom_counts_the_first_lift() -> None:
    """A deadlift from the floor: first seen at the bottom, up, down, up: two reps (lockouts)."""
    t, v = path([(0, 90), (1, 90), (2, 170), (3, 170), (4, 90), (5, 170), (6, 170)])
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 2 and counter.reps[0].start_s == 0.0 and counter.reps[1].start_s > 2.9


def test_first_rep_joined_mid_descent_counts() -> None:
    t, v = path([(0, 130), (0.5, 90), (1.0, 90), (2.0, 170), (2.5, 170), (3.5, 90), (4.5, 170), (5, 170)])
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 2 and counter.partials == []


def test_standing_short_of_the_spec_start_adapts_to_the_person() -> None:
    """Someone whose straight knee reads 150 (never 160): the start edge follows their own rest."""
    keys = [(0, 150), (1, 150)]
    for k in range(3):
        keys += [(2 + 3 * k, 90), (3.5 + 3 * k, 150), (4 + 3 * k, 150)]
    t, v = path(keys)
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 3
    assert 135 < counter.start_threshold < 150
    fixed, _ = run(RepRule(metric="knee", start=160, target=100, adapt_start=0.0), t, v)
    assert fixed.count == 0


@pytest.mark.parametrize("cycle_s, expected", [(0.3, 0), (0.9, 1), (1.5, 1)])
def test_min_duration(cycle_s: float, expected: int) -> None:
    t, v = path([(0, 170), (0.5, 170), (0.5 + cycle_s / 2, 90), (0.5 + cycle_s, 170), (3, 170)])
    counter, events = run(SQUAT, t, v)
    assert counter.count == expected and len(events) == expected and counter.partials == []


def test_single_frame_glitch_is_not_a_rep() -> None:
    t = np.arange(0, 3, DT)
    v = np.full(t.size, 170.0)
    v[40] = 60.0  # tracking glitch
    counter, events = run(SQUAT, t, v)
    assert events == [] and counter.count == 0


# ---- gaps ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("gap_s, rep_start", [(0.5, 0.625), (1.5, 0.625)])
def test_nan_gap_during_rep(gap_s: float, rep_start: float) -> None:
    """A short gap keeps the rep; after a long one (past `max_gap_s`) the person found again short
    of the start zone within `bridge_gap_s` goes on with the same rep; found later, the rep is
    rejoined where they reappear."""
    t, v = path([(0, 170), (0.5, 170), (1.5, 90), (3.5, 90), (4.5, 170), (5, 170)])
    v[(t > 2.0) & (t < 2.0 + gap_s)] = np.nan  # pose lost at the bottom
    counter, events = run(SQUAT, t, v)
    assert counter.count == 1 and len(events) == 1 and counter.partials == []
    assert within_frame_before(counter.reps[0].start_s, rep_start) or abs(counter.reps[0].start_s - rep_start) < DT


def test_long_gap_rejoins_mid_movement() -> None:
    """After a long gap the person reappears mid-descent: that rep is rejoined there and counts."""
    t, v = path([(0, 170), (0.5, 170), (1.0, 150), (3.0, 150), (4.0, 90), (5.0, 170), (5.5, 170),
                 (6.5, 90), (7.5, 170), (8, 170)])
    v[(t > 1.1) & (t < 3.5)] = np.nan
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 2 and counter.reps[0].start_s >= 3.5 and counter.partials == []


def test_long_gap_at_the_bottom_resumes_the_rep_on_the_way_up() -> None:
    """Lost at the bottom for longer than `max_gap_s`, found again half way up: the same rep goes
    on (not a new joined excursion that never reaches the target), and it records the unseen time."""
    t, v = path([(0, 170), (0.5, 170), (1.5, 90), (3.0, 90), (4.0, 130), (4.5, 170), (5, 170)])
    v[(t > 1.8) & (t < 3.6)] = np.nan
    counter, events = run(SQUAT, t, v)
    assert counter.count == 1 and len(events) == 1 and counter.partials == []
    [rep] = counter.reps
    assert rep.start_s <= 0.625 and rep.unseen_s == pytest.approx(1.8, abs=2 * DT)


def test_long_gap_resume_needs_the_bridge_time() -> None:
    """Found again on the way up only after `bridge_gap_s`: nothing is assumed about the lost rep."""
    t, v = path([(0, 170), (0.5, 170), (1.5, 90), (6.0, 90), (7.0, 130), (7.5, 170), (8, 170)])
    v[(t > 1.8) & (t < 6.6)] = np.nan
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 0


def test_nan_in_start_zone_is_harmless() -> None:
    t, v = path([(0, 170), (1, 170), (2, 90), (3, 170), (3.5, 170)])
    v[5:20] = np.nan
    counter, _ = run(SQUAT, t, v)
    assert counter.count == 1


# ---- incomplete return --------------------------------------------------------------------------

def test_incomplete_return_records_no_full_hang() -> None:
    # elbow 160 (hang) → 60 (top) → 110 (half way down) → 60 (top) → 160 (hang)
    t, v = path([(0, 160), (0.5, 160), (1.5, 60), (2.0, 60), (2.8, 110), (3.6, 60), (4.0, 60), (5.0, 160), (5.5, 160)])
    counter, events = run(PULL_UP, t, v)
    assert [type(e) for e in events] == [PartialRep, RepCompleted]
    partial_event = events[0]
    assert partial_event.cue == "no_full_hang" and partial_event.message == "Hang all the way down"
    [partial] = counter.partials
    assert partial.partial_cue == "no_full_hang"
    assert partial.end_s == pytest.approx(2.8, abs=DT / 2)  # the turn
    # extremes run from the last frame in the start zone (≥ 150) to the turn
    assert partial.min == pytest.approx(60) and partial.max == pytest.approx(150, abs=100 * DT)
    assert within_frame_before(partial.start_s, 0.6) and within_frame_after(partial.bottom_s, 1.4)
    [rep] = counter.reps  # the second pull, from the turn back to a full hang, counts
    assert rep.start_s == partial.end_s and rep.index == 1
    assert rep.max == pytest.approx(150, abs=100 * DT) and rep.min == pytest.approx(60)
    assert within_frame_after(rep.end_s, 4.9)
    assert within_frame_after(rep.bottom_s, 3.6 - 0.8 * 10 / 50)


@pytest.mark.parametrize(
    "dip_to, dip_s, cue, partials",
    [
        (110, 0.8, "no_full_hang", 1),  # a real incomplete return
        (85, 1.6, "no_full_hang", 0),  # too shallow a turn (19 % of the range back): same rep
        (100, 1.6, "no_full_hang", 0),  # 37 % back, under half way: a sag held at the top, same rep
        (110, 0.2, "no_full_hang", 0),  # too brief: a tracking glitch
        (110, 0.8, None, 0),  # not checked by this rule
    ],
)
def test_incomplete_return_detection(dip_to: float, dip_s: float, cue: str | None, partials: int) -> None:
    rule = RepRule(metric="elbow", start=150, target=70, incomplete_return_cue=cue, min_duration_s=1.0)
    t, v = path([(0, 160), (0.5, 160), (1.5, 60), (2.0, 60), (2.0 + dip_s / 2, dip_to), (2.0 + dip_s, 60),
                 (3.0, 60), (4.0, 160), (4.5, 160)])
    counter, _ = run(rule, t, v)
    assert len(counter.partials) == partials and counter.count == 1


# ---- many reps ----------------------------------------------------------------------------------

def test_five_reps_varied_tempo_exact_boundaries() -> None:
    keys, now = [(0.0, 170.0), (1.0, 170.0)], 1.0
    truth = []
    for down, pause, up, rest, bottom in [(1.0, 0.0, 1.0, 0.5, 95), (2.0, 1.0, 1.5, 1.0, 80), (0.7, 0.3, 0.6, 0.3, 100),
                                          (1.5, 5.0, 2.0, 0.2, 90), (1.2, 0.0, 0.9, 2.0, 70)]:
        keys += [(now + down, bottom), (now + down + pause, bottom), (now + down + pause + up, 170.0)]
        # 160 lies 10 / (170 - bottom) of the way between the rest and the bottom
        frac = 10 / (170 - bottom)
        truth.append((now + frac * down, now + down + pause + (1 - frac) * up))
        now += down + pause + up + rest
        keys.append((now, 170.0))
    t, v = path(keys)
    counter, events = run(SQUAT, t, v)
    assert counter.count == 5 and len(events) == 5 and counter.partials == []
    assert [r.index for r in counter.reps] == [1, 2, 3, 4, 5]
    assert [e.count for e in events] == [1, 2, 3, 4, 5]
    for rep, (start, end) in zip(counter.reps, truth):
        assert within_frame_before(rep.start_s, start), (rep, start)
        assert within_frame_after(rep.end_s, end), (rep, end)


# ---- misc ---------------------------------------------------------------------------------------

def test_reset_forgets_everything() -> None:
    t, v = path([(0, 170), (1, 170), (2, 90), (3, 170), (3.5, 170)])
    counter, _ = run(SQUAT, t, v)
    counter.reset()
    assert (counter.count, counter.partials, counter.armed, counter.phase) == (0, [], False, RepPhase.START)


@pytest.mark.parametrize(
    "kwargs",
    [dict(start=100, target=100), dict(start=160, target=100, partial_after=170),
     dict(start=160, target=math.nan), dict(start=160, target=100, max_gap_s=0)],
)
def test_bad_rules_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        RepRule(metric="knee", **kwargs)


def test_quick_shallow_attempt_is_a_partial_but_a_quick_blip_is_not() -> None:
    rule = RepRule(metric="sweep", start=50, target=140, min_duration_s=1.5, partial_after=65)
    # Half-way (to 95, half of the 90-deg range), 0.96 s beyond the start edge: a full sweep at
    # that tempo would take ~1.9 s, so it is an attempt (though shorter than min_duration_s).
    t, v = path([(0, 20), (0.5, 20), (1.3, 95), (2.1, 20), (2.6, 20)])
    assert len(run(rule, t, v)[0].partials) == 1
    # The same depth in 0.4 s is a tracking glitch, not an attempt.
    t, v = path([(0, 20), (0.5, 20), (0.7, 95), (0.9, 20), (1.4, 20)])
    assert run(rule, t, v)[0].partials == []


def test_shallow_attempt_held_to_the_end_is_a_partial() -> None:
    """A wall sit held too high until the clip ends: reported as a partial at the end, not lost."""
    t, v = path([(0, 170), (1, 170), (2, 130), (12, 130)])
    assert run(SQUAT, t, v)[0].finish(float(t[-1])) == ()  # off by default
    counter, events = run(RepRule(metric="knee", start=160, target=100, partial_at_end=True), t, v)
    assert events == [] and counter.partials == []
    (partial,) = counter.finish(float(t[-1]))
    assert isinstance(partial, PartialRep) and 1.0 <= partial.rep.start_s <= 1.25 and counter.count == 0


def test_finish_does_not_count_a_rep_stuck_at_the_target() -> None:
    t, v = path([(0, 170), (1, 170), (2, 90), (6, 90)])
    counter, _ = run(SQUAT, t, v)
    assert counter.finish(float(t[-1])) == () and counter.count == 0 and counter.partials == []


@pytest.mark.parametrize("lost_s, counted", [(2.0, 1), (4.0, 0)])
def test_lockout_hidden_from_the_camera_counts_when_seen_back_at_start(lost_s: float, counted: int) -> None:
    """At the bottom, then lost (head out of the picture), then seen standing: the lift happened."""
    t, v = path([(0, 170), (0.5, 170), (1.5, 90), (2.0, 90), (2.0 + lost_s, 170), (3.0 + lost_s, 170)])
    v[(t > 2.0) & (t < 2.0 + lost_s)] = np.nan
    counter, events = run(SQUAT, t, v)
    assert counter.count == counted and counter.partials == []
    if counted:
        assert counter.reps[0].unseen_s == pytest.approx(lost_s, abs=0.1) and counter.reps[0].start_s < 1.0


# ---- a start above the picture ------------------------------------------------------------------

# A deadlift from the floor filmed close: the hip angle rises from 60, the lockout (150) is not seen.
CLOSE_PULL = RepRule(metric="hip", start=150, target=110, partial_after=135, start_above_picture=True)


def pull_lost_over_the_top(found_at: float, lost_s: float = 0.9, risen_to: float = 100.0, at_top: bool = True,
                           rule: RepRule = CLOSE_PULL) -> RepCounter:
    """At the floor (60), rising to `risen_to` by 1 s with the head at the top edge for the last
    0.2 s, lost for `lost_s`, found again at `found_at`, then lowered to the floor."""
    counter = RepCounter(rule)
    back = 1.0 + lost_s
    for ti in np.arange(0.0, back + 1.5, DT):
        t = float(ti)
        if t <= 1.0:
            value = float(np.interp(t, [0, 0.5, 1.0], [60, 60, risen_to]))
        elif t < back:
            value = math.nan
        else:
            value = float(np.interp(t, [back, back + 1.0], [found_at, 60]))
        counter.update(t, value, at_top=at_top and 0.8 <= t <= 1.0)
    return counter


def test_a_pull_that_rose_out_of_the_top_and_is_found_higher_counts_unseen() -> None:
    counter = pull_lost_over_the_top(found_at=145)
    assert counter.count == 1 and counter.partials == []
    [rep] = counter.reps
    assert rep.unseen_s == pytest.approx(0.9, abs=2 * DT) and rep.end_s == pytest.approx(1.9, abs=2 * DT)


@pytest.mark.parametrize("lost_s", [0.6, 1.6])
def test_a_pull_that_rose_out_of_the_top_and_is_found_on_the_way_down_counts_unseen(lost_s: float) -> None:
    """Lost with the head above the picture at 100 and found at 90 going down to the floor, long enough
    later to have stood up and come back: one rep, ending where found; the way down is no partial."""
    counter = pull_lost_over_the_top(found_at=90, lost_s=lost_s)
    assert counter.count == 1 and counter.partials == []
    [rep] = counter.reps
    assert rep.unseen_s == pytest.approx(lost_s, abs=2 * DT) and rep.end_s == pytest.approx(1.0 + lost_s, abs=2 * DT)


def test_lost_for_longer_than_max_gap_still_counts_within_the_bridge() -> None:
    assert pull_lost_over_the_top(found_at=145, lost_s=1.6).count == 1
    assert pull_lost_over_the_top(found_at=145, lost_s=CLOSE_PULL.bridge_gap_s + 0.5).count == 0


def test_found_in_the_start_zone_counts_once() -> None:
    assert pull_lost_over_the_top(found_at=165).count == 1


@pytest.mark.parametrize("case", ["head in the picture", "off in the spec", "found lower", "found barely higher",
                                  "lost near the floor"])
def test_nothing_is_assumed_without_the_evidence(case: str) -> None:
    """Each condition is needed: the head at the top edge, the spec's consent, found again well above
    where lost (and not just a little) or lower after time enough to stand and come back, and a pull
    already well under way when lost."""
    counter = {
        "head in the picture": lambda: pull_lost_over_the_top(found_at=145, at_top=False),
        "off in the spec": lambda: pull_lost_over_the_top(found_at=145, rule=RepRule(metric="hip", start=150, target=110,
                                                                                    partial_after=135)),
        "found lower": lambda: pull_lost_over_the_top(found_at=90, lost_s=0.3),
        "found barely higher": lambda: pull_lost_over_the_top(found_at=110),
        "lost near the floor": lambda: pull_lost_over_the_top(found_at=145, risen_to=70),
    }[case]()
    assert counter.count == 0
