"""Overlay: values in their unit, labels that never collide, rep-end faults shown after the rep.

The end-to-end part replays the fault samples' recorded pose (the committed landmark caches in
sample_videos/landmarks/, else the real model once, cached in pytest's cache folder) and checks,
against each sidecar's per-frame fault truth, that the frames after each faulty rep carry the
fault's banner, that the fault's time is its worst moment and that its thumbnail pictures it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from formcoach.consumer import Consumer
from formcoach.core import ActiveCue, CueRaised, Fault, FrameResult, Severity, fault_of
from formcoach.overlay import FAULT_SHOW_S, Overlay, format_value, plural
from formcoach.skeleton import Landmark
from formcoach.specs import get_spec
from synthetic import frame_from_joints, prone_joints

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


@pytest.mark.parametrize(("value", "unit", "text"), [
    (37.4, "deg", "37°"),
    (-0.4, "deg", "0°"),
    (0.0302, "ratio", "0.030"),
    (0.42, "torso", "0.42 × torso"),
    (float("nan"), "deg", "–"),
])
def test_format_value_keeps_unit_and_precision(value, unit, text):
    assert format_value(value, unit) == text


def test_plural():
    assert (plural(1, "rep"), plural(0, "rep"), plural(3, "rep")) == ("1 rep", "0 reps", "3 reps")


def _scaled(pose, k: float):
    return dataclasses.replace(pose, xy=pose.xy * k, image_size=(round(640 * k), round(480 * k)))


def _result(t: float, events=(), active=(), pose=None, metrics=None) -> FrameResult:
    return FrameResult(t=t, pose=pose, metrics=metrics or {}, rep_count=1, rep_phase=None, hold_elapsed_s=None,
                       hold_target_s=None, active_cues=tuple(active), not_judged={}, view="side", side="left",
                       events=tuple(events))


def test_fault_decided_at_rep_end_stays_on_screen_for_a_while():
    overlay = Overlay(get_spec("hip_hinge"))
    fault = Fault("rounded_back", "Keep your back straight", t_s=3.2, value=0.031, severity=Severity.ERROR, rep=1)
    shown = [any(b.cue == "rounded_back" for b in overlay.banners(_result(5.0 + k / 30, [CueRaised(5.0, fault)] if k == 0 else [])))
             for k in range(int(30 * (FAULT_SHOW_S + 1)))]
    assert shown[0] and all(shown[: int(30 * FAULT_SHOW_S)]) and not any(shown[int(30 * (FAULT_SHOW_S + 0.1)):])
    assert overlay.banners(_result(5.0, [CueRaised(5.0, fault)]))[0].tag == "REP 1"


def test_live_cue_is_not_held_after_it_clears():
    overlay = Overlay(get_spec("hip_hinge"))
    fault = Fault("knees_too_bent", "Keep the knees soft", t_s=1.0, value=120, severity=Severity.WARNING, rep=1)
    active = ActiveCue("knees_too_bent", "Keep the knees soft", Severity.WARNING, 120)
    assert [b.cue for b in overlay.banners(_result(1.2, [CueRaised(1.2, fault)], [active]))] == ["knees_too_bent"]
    assert overlay.banners(_result(1.3, pose=None)) != [] and overlay.banners(_result(1.3))[0].cue is None


def test_joint_labels_never_overlap_and_stay_in_the_frame():
    spec = get_spec("superman")  # arm_lift and leg_lift are both drawn; on a small frame they used to collide
    pose = frame_from_joints(1.0, prone_joints(arm_lift=20, leg_lift=20))
    result = _result(1.0, pose=pose, metrics={"arm_lift": -8.0, "leg_lift": -1.0})
    for shape in ((480, 640, 3), (1080, 1920, 3), (120, 160, 3)):
        boxes = [b for _, b in Overlay(spec).label_boxes(shape, result)]
        assert len(boxes) == 2
        a, b = boxes
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (shape, boxes)


@pytest.mark.parametrize("shape", [(480, 640, 3), (1080, 1920, 3)])
def test_draw_marks_the_faulty_segment_in_the_fault_colour(shape):
    spec = get_spec("superman")
    k = shape[0] / 480
    pose = _scaled(frame_from_joints(1.0, prone_joints(arm_lift=20, leg_lift=20)), k)
    fault = Fault("bent_arms", "Keep your arms straight", t_s=1.0, value=120, severity=Severity.ERROR, hold=1)
    image = np.full(shape, 90, np.uint8)
    out = Overlay(spec).draw_fault(image, _result(1.0, pose=pose, metrics={"elbow": 120.0}), fault)
    assert out.shape == shape and not np.array_equal(out, image)
    red = (out[..., 2] > 200) & (out[..., 0] < 90) & (out[..., 1] < 90)
    assert red.sum() > 200 * k  # the arm drawn in the error colour (and the banner's edge)


# ---- end to end on the fault samples -------------------------------------------------------------------

FAULT_CLIPS = ["hip_hinge_rounded", "pull_up_swing_side", "wall_squat_shallow"]


class _BannerLog(Consumer):
    def __init__(self, spec) -> None:
        self.overlay, self.frames = Overlay(spec), []

    def on_frame(self, image, result) -> None:
        self.frames.append((result.t, [b.cue for b in self.overlay.banners(result) if b.tag], result.events))


@pytest.mark.e2e
@pytest.mark.parametrize("name", FAULT_CLIPS)
def test_fault_shown_after_each_faulty_rep_and_timed_at_its_worst_frame(name, request, tmp_path):
    from formcoach.landmarks import LandmarkTrack, PoseOptions, cached_track
    from formcoach.session import analyse_file
    from formcoach.thumbnails import FaultThumbnails

    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    spec = get_spec(truth["exercise"]).at_level(truth.get("level"))
    committed = SAMPLES / "landmarks" / f"{name}.npz"  # the pose model's output, kept with the samples
    if committed.is_file():
        track = LandmarkTrack.load(committed)
    else:
        cache = request.config.cache.mkdir("formcoach-tracks")
        track = cached_track(SAMPLES / f"{name}.mp4", PoseOptions(segmentation=spec.needs_segmentation), cache)
    log = _BannerLog(spec)
    pictured: list[tuple[str, float]] = []  # (cue, time of the frame the thumbnail shows)
    thumbs = FaultThumbnails(tmp_path, lambda image, result, fault: (pictured.append((fault.cue, result.t)), image)[1])
    analyse_file(SAMPLES / f"{name}.mp4", spec, [log, thumbs], landmarks=track)  # the video's frames, the cached pose
    expected = set(truth["expected_faults"])
    raised = [(t, fault) for t, _, events in log.frames for fault in map(fault_of, events)
              if fault is not None and fault.cue in expected]
    faulty_reps = [r for r in truth["reps"] if expected & set(r["faults"])]
    assert len(raised) == len(faulty_reps), raised
    fps = truth["fps"]
    for t_raised, fault in raised:
        after = [cues for t, cues, _ in log.frames if t_raised <= t < t_raised + FAULT_SHOW_S - 1e-6]
        left = sum(1 for t, _, _ in log.frames if t >= t_raised)  # the clip may end sooner
        assert len(after) >= min(int(fps * FAULT_SHOW_S) - 1, left)
        assert all(fault.cue in cues for cues in after), f"{fault.cue} at {t_raised:.2f} s not shown on every frame"
        ts, flags = truth["frames"]["t"], truth["frames"][f"fault_{fault.cue}"]
        nearest = int(np.argmin(np.abs(np.asarray(ts) - fault.t_s)))
        assert flags[nearest] == 1, f"{fault.cue} timed at {fault.t_s:.2f} s, outside the fault in the truth"
        assert fault.t_s < t_raised  # the worst moment, not the moment of the decision
    ts = np.asarray(truth["frames"]["t"])
    shown = [(cue, t) for cue, t in pictured if cue in expected]
    assert len(shown) == len(raised)
    for cue, t in shown:  # each thumbnail pictures a frame the truth marks as showing the fault
        assert truth["frames"][f"fault_{cue}"][int(np.argmin(np.abs(ts - t)))] == 1, (cue, t)


def test_a_measure_the_far_side_stood_in_for_is_labelled_at_the_far_joint():
    from synthetic import standing_joints

    pose = frame_from_joints(0.0, standing_joints(knee=120.0))
    xy = pose.xy.copy()
    xy[Landmark.LEFT_KNEE] = np.nan  # the near knee, unseen
    pose = dataclasses.replace(pose, xy=xy)
    overlay = Overlay(get_spec("squat"))
    far = dataclasses.replace(_result(0.0, pose=pose, metrics={"knee": 120.0}), on_far_side=frozenset({"knee"}))
    boxes = dict(overlay.label_boxes((480, 640, 3), far))
    (label, (x0, y0, x1, y1)), = [(k, b) for k, b in boxes.items() if k.startswith("Knee")]
    knee = pose.xy[Landmark.RIGHT_KNEE]  # where the label should sit
    assert x0 <= knee[0] + 40 and abs((y0 + y1) / 2 - knee[1]) < 40, (label, (x0, y0, x1, y1), knee)
    assert not [k for k, _ in overlay.label_boxes((480, 640, 3), _result(0.0, pose=pose, metrics={"knee": 120.0}))
                if k.startswith("Knee")]  # measured on the near side: no joint to put it at


LONG = "Can't check rounded back: the outline of your back wobbles while you stand (loose clothing?)"


@pytest.mark.parametrize("width, height, message, n_lines", [
    (1280, 720, "Hips and shoulders together", 1),
    (1280, 720, LONG, 1),
    (360, 640, "Keep your back flat: chest up, don't round your spine", 2),  # a phone held upright
    (360, 640, LONG, 2),
])
def test_a_banner_fits_the_picture_on_one_or_two_lines(width, height, message, n_lines):
    """A cue never runs off the edge of a narrow (portrait) picture: it shrinks, then wraps, then is cut."""
    from formcoach.overlay import _text_size, banner_lines

    s = height / 480.0
    room = width - 30 * s
    scale, lines = banner_lines(message, room, s)
    assert len(lines) == n_lines and scale >= 0.35 * s
    assert all(_text_size(line, scale, 1)[0] <= room for line in lines)
    shown = " ".join(lines)
    assert shown == message or (shown.endswith("...") and message.startswith(shown[:-3].split(" ...")[0][:40]))
