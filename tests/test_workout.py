"""Workouts: routine validation, the plan, the runner on synthetic frames, and one end-to-end run.

The runner tests use a scripted pose estimator (PoseFrames made from the source time), so the
whole flow (announce → setup → set → rest → next) runs in well under a second without a model.
The end-to-end test plays two sample videos as one camera stream, with the model's recorded output.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from formcoach.core import PoseFrame
from formcoach.errors import SpecError
from formcoach.specs import load_catalog
from formcoach.speech import NullSpeaker
from formcoach.voice import VoiceCoach
from formcoach.consumers import WorkoutLog
from formcoach.routine import load_routine, parse_routine, plan_workout
from formcoach.workout import Phase, RestStarted, SetupChanged, SetupTimedOut, WorkoutListener, run_workout
from formcoach.workout_report import write_workout_report
from conftest import ScriptedPose
from synthetic import frame_from_joints, prone_joints, standing_joints

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog()
FPS = 30.0
IMAGE = np.full((48, 64, 3), 120, np.uint8)  # the scripted estimator ignores pixels; brightness 120


def routine(text: str, name: str = "<routine>"):
    return parse_routine(yaml.safe_load(textwrap.dedent(text)), name, CATALOG)


# ---- routine files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "routines").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_routines_load_and_plan_at_every_level(path: Path):
    r = load_routine(path, CATALOG)
    for level in (None, *r.levels):
        plan = plan_workout(r, CATALOG, level)
        assert plan and plan[-1].rest_s == 0.0
        assert all((p.reps or 0) > 0 or (p.hold_s or 0) > 0 for p in plan)


def test_home_back_follows_the_seeds():
    r = load_routine("home_back", CATALOG)
    beginner = {p.spec.id: p for p in plan_workout(r, CATALOG, "beginner")}
    standard = {p.spec.id: p for p in plan_workout(r, CATALOG, "standard")}
    assert beginner["superman"].hold_s == 5 and standard["superman"].hold_s == 15  # "beginners ... 5 seconds"
    assert beginner["superman"].spec.hold.rule.target_s == 5  # the evaluator times the level's target
    assert beginner["hip_hinge"].sets == 1 and standard["hip_hinge"].sets == 3  # "Do 1 set first ... then 3"
    assert 10 <= standard["hip_hinge"].reps <= 15 and 30 <= standard["hip_hinge"].rest_s <= 60
    assert (standard["wall_squat"].reps, standard["wall_squat"].hold_s) == (5, 5)  # "hold 5 seconds ... repeat 5 times"
    assert (standard["reverse_arm_swing"].sets, standard["reverse_arm_swing"].reps) == (3, 5)  # "3 groups of 5 times"
    assert (standard["cobra"].reps, standard["cobra"].hold_s) == (10, 15)  # "hold 15 to 30 seconds ... repeat 10 times"
    assert standard["bird_dog"].hold_s == 20 and beginner["bird_dog"].hold_s == 3  # 004: 20 s; 001: 2-3 s
    assert [p.spec.id for p in plan_workout(r, CATALOG, "standard")][0] == "reverse_arm_swing"  # the warm-up first


def test_values_come_from_the_first_layer_that_gives_them():
    r = routine("""
        id: t
        name: T
        source: test
        levels: [beginner, standard]
        exercises:
          - {exercise: hip_hinge, reps: 8}
          - {exercise: superman, rest_s: 20, beginner: {hold_s: 3}}
    """)
    by = lambda level: [(p.spec.id, p.sets, p.reps, p.hold_s, p.rest_s) for p in plan_workout(r, CATALOG, level)]
    # entry level block > entry > spec level > spec defaults
    assert by("beginner")[0] == ("hip_hinge", 1, 8, None, 60.0)  # sets and rest from the spec's beginner level
    assert by("beginner")[1] == ("superman", 3, None, 3.0, 20.0)
    assert by("standard")[3] == ("superman", 3, None, 15.0, 20.0)
    assert by(None)[:3] == [("hip_hinge", 3, 8, None, 45.0)] * 3
    assert by(None)[-1][-1] == 0.0  # no rest after the last set


BASE = "id: t\nname: T\nsource: test\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ("exercises:\n  - {exercise: supreman, sets: 3}",
         "exercises[0].exercise: unknown exercise 'supreman' (did you mean 'superman'?) (known: "),
        ("exercises:\n  - {exercise: hip_hinge, rest: 30}", "exercises[0].rest: unknown key (did you mean 'rest_s'?)"),
        ("exercises:\n  - {exercise: superman, reps: 10}", "exercises[0].reps: superman is timed, not counted (it has no reps block): give hold_s instead"),
        ("exercises:\n  - {exercise: pull_up, hold_s: 10}", "exercises[0].hold_s: pull_up has no hold to time: give reps instead"),
        ("exercises:\n  - {exercise: pull_up, sets: 0}", "exercises[0].sets: expected at least 1, found 0"),
        ("exercises:\n  - {exercise: pull_up, rest_s: -5}", "exercises[0].rest_s: expected seconds >= 0, found -5"),
        ("exercises:\n  - {exercise: pull_up, beginner: {reps: 3}}",
         "exercises[0].beginner: level block for an undeclared level (none declared); list it at the top: levels: [beginner, ...]"),
        ("levels: [beginner]\nexercises:\n  - {exercise: pull_up, beginner: {rep: 3}}", "exercises[0].beginner.rep: unknown key (did you mean 'reps'?)"),
        ("levels: [sets]\nexercises:\n  - {exercise: pull_up}", "levels: level name 'sets' clashes with an entry key"),
        ("exercises: []", "exercises: expected a list of exercises"),
        ("exercises:\n  - {sets: 3}", "exercises[0].exercise: missing required key"),
        ("exercise:\n  - {exercise: pull_up}", "exercises: missing required key"),
    ],
)
def test_routine_errors_name_the_key_and_the_fix(body: str, message: str):
    with pytest.raises(SpecError) as err:
        routine(BASE + body)
    assert str(err.value).startswith("<routine>: ") and message in str(err.value)


def test_routine_file_errors(tmp_path: Path):
    bad_id = tmp_path / "mine.yaml"
    bad_id.write_text(BASE + "exercises:\n  - {exercise: pull_up}\n")
    with pytest.raises(SpecError, match=r"mine.yaml: id: id 't' must match the file name 'mine'"):
        load_routine(bad_id, CATALOG)
    broken = tmp_path / "t.yaml"
    broken.write_text("id: t\nexercises: [\n")
    with pytest.raises(SpecError, match=r"t.yaml: line \d+: not valid YAML"):
        load_routine(broken, CATALOG)
    with pytest.raises(SpecError, match=r"home_bak: no such routine file or id \(did you mean 'home_back'\?\)"):
        load_routine("home_bak", CATALOG)
    r = routine(BASE + "levels: [beginner]\nexercises:\n  - {exercise: pull_up}")
    with pytest.raises(SpecError, match=r"unknown level 'advanced' \(this routine has: beginner\)"):
        plan_workout(r, CATALOG, "advanced")


def test_announcements_say_the_dose():
    r = routine(BASE + "exercises:\n  - {exercise: superman, sets: 3, hold_s: 15}\n  - {exercise: wall_squat, reps: 3}\n  - {exercise: pull_up, sets: 1, reps: 1}")
    assert [p.announcement for p in plan_workout(r, CATALOG)][2:] == [
        "Next: superman hold, set 3 of 3, hold fifteen seconds",
        "Next: wall squat, three reps, hold five seconds each",
        "Next: pull-up, one rep",
    ]


# ---- the runner, on synthetic frames ---------------------------------------------------------------------


def camera(seconds: float):
    """(image, t) at 30 fps, like a camera that runs for `seconds`."""
    return ((IMAGE, i / FPS) for i in range(int(seconds * FPS)))


def squats_then_superman(t: float) -> PoseFrame | None:
    """0-14 s: two wall squats from 6 s (bottom 1.5 s each); then lying prone, limbs lifted 26-31 s."""
    if t < 14.0:
        knee = float(np.interp(t, [0, 6, 7, 8.5, 9.5, 10, 11, 12.5, 13.5, 14], [175, 175, 95, 95, 175, 175, 95, 95, 175, 175]))
        return frame_from_joints(t, standing_joints(knee=knee))
    lift = float(np.interp(t, [26, 26.3, 31, 31.3], [0, 15, 15, 0]))
    return frame_from_joints(t, prone_joints(arm_lift=lift, leg_lift=lift))


TWO_EXERCISES = BASE + """exercises:
  - {exercise: wall_squat, sets: 1, reps: 2, hold_s: 1, rest_s: 30}
  - {exercise: superman, sets: 1, hold_s: 3}
