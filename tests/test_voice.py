"""Voice: what the scheduler says and when (event scripts on the source clock), and speakers that
never block the video loop (fake engines gated by Events; no audio hardware needed)."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import threading
import wave
from typing import Callable, Iterable

import numpy as np
import pytest

from formcoach.core import (
    ActiveCue, CueCleared, CueRaised, Fault, FrameResult, Hold, HoldEnded, HoldStarted, PartialRep, PoseFound, PoseFrame,
    PoseLost, Rep, RepCompleted, RepPhase, Severity, Tempo,
)
from formcoach.errors import FormcoachError
from formcoach.skeleton import NUM_LANDMARKS
from formcoach.speech import (
    Beep, NullSpeaker, RecordingSpeaker, SpeechError, TeeSpeaker, beep_seconds, make_speaker, tone_samples, wav_bytes,
)
from formcoach.speech_engines import AsyncSpeaker, CommandEngine, PowerShellEngine, espeak_argv
from formcoach.voice import (
    CLEAN_SET, NO_REP, NOTHING_SEEN_SOME_UNCHECKED, OUT_OF_VIEW, CueScheduler, SchedulerConfig, UtteranceKind, VoiceCoach, countdown_marks,
    number_words,
)

FPS = 10.0
POSE = PoseFrame(0.0, (640, 480), np.full((NUM_LANDMARKS, 2), np.nan), np.full((NUM_LANDMARKS, 3), np.nan),
                 np.zeros(NUM_LANDMARKS))

# ---- event makers ---------------------------------------------------------------------------------------


def rep(t: float, n: int) -> RepCompleted:
    return RepCompleted(t, Rep(n, t - 2, t, t - 1, 90.0, 170.0, Tempo(1, 0, 1)), n)


def partial(t: float, cue: str = "too_shallow", message: str = "Slide lower") -> PartialRep:
    return PartialRep(t, Rep(1, t - 2, t, t - 1, 120.0, 170.0, Tempo(1, 0, 1), partial_cue=cue),
                      Fault(cue, message, t - 1, 170.0, Severity.WARNING))


def raised(t: float, cue: str, message: str, severity: Severity = Severity.WARNING) -> CueRaised:
    return CueRaised(t, Fault(cue, message, t, 0.0, severity))


def hold_ended(t: float, start: float, target: float, broke: str | None = None, index: int = 1) -> HoldEnded:
    """A hold over at `t`; broken short by the person (`broke` other than "session ended") it carries its fault."""
    short = broke is not None and broke != "session ended"
    fault = Fault("hold_short", "Hold it longer", t, t - start, Severity.WARNING, hold=index) if short else None
    return HoldEnded(t, Hold(index, start, t, target, broke), fault)


def timeline(end_s: float, events: Iterable = (), *, pose: Callable[[float], bool] = lambda t: True,
             hold: Callable[[float], float | None] = lambda t: None, target: float | None = None,
             active: Callable[[float], tuple[str, ...]] = lambda t: (),
             phase: Callable[[float], RepPhase | None] = lambda t: None) -> list[FrameResult]:
    """Frames at FPS from 0 to `end_s`; each event lands on the frame at its `t`."""
    by_frame: dict[int, list] = {}
    for ev in events:
        by_frame.setdefault(round(ev.t * FPS), []).append(ev)
    out = []
    for i in range(int(round(end_s * FPS)) + 1):
        t = i / FPS
        out.append(FrameResult(
            t=t, pose=POSE if pose(t) else None, metrics={}, rep_count=0, rep_phase=phase(t),
            hold_elapsed_s=hold(t), hold_target_s=target,
            active_cues=tuple(ActiveCue(c, c, Severity.WARNING, 0.0) for c in active(t)),
            not_judged={}, view="side", side="left", events=tuple(by_frame.get(i, ())),
        ))
    return out


def said(frames: list[FrameResult], scheduler: CueScheduler | None = None) -> list[tuple[float, str]]:
    s = scheduler or CueScheduler()
    return [(round(u.t, 2), u.text) for f in frames for u in s.update(f)]


# ---- scheduler: rep numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("n, words", [(0, "zero"), (1, "one"), (3, "three"), (13, "thirteen"), (20, "twenty"), (21, "21"), (100, "100")])
def test_number_words(n, words):
    assert number_words(n) == words


def test_rep_numbers_are_spoken_when_counted():
    assert said(timeline(4, [rep(1.0, 1), rep(2.0, 2), rep(3.5, 3)])) == [(1.0, "one"), (2.0, "two"), (3.5, "three")]


def test_rep_number_is_never_swallowed_by_a_cue():
    long_cue = "Don't swing: keep your body still and pull with your back"  # 11 words: ~4.5 s
    frames = timeline(8, [raised(0.0, "swinging", long_cue, Severity.ERROR), rep(1.0, 1), rep(2.0, 2)])
    s = CueScheduler()
    out = said(frames, s)
    busy = 11 / 2.6 + 0.3
    first = np.ceil(busy * FPS) / FPS
    assert out == [(0.0, long_cue), (first, "one"), (round(first + 0.7, 2), "two")]  # one word: 0.68 s → next frame
    assert s.dropped == []


def test_rep_goes_before_a_cue_raised_in_the_same_frame_and_the_cue_follows():
    out = said(timeline(3, [rep(1.0, 1), raised(1.0, "swinging", "Don't swing", Severity.ERROR)]))
    assert out == [(1.0, "one"), (1.7, "Don't swing")]


def test_partial_rep_says_its_message_and_no_rep_within_cooldown():
    msg = "Pull higher: get your chin over the bar"
    events = [partial(1.0, "chin_below_bar", msg), partial(5.0, "chin_below_bar", msg), partial(10.0, "chin_below_bar", msg)]
    assert said(timeline(12, events)) == [(1.0, msg), (5.0, NO_REP), (10.0, msg)]


# ---- scheduler: cues ----------------------------------------------------------------------------------------


def test_cooldown_suppresses_a_repeated_cue_within_8_s_and_allows_it_after():
    events = [raised(0.0, "back", "Back straight"), CueCleared(1.0, "back"),
              raised(4.0, "back", "Back straight"), CueCleared(5.0, "back"),
              raised(8.5, "back", "Back straight")]
    assert said(timeline(10, events), CueScheduler(SchedulerConfig(praise_after_s=99))) == [(0.0, "Back straight"), (8.5, "Back straight")]


def test_global_rate_cap_spaces_cue_messages_and_drops_what_got_stale():
    events = [raised(0.0, "a", "Chin up"), raised(1.0, "b", "Knees in", Severity.ERROR), raised(1.0, "c", "Slow down", Severity.INFO)]
    s = CueScheduler()
    out = said(timeline(8, events), s)
    assert out == [(0.0, "Chin up"), (2.5, "Knees in")]  # not before the 2.5 s cap, though speech ended at 1.1 s
    assert [u.text for u in s.dropped] == ["Slow down"]  # would have waited until 5.0: more than 2 s late


def test_severity_orders_cues_waiting_together():
    events = [raised(0.0, "w", "Warning cue", Severity.WARNING), raised(0.0, "i", "Info cue", Severity.INFO),
              raised(0.0, "e", "Error cue", Severity.ERROR)]
    out = said(timeline(6, events), CueScheduler(SchedulerConfig(stale_s=10)))
    assert out == [(0.0, "Error cue"), (2.5, "Warning cue"), (5.0, "Info cue")]


def test_a_cue_that_clears_before_it_is_said_is_not_said():
    events = [raised(0.0, "a", "First"), raised(0.5, "b", "Second"), CueCleared(1.5, "b")]
    assert said(timeline(5, events), CueScheduler(SchedulerConfig(praise_after_s=99))) == [(0.0, "First")]


def test_waiting_cue_goes_stale_behind_long_speech():
    long_cue = "Keep your arms straight and reach forward with both hands together"  # 11 words
    events = [raised(0.0, "a", long_cue, Severity.ERROR), raised(0.5, "b", "Legs up")]
    s = CueScheduler()
    assert said(timeline(6, events), s) == [(0.0, long_cue)]
    assert [u.text for u in s.dropped] == ["Legs up"]


# ---- scheduler: praise ---------------------------------------------------------------------------------------


def test_praise_after_a_spoken_fault_is_corrected_and_stays_corrected():
    events = [raised(0.0, "back", "Back straight"), CueCleared(3.0, "back")]
    out = said(timeline(6, events, active=lambda t: ("back",) if t < 3.0 else ()))
    assert out == [(0.0, "Back straight"), (4.5, "Better")]


def test_no_praise_when_the_fault_comes_back_within_the_window():
    events = [raised(0.0, "back", "Back straight"), CueCleared(3.0, "back")]
    out = said(timeline(6, events, active=lambda t: ("back",) if t < 3.0 or t >= 3.8 else ()))
    assert out == [(0.0, "Back straight")]


def test_no_praise_when_the_cue_merely_stopped_applying():
    phase = lambda t: RepPhase.TARGET if t < 3.0 else RepPhase.CONCENTRIC  # noqa: E731
    events = [raised(0.0, "deep", "Not so low"), CueCleared(3.0, "deep")]
    assert said(timeline(6, events, phase=phase)) == [(0.0, "Not so low")]
    events = [raised(0.0, "arms", "Arms straight"), CueCleared(3.0, "arms"), hold_ended(3.0, 0.0, 2.0)]
    assert said(timeline(6, events)) == [(0.0, "Arms straight")]
    events = [raised(0.0, "arms", "Arms straight"), CueCleared(3.0, "arms"), PoseLost(3.0)]
    assert said(timeline(4, events, pose=lambda t: t < 3.0)) == [(0.0, "Arms straight")]


def test_praise_at_most_once_per_cue_per_20_s():
    events = [raised(0.0, "back", "Back straight"), CueCleared(1.0, "back"),
              raised(10.0, "back", "Back straight"), CueCleared(11.0, "back"),
              raised(30.0, "back", "Back straight"), CueCleared(31.0, "back")]
    out = said(timeline(34, events))
    assert out == [(0.0, "Back straight"), (2.5, "Better"), (10.0, "Back straight"), (30.0, "Back straight"), (32.5, "Good")]


def test_no_praise_for_a_fault_that_was_never_said():
    events = [raised(0.0, "back", "Back straight"), raised(0.0, "neck", "Chin tucked"), CueCleared(1.0, "neck")]
    assert said(timeline(5, events)) == [(0.0, "Back straight")]


# ---- scheduler: holds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("target, marks", [
    (5.0, [(5.0, "Done")]),
    (10.0, [(5.0, "Five seconds left"), (10.0, "Done")]),
    (15.0, [(10.0, "Five seconds left"), (15.0, "Done")]),
    (20.0, [(10.0, "Ten seconds left"), (15.0, "Five seconds left"), (20.0, "Done")]),
    (30.0, [(15.0, "Halfway"), (20.0, "Ten seconds left"), (25.0, "Five seconds left"), (30.0, "Done")]),
])
def test_countdown_marks(target, marks):
    assert countdown_marks(target) == marks


def test_hold_countdown_is_spoken_at_its_points():
    start, target = 1.0, 30.0
    events = [HoldStarted(2.0, start, target), hold_ended(33.0, start, target)]
    frames = timeline(34, events, hold=lambda t: t - start if 2.0 <= t < 33.0 else None, target=target)
    assert said(frames) == [(2.0, "Hold"), (16.0, "Halfway"), (21.0, "Ten seconds left"), (26.0, "Five seconds left"), (31.0, "Done")]


def test_hold_elapsed_frozen_by_a_dropout_says_only_the_latest_point():
    start, target = 0.0, 20.0
    elapsed = lambda t: None if t < 1.0 else (min(t, 8.0) if t < 12.0 else t)  # noqa: E731 frozen 8..12 s, catches up
    frames = timeline(21, [HoldStarted(1.0, start, target)], hold=elapsed, target=target)
    assert said(frames) == [(1.0, "Hold"), (12.0, "Ten seconds left"), (15.0, "Five seconds left"), (20.0, "Done")]


def test_short_hold_says_why_once():
    events = [HoldStarted(1.0, 0.0, 15.0), hold_ended(4.0, 0.0, 15.0, "legs lowered")]
    frames = timeline(8, events, hold=lambda t: t if 1.0 <= t < 4.0 else None, target=15.0)
    assert said(frames) == [(1.0, "Hold"), (4.0, "Hold ended early: legs lowered")]


# ---- scheduler: out of view ------------------------------------------------------------------------------------


def test_pose_lost_flicker_says_nothing_and_a_longer_loss_says_step_back_once():
    flicker = [PoseLost(1.0), PoseFound(1.5)]
    assert said(timeline(4, flicker, pose=lambda t: not 1.0 <= t < 1.5)) == []
    long_loss = [PoseLost(1.0), PoseFound(6.0)]
    assert said(timeline(8, long_loss, pose=lambda t: not 1.0 <= t < 6.0)) == [(2.5, OUT_OF_VIEW)]


def test_moving_in_a_hold_posture_is_told_to_hold_still_once_per_wait():
    from formcoach.holds import HOLD_STILL

    waiting = lambda t: 1.0 <= t < 3.0 or 4.0 <= t < 5.0 or 20.0 <= t < 21.0  # noqa: E731
    frames = [dataclasses.replace(f, hold_settling=waiting(f.t)) for f in timeline(22, target=20.0)]
    # as each wait starts, but not again within the 10 s cooldown (the second wait at 4 s)
    assert said(frames) == [(1.0, HOLD_STILL), (20.0, HOLD_STILL)]


# ---- scheduler: set end ----------------------------------------------------------------------------------------


def test_clean_set_is_praised_at_set_end():
    s = CueScheduler()
    said(timeline(4, [rep(1.0, 1), rep(2.0, 2), rep(3.0, 3)]), s)
    assert [(u.t, u.text, u.kind) for u in s.flush()] == [
        (4.0, "Set done: three reps", UtteranceKind.SET_END), (4.0 + 4 / 2.6 + 0.3, CLEAN_SET, UtteranceKind.PRAISE)]


@pytest.mark.parametrize("unchecked_s, closing", [(0.5, CLEAN_SET), (1.5, "No faults seen, but I could not check rounded back")])
def test_a_set_with_a_check_not_made_for_a_second_is_not_called_clean(unchecked_s, closing):
    """No fault raised while a cue could not be judged (hidden, wrong view) is not "clean": that claims
    more than was seen. Under a second in total (a brief occlusion) does not count."""
    frames = timeline(4, [rep(1.0, 1), rep(2.0, 2), rep(3.0, 3)])
    frames = [dataclasses.replace(f, not_judged={"rounded_back": "outline unsteady"}) if 1.0 < f.t <= 1.0 + unchecked_s + 1e-9
              else f for f in frames]
    s = CueScheduler()
    said(frames, s)
    assert [u.text for u in s.flush()] == ["Set done: three reps", closing]


def test_set_end_names_one_or_two_checks_not_made_and_sums_up_more():
    from formcoach.voice import unchecked_words

    assert unchecked_words([]) == CLEAN_SET
    assert unchecked_words(["rounded_back", "hips_first"]) == "No faults seen, but I could not check rounded back or hips first"
    assert unchecked_words(["a", "b", "c"]) == NOTHING_SEEN_SOME_UNCHECKED


def test_set_with_a_fault_is_not_praised():
    s = CueScheduler()
    said(timeline(4, [rep(1.0, 1), raised(2.0, "back", "Back straight")]), s)
    assert [u.text for u in s.flush()] == ["Set done: one rep"]


def test_hold_set_end_from_closing_events():
    s = CueScheduler()
    said(timeline(20, [HoldStarted(1.0, 0.0, 15.0)], hold=lambda t: t if t >= 1.0 else None, target=15.0), s)
    closing = [hold_ended(20.1, 0.0, 15.0)]  # session ended while holding, past the target
    assert [u.text for u in s.flush(closing)] == ["Set done: longest hold twenty seconds", CLEAN_SET]


def test_session_ending_mid_hold_is_not_called_early():
    s = CueScheduler()
    said(timeline(5, [HoldStarted(1.0, 0.0, 15.0)], hold=lambda t: t if t >= 1.0 else None, target=15.0), s)
    closing = [hold_ended(5.1, 0.0, 15.0, "session ended")]
    assert [u.text for u in s.flush(closing)] == ["Set done: longest hold five seconds"]


def test_reset_starts_a_new_set():
    s = CueScheduler()
    said(timeline(2, [raised(1.0, "back", "Back straight")]), s)
    s.reset()  # the next set, later on the same source clock: the cue's cooldown is forgotten
    assert said(timeline(12, [raised(11.0, "back", "Back straight")]), s) == [(11.0, "Back straight")]


def test_reset_does_not_talk_over_words_still_playing():
    s = CueScheduler()
    said(timeline(2, [raised(1.0, "back", "Keep your back straight and your chest proud")]), s)
    s.reset()
    out = said(timeline(8, [rep(1.5, 1)]), s)
    assert [text for _, text in out] == ["one"] and out[0][0] > 1.5 + 1.0  # after the first message ends


def test_beeps_only_keeps_reps_hold_points_and_set_end():
    s = CueScheduler(SchedulerConfig(beeps_only=True))
    events = [rep(1.0, 1), raised(1.0, "back", "Back straight"), HoldStarted(2.0, 1.0, 5.0), partial(9.0)]
    frames = timeline(10, events, hold=lambda t: t - 1.0 if 2.0 <= t < 8.0 else None, target=5.0)
    out = [(u.t, u.beep) for f in frames for u in s.update(f)] + [(u.t, u.beep) for u in s.flush()]
    assert out == [(1.0, Beep.REP), (2.0, Beep.START), (6.0, Beep.DONE), (10.0, Beep.SET_END)]


# ---- the consumer -----------------------------------------------------------------------------------------------


def test_voice_coach_speaks_and_closes_the_set():
    speaker = NullSpeaker()
    coach = VoiceCoach(speaker)
    for f in timeline(3, [rep(1.0, 1), rep(2.0, 2)]):
        coach.on_frame(None, f)
    coach.close()
    assert speaker.said == [(1.0, "one"), (2.0, "two"), (3.0, "Set done: two reps"), (3.0 + 4 / 2.6 + 0.3, CLEAN_SET)]


def test_voice_coach_with_a_beep_only_speaker_beeps():
    speaker = NullSpeaker(speaks=False)
    coach = VoiceCoach(speaker)
    for f in timeline(3, [rep(1.0, 1), raised(1.5, "back", "Back straight")]):
        coach.on_frame(None, f)
    coach.on_events([])
    coach.close()  # the set was ended already: no second set end
    assert speaker.said == [] and speaker.beeps == [(1.0, Beep.REP), (3.0, Beep.SET_END)]


def test_voice_coach_on_the_real_evaluator_wall_squat():
    from synthetic import sequence, standing_joints

    from formcoach.evaluator import Evaluator
    from formcoach.specs import get_spec

    pts, t = [(0.0, 172.0), (2.0, 172.0)], 2.0
    for bottom in (90.0, 125.0):  # one good rep with its 5 s bottom hold, then a shallow one
        pts += [(t + 1.5, bottom), (t + 6.5, bottom), (t + 8.0, 172.0), (t + 9.5, 172.0)]
        t += 9.5
    ev, speaker = Evaluator(get_spec("wall_squat")), NullSpeaker()
    coach = VoiceCoach(speaker)
    for ti, frame in sequence(pts, lambda k: standing_joints(knee=k, trunk=3.0)):
        coach.on_frame(None, ev.update(ti, frame))
    coach.on_events(ev.finish(t + 1 / 30))
    coach.close()
    texts = [text for _, text in speaker.said]
    assert texts == ["Hold", "Done", "one", "Slide lower", "Set done: one rep"]  # the short spoken form


# ---- speakers ------------------------------------------------------------------------------------------------------


class GatedEngine:
    """A fake TTS engine: each `speak` blocks until the test opens the gate."""

    name = "fake"

    def __init__(self) -> None:
        self.gate, self.started = threading.Event(), threading.Event()
        self.spoken: list[str] = []

    def speak(self, text: str) -> None:
        self.started.set()
        self.gate.wait(5.0)
        self.spoken.append(text)

    def stop(self) -> None:
        self.gate.set()


def test_speaking_never_blocks_the_video_loop():
    engine = GatedEngine()
    speaker = AsyncSpeaker(engine, max_queue=8)
    coach = VoiceCoach(speaker)
    frames = timeline(100, [rep(float(i), i) for i in range(1, 101)])[10::10]  # one frame per second, a rep in each
    coach.on_frame(None, frames[0])
    assert engine.started.wait(5.0)  # the worker is now stuck inside speak("one")
    for f in frames[1:]:
        coach.on_frame(None, f)  # 99 more calls return while the engine is still blocked
    assert engine.spoken == [] and not engine.gate.is_set()
    assert speaker.pending() == 8  # bounded queue: the oldest went
    assert speaker.dropped == [number_words(i) for i in range(2, 93)]
    coach.reset()  # no set end for this test
    engine.gate.set()
    coach.close()
    assert engine.spoken == ["one"] + [str(i) for i in range(93, 101)]


def test_full_queue_drops_the_oldest_lowest_priority_item():
    engine = GatedEngine()
    speaker = AsyncSpeaker(engine, max_queue=3)
    speaker.say("first", priority=100)
    assert engine.started.wait(5.0)
    for text, priority in [("cue A", 50), ("rep", 100), ("cue B", 50), ("praise", 20), ("cue C", 60)]:
        speaker.say(text, priority=priority)
    assert speaker.dropped == ["praise", "cue A"]  # each time the queue overflowed: lowest priority, oldest first
    engine.gate.set()
    speaker.close()
    assert engine.spoken == ["first", "rep", "cue B", "cue C"]


def test_a_failing_engine_warns_once_and_goes_quiet():
    class Broken:
        name = "broken"
        calls = 0

        def speak(self, text: str) -> None:
            Broken.calls += 1
            raise SpeechError("espeak-ng failed (exit 0): error: No such file or directory")

        def stop(self) -> None:
            pass

    err = io.StringIO()
    speaker = AsyncSpeaker(Broken(), stderr=err)
    for text in ("one", "two", "three"):
        speaker.say(text, priority=100)
    speaker.close()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcoach: warning: speech failed") and Broken.calls == 1


def test_recording_speaker_writes_a_speech_log(tmp_path):
    log = tmp_path / "out" / "speech.log"
    speaker = RecordingSpeaker(log)
    speaker.say("one", t=1.0)
    speaker.beep(Beep.SET_END, t=12.345)
    speaker.say("Set done", t=None)
    speaker.close()
    assert log.read_text().splitlines() == ["    1.00  one", "   12.35  <beep set_end>", "       -  Set done"]


def test_tee_speaker_copies_to_all():
    a, b = NullSpeaker(), NullSpeaker()
    tee = TeeSpeaker(a, b)
    tee.say("one", t=1.0)
    tee.beep(Beep.REP, t=2.0)
    assert a.said == b.said == [(1.0, "one")] and a.beeps == b.beeps == [(2.0, Beep.REP)]


# ---- choosing a backend --------------------------------------------------------------------------------------------


def fake_which(*present: str) -> Callable[[str], str | None]:
    return lambda name: f"/usr/bin/{name}" if name in present else None


@pytest.mark.parametrize("platform, present, engine_argv", [
    ("linux", ("espeak-ng", "espeak", "aplay"), ["/usr/bin/espeak-ng", "-s", "160", "-a", "50", "--stdin"]),
    ("linux", ("espeak", "paplay"), ["/usr/bin/espeak", "-s", "160", "-a", "50", "--stdin"]),
    ("darwin", ("say", "afplay"), ["/usr/bin/say", "-r", "160"]),
])
def test_make_speaker_picks_the_platform_engine(platform, present, engine_argv):
    speaker = make_speaker("voice", 0.5, platform=platform, which=fake_which(*present))
    try:
        assert isinstance(speaker, AsyncSpeaker) and speaker.speaks
        assert isinstance(speaker.engine, CommandEngine) and speaker.engine.argv == engine_argv
    finally:
        speaker.close()


def test_make_speaker_macos_volume_is_embedded_in_the_text():
    speaker = make_speaker("voice", 0.5, platform="darwin", which=fake_which("say"))
    try:
        assert speaker.engine.transform("one") == "[[volm 0.50]] one"
    finally:
        speaker.close()


def test_make_speaker_windows_uses_a_powershell_loop():
    speaker = make_speaker("voice", 0.8, platform="win32", which=fake_which("powershell"))
    try:
        assert isinstance(speaker.engine, PowerShellEngine)
        script = speaker.engine.argv[-1]
        assert "System.Speech" in script and "$s.Volume = 80" in script
    finally:
        speaker.close()


def test_no_engine_falls_back_to_beeps_with_one_warning_line():
    err = io.StringIO()
    speaker = make_speaker("voice", 1.0, platform="linux", which=fake_which("aplay"), stderr=err)
    try:
        assert isinstance(speaker, AsyncSpeaker) and not speaker.speaks and speaker.tones is not None
        assert err.getvalue().count("\n") == 1 and "espeak-ng" in err.getvalue()
    finally:
        speaker.close()


def test_nothing_to_play_with_gives_a_silent_speaker_with_one_warning_line(tmp_path):
    err = io.StringIO()
    speaker = make_speaker("voice", 1.0, tmp_path / "speech.log", platform="linux", which=fake_which(), stderr=err)
    speaker.say("one", t=1.0)
    speaker.close()
    assert isinstance(speaker, RecordingSpeaker) and err.getvalue().count("\n") == 1
    assert (tmp_path / "speech.log").read_text() == "    1.00  one\n"


def test_off_mode_is_silent_and_can_still_log(tmp_path):
    err = io.StringIO()
    assert type(make_speaker("off", stderr=err)) is NullSpeaker
    speaker = make_speaker("off", log_path=tmp_path / "speech.log", stderr=err)
    assert isinstance(speaker, RecordingSpeaker) and speaker.speaks and err.getvalue() == ""
    speaker.close()


@pytest.mark.parametrize("mode, volume", [("loud", 1.0), ("voice", 1.5), ("voice", -0.1)])
def test_make_speaker_rejects_bad_input_with_a_formcoach_error(mode, volume):
    with pytest.raises(FormcoachError):
        make_speaker(mode, volume)


# ---- beeps -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Beep))
def test_beep_wav_has_the_right_length_and_level(kind):
    samples = tone_samples(kind, volume=0.5)
    with wave.open(io.BytesIO(wav_bytes(samples))) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert w.getnframes() / w.getframerate() == pytest.approx(beep_seconds(kind), abs=1e-3)
    assert np.abs(samples).max() <= 0.25 * 32767 + 1
    assert abs(int(samples[0])) < 500 and abs(int(samples[-1])) < 500  # faded: no click


def test_set_end_beep_is_two_tones():
    samples = tone_samples(Beep.SET_END).astype(float)
    loud = np.convolve(np.abs(samples) > 1000, np.ones(50), mode="same") > 0  # bridges zero crossings
    assert np.count_nonzero(np.diff(np.concatenate([[0], loud.astype(int)])) == 1) == 2  # two onsets


# ---- the real engine, when installed; layering ------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_ng_speaks_about_as_long_as_the_scheduler_estimates(tmp_path):
    text = "Keep your arms straight, reaching forward"
    wav = tmp_path / "say.wav"
    subprocess.run([*espeak_argv(shutil.which("espeak-ng"), 1.0), "-w", str(wav)], input=text, text=True, check=True,
                   capture_output=True, timeout=20)
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    estimate = CueScheduler().duration_s(CueScheduler().say_now(0.0, text))
    assert 0.7 * estimate < seconds < 1.4 * estimate


def test_voice_modules_load_neither_cv2_nor_mediapipe(heavy_imports):
    assert heavy_imports("formcoach.voice", "formcoach.speech", "formcoach.speech_engines") == []


def test_end_set_is_idempotent_and_announcements_take_the_floor():
    speaker = NullSpeaker()
    coach = VoiceCoach(speaker)
    for f in timeline(2, [rep(1.0, 1)]):
        coach.on_frame(None, f)
    assert [u.text for u in coach.end_set()] == ["Set done: one rep", CLEAN_SET]
    assert coach.end_set() == []
    coach.announce("Rest thirty seconds", t=2.0)  # after the set-end words (2.0 + 1.84 + 1.45 s)
    coach.reset()  # a new set, later on the same source clock
    coach.announce("Next: superman", t=10.0)
    coach.close()  # nothing happened since the announcement: no set end
    assert speaker.said[-2:] == [(pytest.approx(2.0 + 4 / 2.6 + 4 / 2.6 + 0.6), "Rest thirty seconds"), (10.0, "Next: superman")]


def test_set_end_drops_waiting_countdowns_and_cues_but_keeps_rep_numbers():
    s = CueScheduler()
    long_cue = "Keep your arms straight and reach forward with both hands together"
    said(timeline(1, [raised(0.0, "a", long_cue, Severity.ERROR), raised(0.5, "b", "Legs up"),
                      HoldStarted(0.5, 0.0, 5.0), rep(1.0, 1)]), s)
    assert [u.text for u in s.flush()] == ["one", "Set done: one rep"]
    assert sorted(u.text for u in s.dropped) == ["Hold", "Legs up"]


# ---- spoken forms: short, templated from the spec in force, agreeing with the screen --------------------------


def _spoken_catalog() -> dict[str, set[str]]:
    """Every text the voice can say for a cue, over every spec and level: text -> {spec[:level]}."""
    from formcoach.specs import load_catalog

    out: dict[str, set[str]] = {}
    for spec in load_catalog().values():
        for level in (None, *spec.levels):
            for text in spec.at_level(level).spoken.values():
                out.setdefault(text, set()).add(spec.id + (f":{level}" if level else ""))
    return out


def test_every_cue_in_the_catalog_has_a_spoken_form_of_at_most_2_s_at_the_default_rate():
    from formcoach.speech import DEFAULT_WPM

    spoken = _spoken_catalog()
    assert len(spoken) > 40  # the whole catalog, not a sample
    too_long = {t: sorted(where) for t, where in spoken.items() if len(t.split()) / (DEFAULT_WPM / 60) > 2.0}
    assert too_long == {}
    assert all("{" not in t for t in spoken)  # every placeholder rendered


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_every_spoken_cue_measured_with_espeak_ng_lasts_at_most_2_s(tmp_path):
    exe = shutil.which("espeak-ng")
    too_long = {}
    for i, text in enumerate(sorted(_spoken_catalog())):
        wav = tmp_path / f"{i}.wav"
        subprocess.run([*espeak_argv(exe, 1.0), "-w", str(wav)], input=text, text=True, check=True,
                       capture_output=True, timeout=20)
        with wave.open(str(wav)) as w:
            samples = np.frombuffer(w.readframes(w.getnframes()), np.int16)
            rate = w.getframerate()
        loud = np.flatnonzero(np.abs(samples) > 300)  # the words, without the engine's leading/trailing silence
        seconds = (loud[-1] - loud[0]) / rate if loud.size else 0.0
        if seconds > 2.0:
            too_long[text] = round(seconds, 2)
    assert too_long == {}


@pytest.mark.parametrize(("level", "target"), [("beginner", "5"), ("standard", "15"), (None, "15")])
def test_superman_hold_texts_name_the_target_of_the_level_in_force(level, target):
    from formcoach.specs import get_spec

    spec = get_spec("superman").at_level(level)
    written, spoken = spec.hold.rule.short_message, spec.spoken[spec.hold.rule.short_cue]
    assert f"{target} seconds" in written and f"{target} seconds" in spoken
    assert "fifteen" not in written + spoken and ("15" not in written + spoken or target == "15")


def test_a_fault_is_spoken_in_its_short_form_and_written_in_full():
    sched = CueScheduler()
    fault = Fault("rounded_back", "Keep your back straight: hinge at the hips, don't round your spine", 3.2, 0.03,
                  Severity.ERROR, rep=1, spoken="Straight back")
    said = [u.text for r in timeline(3, [CueRaised(1.0, fault)]) for u in sched.update(r)]
    assert said == ["Straight back"]


def test_longest_hold_is_said_as_the_summary_rounds_it():
    sched = CueScheduler()
    for r in timeline(16, [HoldStarted(1.0, 1.0, 15.0), hold_ended(15.97, 1.0, 15.0)]):
        sched.update(r)
    summary = [u.text for u in sched.flush() if u.kind == UtteranceKind.SET_END]
    assert summary == ["Set done: longest hold fifteen seconds"]  # 14.97 s, shown as 15.0 s


class _Tones:
    name = "tones"

    def __init__(self) -> None:
        self.played: list[Beep] = []

    def play(self, kind: Beep) -> None:
        self.played.append(kind)

    def stop(self) -> None:
        pass


def test_no_audio_device_turns_sound_off_with_one_clear_warning():
    from formcoach.speech import NoAudioDevice

    class NoDevice:
        name = "espeak-ng"

        def speak(self, text: str) -> None:
            raise NoAudioDevice("espeak-ng: no audio output device (error: No such file or directory)")

        def stop(self) -> None:
            pass

    err, tones = io.StringIO(), _Tones()
    speaker = AsyncSpeaker(NoDevice(), tones, stderr=err)
    for text in ("one", "two", "three"):
        speaker.say(text, priority=100, beep=Beep.REP)
    speaker.beep(Beep.SET_END)
    speaker.close()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "no audio output device" in lines[0] and "sound off" in lines[0]
    assert tones.played == []


def test_speech_that_fails_otherwise_falls_back_to_beeps_with_one_warning():
    class Broken:
        name = "broken"

        def speak(self, text: str) -> None:
            raise SpeechError("broken failed (exit 1): voice data missing")

        def stop(self) -> None:
            pass

    err, tones = io.StringIO(), _Tones()
    speaker = AsyncSpeaker(Broken(), tones, stderr=err)
    speaker.say("one", priority=100, beep=Beep.REP)
    speaker.say("two", priority=100, beep=Beep.REP)
    speaker.say("Straight back", priority=60)  # a cue has no beep: silent after the fallback
    speaker.close()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "beeps instead" in lines[0]
    assert tones.played == [Beep.REP, Beep.REP]


def test_espeak_without_a_sound_card_is_reported_as_no_audio_device(tmp_path):
    from formcoach.speech import NoAudioDevice
    from formcoach.speech_engines import CommandEngine

    fake = tmp_path / "fake-espeak"
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho \"ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\" >&2\n"
                    "echo 'error: No such file or directory' >&2\nexit 0\n")
    fake.chmod(0o755)
    with pytest.raises(NoAudioDevice, match="no audio output device"):
        CommandEngine("espeak-ng", [str(fake)]).speak("hello")

