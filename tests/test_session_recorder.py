"""Events are the single source of truth: the session record is built from them alone, one event per fact."""

from __future__ import annotations

from conftest import ScriptedPose
from synthetic import frame_from_joints, keyframes, run, standing_joints

from formcoach.core import CueRaised, PartialRep, fault_of
from formcoach.session import analyse, run_session
from formcoach.specs import parse_spec

SPEC = parse_spec({
    "id": "knee_bend", "name": "Knee bend", "source": "test", "description": "test", "view": "side", "camera": "side",
    "metrics": {"knee": {"angle": ["hip", "knee", "ankle"]}, "trunk": {"inclination": ["hip", "shoulder"], "from": "vertical"}},
    "reps": {"metric": "knee", "start": 150, "target": 110, "partial": {"after": 140, "cue": "too_shallow", "say": "Deeper"}},
    "cues": [{"id": "lean", "when": "during_rep", "metric": "trunk", "max": 30, "persist_s": 0.1, "say": "Chest up"}],
    "defaults": {"sets": 1, "reps": 3, "rest_s": 30},
})
# A full rep leaning forward, a shallow one leaning forward (a partial), a clean full one.
KNEE = [(0, 172), (1, 172), (2.5, 90), (3, 90), (4.5, 172), (5.5, 172), (7, 125), (8.5, 172), (9.5, 172),
        (11, 90), (13, 172), (14, 172)]
LEANING = ((2.0, 3.5), (6.5, 7.5))


def frames() -> list:
    out = []
    for t, knee in keyframes(KNEE):
        lean = 40.0 if any(a <= t <= b for a, b in LEANING) else 5.0
        out.append((t, frame_from_joints(t, standing_joints(knee=knee, trunk=lean))))
    return out


def test_a_fault_belongs_to_the_rep_its_attempt_became_and_a_partial_reports_its_fault_once():
    record = run(SPEC, frames())
    assert record.rep_count == 2 and [r.faults for r in record.reps] == [("lean",), ()]
    assert [r.partial_cue for r in record.partial_reps] == ["too_shallow"]
    # The lean in the shallow attempt belongs to no rep; rep 2 is the clean third attempt.
    assert [(f.cue, f.rep) for f in record.faults] == [("lean", 1), ("lean", None), ("too_shallow", None)]
    # Each fault is carried by exactly one event: the partial rep carries its own, no CueRaised repeats it.
    carried = [f for f in map(fault_of, record.events) if f is not None]
    assert [(f.cue, f.t_s) for f in carried] == [(f.cue, f.t_s) for f in record.faults]
    assert not any(isinstance(e, CueRaised) and e.fault.cue == "too_shallow" for e in record.events)
    assert sum(isinstance(e, PartialRep) for e in record.events) == 1


def test_a_fault_seen_live_has_no_rep_number_until_its_attempt_closes():
    record = run(SPEC, frames())
    live = [e.fault for e in record.events if isinstance(e, CueRaised)]
    assert [(f.cue, f.rep, f.attempt) for f in live] == [("lean", None, 1), ("lean", None, 2)]


def test_the_caller_owned_loop_gives_the_same_frames_as_the_session():
    script = dict(frames())
    pictures = [(None, t) for t in script]
    results = list(analyse(pictures, ScriptedPose(script), SPEC))
    record = run_session(pictures, ScriptedPose(script), SPEC)
    assert [r.rep_count for r in results] == record.rep_counts and results[-1].rep_count == 2
    assert [e for r in results for e in r.events] == record.events  # no hold or rep was open at the end


def test_the_text_summary_says_a_set_without_faults_was_not_all_checked():
    from formcoach.core import NotJudged
    from formcoach.report import summary_text
    from formcoach.session import SessionRecord
    from formcoach.specs import get_spec

    record = SessionRecord(spec=get_spec("deadlift"), source="clip.mp4", fps=30.0)
    assert "no form faults seen\n" in summary_text(record) + "\n"
    record.not_judged = [NotJudged("rounded_back", "outline unsteady", 0.5)]
    assert "no form faults seen\n" in summary_text(record) + "\n" and "not judged" not in summary_text(record)
    record.not_judged = [NotJudged("rounded_back", "outline unsteady", 0.6), NotJudged("rounded_back", "side view", 0.6)]
    assert "not every check could be made" in summary_text(record)  # one cue's time, summed over its reasons
    record.not_judged = [NotJudged("rounded_back", "outline unsteady", 4.0)]
    text = summary_text(record)
    assert "no form faults seen, but not every check could be made:\n  not judged: rounded_back for 4 s (outline unsteady)" in text


def test_a_camera_at_another_angle_is_said_truthfully():
    """Counting in 3-D does not depend on the view (a deadlift filmed at 45 degrees: 11 of 11 real oblique
    clips exact); only the checks that need the side are affected. A 2-D count may be wrong."""
    from formcoach.report import summary_text
    from formcoach.session import SessionRecord
    from formcoach.specs import get_spec

    for exercise, three_d in (("deadlift", True), ("wall_squat", True), ("hip_hinge", False), ("cobra", False)):
        spec = get_spec(exercise)
        assert spec.counts_in_any_view is three_d, exercise
        record = SessionRecord(spec=spec, source="clip.mp4", fps=30.0)
        record.views = {"oblique": 90, "side": 10}
        text = summary_text(record)
        assert ("reps and holds are measured from any angle, but the checks that need the side view were not judged"
                in text) is three_d, text
        assert ("counts and checks may be wrong" in text) is not three_d, text