"""


def test_runner_goes_setup_set_rest_next_on_the_source_clock():
    coach = VoiceCoach(NullSpeaker())
    log: list[str] = []

    class Listener(WorkoutListener):
        statuses: list = []

        def on_status(self, image, status):
            self.statuses.append(status)

        def on_workout(self, event):
            log.append(type(event).__name__)

    listener = Listener()
    rec = run_workout(camera(35), ScriptedPose(squats_then_superman), routine(TWO_EXERCISES), CATALOG, [listener],
                      rest_override_s=2.0, coach=coach)
    assert rec.ended_by == "done"
    squat, superman = rec.sets
    assert len(squat.session.reps) == 2 and squat.target_reached
    assert squat.setup_ready_t is not None and squat.setup_ready_t <= squat.start_t <= squat.session.reps[0].start_s
    assert squat.setup_ready_t == pytest.approx(1.5, abs=0.05)
    assert squat.rest_end_t - squat.rest_start_t == pytest.approx(2.0, abs=1.5 / FPS)
    assert superman.target_reached and [h.completed for h in superman.session.holds] == [True]
    assert superman.session.holds[0].duration_s == pytest.approx(3.0, abs=0.1)
    assert superman.setup_ready_t is not None and superman.setup_ready_t <= superman.start_t

    said = [text for _, text in coach.speaker.said]
    expected = ["Next: wall squat, two reps, hold one second each", "Go", "one", "two", "Set done: two reps",
                "Rest two seconds", "Next: superman hold, hold three seconds", "Go", "Hold", "Done",
                "Set done: longest hold three seconds", "Workout done"]
    it = iter(said)
    assert all(any(s == e for s in it) for e in expected), said  # in this order (other words may come between)
    times = [t for t, _ in coach.speaker.said]
    assert times == sorted(times)  # source time, one utterance after the other
    assert [a.text for a in rec.announcements][:2] == expected[:2]
    assert {s.phase for s in listener.statuses} == {Phase.SETUP, Phase.REST}
    assert log[-1] == "WorkoutEnded" and "RestStarted" in log


def test_rest_countdown_words():
    r = routine(BASE + "exercises:\n  - {exercise: wall_squat, sets: 2, reps: 1, hold_s: 1}")
    rec = run_workout(camera(40), ScriptedPose(squats_then_superman), r, CATALOG, rest_override_s=8.0)
    words = [a.text for a in rec.announcements]
    rest = words.index("Rest eight seconds")
    assert words[rest:rest + 8] == ["Rest eight seconds", "Next: wall squat, set 2 of 2, one rep, hold one second each",
                                    "five", "four", "three", "two", "one", "Go"]
    times = {a.text: a.t for a in rec.announcements[rest:]}
    assert times["one"] - times["five"] == pytest.approx(4.0, abs=1.5 / FPS)


def test_setup_times_out_and_starts_anyway_with_a_warning(capsys):
    nobody = ScriptedPose(lambda t: None)
    r = routine(BASE + "exercises:\n  - {exercise: superman, hold_s: 3}")
    rec = run_workout(camera(8), nobody, r, CATALOG, [WorkoutLog()], setup_timeout_s=4.0)
    timed_out = [e for e in rec.events if isinstance(e, SetupTimedOut)]
    assert len(timed_out) == 1 and timed_out[0].t == pytest.approx(4.0, abs=1.5 / FPS)
    assert rec.sets[0].setup_timed_out and rec.sets[0].setup_ready_t is None
    assert "Step into the picture" in [a.text for a in rec.announcements]
    assert rec.ended_by == "end of video"  # nobody ever held: the stream ran out during the set
    out = capsys.readouterr().out
    assert "warning: setup still not right after 4 s (Step into the picture); starting anyway" in out


def test_go_skips_the_setup_and_the_model_outside_sets():
    pose = ScriptedPose(squats_then_superman)
    rec = run_workout(camera(35), pose, routine(TWO_EXERCISES), CATALOG, rest_override_s=2.0, setup=False)
    assert rec.ended_by == "done" and not any(isinstance(e, SetupChanged) for e in rec.events)
    assert rec.sets[0].start_t == 0.0 and rec.sets[0].setup_ready_t is None
    analysed = sum(s.session.frames_total for s in rec.sets)
    assert pose.calls == analysed  # rest frames were not sent to the model


def test_quit_from_a_window_during_rest_keeps_what_was_done():
    class QuitInRest(WorkoutListener):
        def on_status(self, image, status):
            return status.phase != Phase.REST

    rec = run_workout(camera(35), ScriptedPose(squats_then_superman), routine(TWO_EXERCISES), CATALOG, [QuitInRest()],
                      rest_override_s=2.0)
    assert rec.ended_by == "quit" and len(rec.sets) == 1 and len(rec.sets[0].session.reps) == 2
    assert any(isinstance(e, RestStarted) for e in rec.events)


def test_workout_report(tmp_path: Path):
    rec = run_workout(camera(35), ScriptedPose(squats_then_superman), routine(TWO_EXERCISES), CATALOG, rest_override_s=2.0)
    path = write_workout_report(rec, tmp_path)
    doc = json.loads(path.read_text())
    assert doc["kind"] == "workout" and doc["ended_by"] == "done"
    assert doc["totals"]["sets_done"] == doc["totals"]["sets_planned"] == 2
    assert doc["totals"]["reps"] == 2 and doc["totals"]["holds_completed"] >= 1
    squat, superman = doc["sets"]
    assert (squat["exercise"], squat["rep_count"], squat["target_reached"]) == ("wall_squat", 2, True)
    assert superman["report"]["holds"][0]["completed"] and superman["target"] == {"reps": None, "hold_s": 3.0}
    assert squat["report"]["rep_count"] == 2 and "timeline" in squat["report"]  # the full session report
    assert squat["setup_ready_s"] <= squat["start_s"]
    for s in doc["sets"]:
        assert (tmp_path / s["report_dir"] / "report.html").is_file()
    page = (tmp_path / "workout.html").read_text()
    assert "sets/01_wall_squat_1/report.html" in page and "sets/02_superman_1/report.html" in page


# ---- a playlist of files as one camera ----------------------------------------------------------------------


def test_playlist_source_has_continuous_timestamps(tmp_path: Path):
    from formcoach._cv2 import cv2
    from formcoach.sources import PlaylistSource

    paths = []
    for name, n in (("a", 10), ("b", 5)):
        path = tmp_path / f"{name}.mp4"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
        for _ in range(n):
            writer.write(IMAGE)
        writer.release()
        paths.append(path)
    source = PlaylistSource(paths)
    ts = [t for _, t in source]
    source.close()
    assert source.info.frame_count == 15 and source.info.fps == 10.0
    assert ts == pytest.approx([i / 10.0 for i in range(15)])


def test_playlist_source_names_a_missing_file(tmp_path: Path):
    from formcoach.errors import SourceError
    from formcoach.sources import PlaylistSource

    with pytest.raises(SourceError, match="nope.mp4: video file not found"):
        PlaylistSource([tmp_path / "nope.mp4"])


# ---- end to end: two sample videos as one camera stream, the model's output replayed ----------------------------

SAMPLES = ROOT / "sample_videos"


def recorded_playlist_pose(videos: list[Path]) -> ScriptedPose:
    """The pose model's recorded output for sample videos played as one `PlaylistSource`, looked up by the
    playlist's source time (the runner skips the model outside sets, so frames are not asked for in order).
    A time that is no frame of the recordings is a KeyError, not a silent miss."""
    import dataclasses

    from formcoach.landmarks import LandmarkTrack

    frames, offset = {}, 0.0
    for video in videos:
        track = LandmarkTrack.load(SAMPLES / "landmarks" / f"{video.stem}.npz")
        frames.update({round((offset + t) * 1000): (track, i) for i, t in enumerate(track.t)})
        offset += max(track.t[-1] + 1.0 / track.fps, len(track) / track.fps)  # as PlaylistSource: the next file, a frame later

    def script(t: float) -> PoseFrame | None:
        track, i = frames[round(t * 1000)]
        frame = track.frame(i, with_mask=False)
        return None if frame is None else dataclasses.replace(frame, t=t)

    return ScriptedPose(script)


def test_two_exercise_workout_from_sample_videos(tmp_path: Path):
    """wall squat 1 x 2 reps, rest 1 s, superman 1 x 5 s hold: setup → set → rest → next, headless.

    The two shortest clips that reach those targets (993 frames) decoded as one playlist; the pose model's
    output is their committed landmark caches (test_e2e checks the caches against the clips and the model),
    looked up by source time: the point is the workout flow (the real model made this ~50 s of CPU)."""
    from formcoach.speech import make_speaker
    from formcoach.routine import needs_segmentation
    from formcoach.sources import PlaylistSource

    videos = [SAMPLES / "wall_squat_short_hold.mp4", SAMPLES / "superman_drop.mp4"]
    truth = [json.loads(v.with_suffix(".json").read_text()) for v in videos]
    assert truth[0]["expected_rep_count"] == 2
    hold = truth[1]["expected_holds"][0]
    assert hold["end_s"] - hold["start_s"] > 5 + 1  # the clip holds past the 5 s target, with a margin
    file = tmp_path / "two.yaml"
    file.write_text("id: two\nname: Two\nsource: test\nexercises:\n"
                    "  - {exercise: wall_squat, sets: 1, reps: 2}\n  - {exercise: superman, sets: 1, hold_s: 5}\n")
    r = load_routine(file, CATALOG)
    log_path = tmp_path / "speech.log"
    coach = VoiceCoach(make_speaker("off", log_path=log_path))
    source = PlaylistSource(videos, paced=False)
    assert not needs_segmentation(plan_workout(r, CATALOG))  # the caches of these clips hold no masks
    estimator = recorded_playlist_pose(videos)
    try:
        rec = run_workout(source, estimator, r, CATALOG, [WorkoutLog()], rest_override_s=1.0, coach=coach,
                          source_name=source.info.name, fps=source.info.fps)
    finally:
        coach.close()
        estimator.close()
        source.close()

    assert rec.ended_by == "done", rec.ended_by
    assert 0 < estimator.calls < source.info.frame_count  # not asked during the rest
    squat, superman = rec.sets
    assert len(squat.session.reps) == 2 and squat.target_reached
    assert superman.target_reached and superman.session.holds[-1].completed
    for s in rec.sets:  # the setup was right before counting started
        assert s.setup_ready_t is not None and s.setup_ready_t <= s.start_t
    assert squat.start_t <= squat.session.reps[0].start_s
    assert superman.start_t <= superman.session.holds[0].start_s

    # speech.log: "   12.34  text" per utterance, in the order they are played
    texts = [line.split(maxsplit=1)[1] for line in log_path.read_text().splitlines()]
    order = ["Next: wall squat", "Go", "one", "two", "Set done: two reps", "Rest one second",
             "Next: superman", "Go", "Hold", "Done", "Set done", "Workout done"]
    it = iter(texts)
    assert all(any(text.startswith(o) for text in it) for o in order), "\n".join(texts)

    doc = json.loads(write_workout_report(rec, tmp_path / "out").read_text())
    assert [s["exercise"] for s in doc["sets"]] == ["wall_squat", "superman"]
    assert doc["sets"][0]["rep_count"] == 2 and doc["sets"][1]["holds_s"][-1] >= 5.0
    assert doc["totals"]["sets_on_target"] == 2
