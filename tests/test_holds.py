"""Hold timer on synthetic posture sequences with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from formcoach.core import HoldEnded, HoldStarted
from formcoach.holds import LEFT_POSTURE, NOT_JUDGED, SESSION_ENDED, HoldRule, HoldTimer

FPS = 30.0
DT = 1.0 / FPS
RULE = HoldRule(target_s=5.0)  # grace 0.5 s, min 1 s


def frames(segments: list[tuple[float, bool | None]], fps: float = FPS) -> tuple[np.ndarray, list[bool | None]]:
    """[(duration s, in_posture), ...] → frame times and posture values at `fps`."""
    t, states, now = [], [], 0.0
    for duration, state in segments:
        n = int(round(duration * fps))
        t += [now + i / fps for i in range(n)]
        states += [state] * n
        now += n / fps
    return np.asarray(t), states


def run(rule: HoldRule, t, states, failing: str | None = None, finish: bool = True) -> tuple[HoldTimer, list]:
    timer = HoldTimer(rule)
    events = []
    for ti, s in zip(t, states):
        events += timer.update(float(ti), s, failing if s is False else None)
    if finish:
        events += timer.finish(float(t[-1]))
    return timer, events


def test_dropout_shorter_than_grace_is_bridged() -> None:
    # 1 s out, 4.8 s in, 0.4 s dropout, 5.2 s in, 1 s out: one ~10.4 s hold
    t, s = frames([(1, False), (4.8, True), (0.4, False), (5.2, True), (1, False)])
    timer, events = run(RULE, t, s)
    [hold] = timer.holds
    assert (hold.start_s, hold.end_s) == (pytest.approx(1.0), pytest.approx(11.4 - DT))
    assert hold.completed and hold.broke_because is None and hold.index == 1
    assert [type(e) for e in events] == [HoldStarted, HoldEnded]
    started, ended = events
    assert started.start_s == hold.start_s and started.t == pytest.approx(2.0) and started.target_s == 5.0
    assert ended.hold == hold and ended.t == pytest.approx(hold.end_s + 0.5, abs=DT)


@pytest.mark.parametrize("value", [False, None], ids=["out_of_posture", "not_judged"])
def test_dropout_longer_than_grace_splits_the_hold(value: bool | None) -> None:
    t, s = frames([(1, False), (4.8, True), (0.8, value), (5.2, True), (1, False)])
    timer, _ = run(RULE, t, s, failing="legs lowered")
    first, second = timer.holds
    assert (first.start_s, first.end_s) == (pytest.approx(1.0), pytest.approx(5.8 - DT))
    assert (second.start_s, second.end_s) == (pytest.approx(6.6), pytest.approx(11.8 - DT))
    assert not first.completed and second.completed and second.index == 2
    expected_reason = "legs lowered" if value is False else NOT_JUDGED
    assert first.broke_because == expected_reason and second.broke_because is None


def test_none_is_bridged_like_a_dropout() -> None:
    t, s = frames([(2, True), (0.3, None), (2, True), (1, False)])
    timer, _ = run(HoldRule(target_s=3), t, s)
    [hold] = timer.holds
    assert hold.duration_s == pytest.approx(4.3 - DT)


@pytest.mark.parametrize("blip_s", [0.2, 0.5, 0.9])
def test_blips_shorter_than_min_are_not_holds(blip_s: float) -> None:
    t, s = frames([(1, False), (blip_s, True), (1, False), (blip_s, True), (1, False)] * 3)
    timer, events = run(RULE, t, s)
    assert timer.holds == [] and events == []


def test_short_hold_says_why() -> None:
    t, s = frames([(0.5, False), (3, True), (2, False)])
    timer, _ = run(RULE, t, s, failing="hips dropped")
    [hold] = timer.holds
    assert not hold.completed and hold.broke_because == "hips dropped"
    assert hold.duration_s == pytest.approx(3 - DT)


def test_reason_defaults_and_first_named_reason_wins() -> None:
    timer = HoldTimer(RULE)
    for i in range(60):
        timer.update(i * DT, True)
    timer.update(2.0, False)  # no reason given at first
    timer.update(2.1, False, "arms lowered")
    timer.update(2.2, False, "legs lowered")
    [event] = timer.update(2.6, False)
    assert event.hold.broke_because == "arms lowered"
    timer.reset()
    for i in range(60):
        timer.update(i * DT, True)
    [event] = timer.update(2.6, False)
    assert event.hold.broke_because == LEFT_POSTURE


def test_finish_closes_an_open_hold() -> None:
    t, s = frames([(0.5, False), (3, True)])
    timer, events = run(RULE, t, s, finish=False)
    assert timer.holding and timer.elapsed_s == pytest.approx(3 - DT)
    [ended] = timer.finish(10.0)
    assert isinstance(ended, HoldEnded) and ended.t == 10.0
    assert ended.hold.end_s == pytest.approx(3.5 - DT) and ended.hold.broke_because == SESSION_ENDED
    assert not timer.holding and timer.elapsed_s is None and timer.finish(11.0) == ()


def test_finish_during_dropout_keeps_last_frame_in_posture() -> None:
    t, s = frames([(6, True), (0.3, False)])
    timer, _ = run(RULE, t, s, failing="legs lowered")
    [hold] = timer.holds
    assert hold.end_s == pytest.approx(6 - DT) and hold.completed and hold.broke_because is None


def test_finish_on_a_candidate_run_records_nothing() -> None:
    t, s = frames([(0.5, True)])
    timer, events = run(RULE, t, s)
    assert timer.holds == [] and events == []


def test_elapsed_freezes_during_dropout_and_catches_up() -> None:
    timer = HoldTimer(RULE)
    assert timer.elapsed_s is None and not timer.holding
    seen = []
    t, s = frames([(2, True), (0.3, False), (1, True)])
    for ti, si in zip(t, s):
        timer.update(float(ti), si)
        seen.append(timer.elapsed_s)
    assert seen[29] is None  # before min_s
    assert seen[30] == pytest.approx(1.0)
    assert seen[60:69] == [pytest.approx(2 - DT)] * 9  # frozen during the dropout
    assert seen[69] == pytest.approx(2.3)  # back in posture: the bridged gap counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_back_dating_exact_at_irregular_timestamps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.01, 0.08, 400))  # 10–100 fps, jittery
    start, end = t[50], t[300]
    s = [bool(start <= ti <= end) for ti in t]
    # a few bridged dropouts and None frames inside, never touching the ends
    for i in (100, 101, 180, 250, 251, 252):
        s[i] = None if i % 2 else False
    timer, events = run(HoldRule(target_s=5, grace_s=0.5, min_s=1.0), t, s)
    [hold] = timer.holds
    assert (hold.start_s, hold.end_s) == (start, end)  # exact frame times: no debounce bias
    [started, ended] = events
    assert started.start_s == start and started.t == t[np.flatnonzero(t - start >= 1.0)[0]]


def test_missing_frames_longer_than_grace_end_the_hold() -> None:
    """No update calls for 1 s (e.g. frames dropped upstream) is a dropout too."""
    timer = HoldTimer(RULE)
    events = [e for i in range(90) for e in timer.update(i * DT, True)]
    events += timer.update(4.0, True)
    assert [type(e) for e in events] == [HoldStarted, HoldEnded]
    assert events[1].hold.end_s == pytest.approx(89 * DT) and events[1].hold.broke_because == NOT_JUDGED


def test_zero_grace_ends_on_first_dropout_frame() -> None:
    rule = HoldRule(target_s=5, grace_s=0.0, min_s=0.5)
    t, s = frames([(2, True), (DT, False), (2, True)])
    timer, _ = run(rule, t, s)
    assert len(timer.holds) == 2


def test_reset() -> None:
    t, s = frames([(3, True), (1, False)])
    timer, _ = run(RULE, t, s)
    timer.reset()
    assert timer.holds == [] and not timer.holding


@pytest.mark.parametrize("kwargs", [dict(target_s=0), dict(target_s=5, grace_s=-1), dict(target_s=5, min_s=-1)])
def test_bad_rules_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        HoldRule(**kwargs)


def _feed_values(rule: HoldRule, t: np.ndarray, angle: np.ndarray, low: float, settling: list | None = None) -> list:
    """One posture value (an angle) is the whole posture: in posture while above `low`."""
    timer = HoldTimer(rule)
    events = []
    for ti, a in zip(t, angle):
        events += timer.update(float(ti), bool(a > low), None, (float(a),))
        if settling is not None and timer.settling:
            settling.append(float(ti))
    return events + list(timer.finish(float(t[-1])))


def test_moving_through_the_posture_is_not_a_hold_when_stillness_is_asked() -> None:
    # A dynamic variant: the limb sweeps 0 -> 40 -> 0 deg every 3 s and spends ~2.3 s of each sweep
    # above 5 deg, longer than min_s, but never stops there.
    t = np.arange(0, 12, DT)
    sweep = 20 - 20 * np.cos(2 * np.pi * t / 3.0)
    rule = HoldRule(target_s=5.0, still_within=8.0)
    settling: list[float] = []
    assert [e for e in _feed_values(rule, t, sweep, 5.0, settling) if isinstance(e, HoldStarted)] == []
    # "hold still" is shown once a sweep has been in the posture (from 0.35 s of each 3 s sweep) for
    # min_s + 1 s without the timer starting, until the sweep leaves it (2.65 s) and the grace runs out
    assert settling and {int(x // 3) for x in settling} == {0, 1, 2, 3}
    assert all(x % 3 >= 2.35 or x % 3 <= 0.15 for x in settling)
    loose = HoldRule(target_s=5.0)  # without the stillness rule each pass is a (short) hold
    assert len([e for e in _feed_values(loose, t, sweep, 5.0) if isinstance(e, HoldStarted)]) == 4


def test_a_still_hold_starts_at_its_first_still_frame() -> None:
    # 1 s lifting 0 -> 30 deg, then held at 30 (+-1 deg wobble) for 6 s, then lowered.
    t = np.arange(0, 8, DT)
    angle = np.where(t < 1, 30 * t, 30 + np.sin(7 * t))
    angle = np.where(t > 7, 0.0, angle)
    settling: list[float] = []
    events = _feed_values(HoldRule(target_s=5.0, still_within=8.0), t, angle, 10.0, settling)
    assert settling == []  # still from 0.77 s: never told to hold still
    started = [e for e in events if isinstance(e, HoldStarted)]
    ended = [e for e in events if isinstance(e, HoldEnded)]
    assert len(started) == 1 and len(ended) == 1
    # In posture from 0.34 s (10 deg); still (within 8 deg of 30) from ~0.77 s.
    assert 0.7 <= ended[0].hold.start_s <= 0.85
    assert ended[0].hold.completed


def test_still_within_must_be_positive() -> None:
    with pytest.raises(ValueError, match="still_within"):
        HoldRule(target_s=5.0, still_within=0.0)
