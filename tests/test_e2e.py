"""End to end on the rendered samples, judged against their sidecars.

The logic checks replay each clip's committed landmark cache (`sample_videos/landmarks/`, the raw
pose-model output of the clip) through the same session code, once per test session: exact rep
and partial counts, hold durations within 0.3 s, each fault clip raises its faults and no clip
raises a fault its truth does not have. A cache that no longer matches its clip or the installed
model fails `test_landmark_cache_is_current` (rebuild: `tools/build_sample_landmarks.py`). The
clips in REAL_MODEL_CLIPS still go through real MediaPipe on every run and must agree with their
cache; the CLI tests at the end replay caches too, except live mode (a file as a fake camera, real model).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from tools.sample_check import (
    LANDMARKS, SAMPLES, ClipResult, analyse_clip, cache_path, clip_options, differences, expected_key, load_cached,
    problems, replay_clip, sidecars,
)

pytestmark = pytest.mark.e2e
CLIPS = [p.stem for p in sidecars()]

#: Clips where formcoach is known to disagree with the truth (the start of each problem line
#: `problems` gives), with the measurement that shows why. Everything else about the clip is
#: still checked. Strict: when a disagreement goes away, the test fails and the entry must change.
KNOWN_LIMITS = {
    "hip_hinge_rounded_mild": (
        ("missed faults: ['rounded_back']",),
        "20 deg of spine flexion on the female render moves the back outline's bulge by less than the "
        "rep-to-rep noise (per-rep medians 0.015-0.020 vs 0.014-0.017 neutral; 35 deg gives 0.029-0.034)",
    ),
    "deadlift_hips_first": (
        ("missed faults: ['hips_first']",),
        "the render's knees lead its hips on the way up by +0.20/+0.24 of their ranges (peak 0.38): as much "
        "as good real barbell pulls from the floor (mv_good: up to +0.24, peak 0.44), so the rule tuned on real "
        "lifters (hips-first sets +0.20..+0.49, threshold 0.3) lets it pass rather than call good real lifts",
    ),
    "aquaman_good": (
        ("hold 1:",),
        "MediaPipe sees the one lifted arm rise 0.17 s late and come down 0.13 s early, even with no "
        "smoothing (raw landmarks: 2.70-7.00 s vs truth 2.53-7.13 s): the first hold reads 4.27 s of 4.60",
    ),
}


#: Clips that go through the real pose model on every run and are compared with their cache: short ones
#: that cover segmentation on and off, reps and holds. deadlift_hips_first (9.7 s, masks on): two reps;
#: dead_hang_good (10.4 s, masks off): a hold. squat_shallow (partial reps) left the list: partial reps are
#: logic the replayed clips cover (it cost 25 s of the three clips' 103 s in CI). romanian_deadlift_rounded (8.5 s,
#: a fault from the mask's outline) was tried instead of deadlift_hips_first: its real run raised the fault
#: on one rep where its cache replay raises it on two (landmarks and masks within the bounds below).
REAL_MODEL_CLIPS = ["deadlift_hips_first", "dead_hang_good"]
#: How close a fresh real-model run must be to the cache (float16 storage alone is within 0.25 px;
#: the slack is for another CPU's float arithmetic): share of frames whose detection differs, pixel
#: error of landmarks visible in both (median, 99th percentile), share of mask pixels that differ.
DETECTION_MISMATCH_MAX = 0.01
PIXEL_MEDIAN_MAX, PIXEL_P99_MAX = 1.0, 4.0
MASK_MISMATCH_MAX = 0.005


@lru_cache(maxsize=None)
def analysed(name: str) -> ClipResult:
    """The clip analysed from its landmark cache (replay: no model, no video), once per test process."""
    return replay_clip(name)


def on_clip_worker(name: str) -> pytest.MarkDecorator:
    """The tests that use `analysed(name)` share an xdist group: with `--dist loadgroup` (README test command)
    one test process replays the clip once for all of them (split between two, half the fault clips were
    replayed twice, about 1 s of CPU each)."""
    return pytest.mark.xdist_group(f"replay_{name}")


def per_clip(names: list[str]) -> list:
    return [pytest.param(name, marks=on_clip_worker(name)) for name in names]


@pytest.mark.parametrize("name", CLIPS)
def test_landmark_cache_is_current(name: str):
    rebuild = f"rebuild it: .venv/bin/python tools/build_sample_landmarks.py {name}"
    assert cache_path(name).exists(), f"{name}: no landmark cache; {rebuild}"
    assert load_cached(name).key == expected_key(name), f"{name}: stale landmark cache (clip, model or pose options changed); {rebuild}"


def test_no_cache_without_a_clip():
    assert sorted(p.stem for p in LANDMARKS.glob("*.npz") if p.stem not in CLIPS) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", per_clip(REAL_MODEL_CLIPS))
def test_real_model_agrees_with_the_cache(name: str):
    from formcoach.landmarks import TrackBuilder

    options = clip_options(name)
    recorder = TrackBuilder(record_masks=options.segmentation, mask_long_side=None)
    real = analyse_clip(name, recorder=recorder)
    fresh, cached = recorder.build(), load_cached(name)
    assert len(fresh) == len(cached) and np.allclose(fresh.t, cached.t)
    assert np.mean(fresh.detected != cached.detected) <= DETECTION_MISMATCH_MAX
    both = fresh.detected & cached.detected
    visible = (fresh.visibility[both] > 0.5) & (cached.visibility[both] > 0.5)  # (F, 33)
    error = np.linalg.norm(fresh.xy[both] - cached.xy[both], axis=-1)[visible]  # pixels
    assert error.size > 0.5 * both.sum() * 33 / 2, f"{name}: too few visible landmarks to compare"
    assert np.median(error) <= PIXEL_MEDIAN_MAX and np.percentile(error, 99) <= PIXEL_P99_MAX, (
        f"{name}: landmarks differ from the cache by {np.median(error):.2f} px (median), {np.percentile(error, 99):.2f} px (p99)")
    if options.segmentation:
        assert fresh.masks is not None and cached.masks is not None and fresh.masks.shape == cached.masks.shape
        assert np.mean((fresh.masks >= 128) != (cached.masks >= 128)) <= MASK_MISMATCH_MAX
    assert differences(real, analysed(name)) == [], f"{name}: the real model and the cache replay give other results"


@pytest.mark.parametrize("name", per_clip(CLIPS))
def test_clip_matches_ground_truth(name: str):
    result = analysed(name)
    found = problems(result)
    context = f"{name}: {result.report['rep_count']} reps, faults {[f['cue'] for f in result.report['faults']]}"
    if name in KNOWN_LIMITS:
        known, reason = KNOWN_LIMITS[name]
        assert [p for p in found if not p.startswith(known)] == [], context
        gone = [k for k in known if not any(p.startswith(k) for p in found)]
        assert gone == [], f"{name}: known limit {gone} is gone ({reason}); update the entry"
        pytest.xfail(reason)
    assert found == [], context


@pytest.mark.parametrize("name", per_clip([n for n in CLIPS if json.loads((SAMPLES / f"{n}.json").read_text()).get("expected_faults")]))
def test_fault_is_reported_with_time_and_value(name: str):
    result = analysed(name)
    known: tuple[str, ...] = KNOWN_LIMITS.get(name, ((), ""))[0]
    checked = 0
    for cue in result.sidecar["expected_faults"]:
        raised = [f for f in result.report["faults"] if f["cue"] == cue]
        if not raised and any(k.startswith("missed faults") and repr(cue) in k for k in known):
            continue  # the known limit above; test_clip_matches_ground_truth keeps it honest
        assert raised, f"{name}: expected fault {cue!r} not reported"
        for fault in raised:
            assert fault["t_s"] is not None and 0 <= fault["t_s"] <= result.report["duration_s"], fault
            assert isinstance(fault["value"], (int, float)) and np.isfinite(fault["value"]) and fault["message"], fault
        checked += 1
    if not checked:
        pytest.xfail(KNOWN_LIMITS[name][1])


def test_every_exercise_has_a_good_clip_and_a_fault_clip():
    from formcoach.specs import load_catalog

    truths = [json.loads((SAMPLES / f"{n}.json").read_text()) for n in CLIPS]
    good = {t["exercise"] for t in truths if not t["expected_faults"]}
    faulty = {t["exercise"] for t in truths if t["expected_faults"]}
    catalog = set(load_catalog())
    assert (sorted(catalog - good), sorted(catalog - faulty)) == ([], [])


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    repo = Path(__file__).resolve().parent.parent
    return subprocess.run([sys.executable, "-m", "formcoach", *args], capture_output=True, text=True, cwd=repo, timeout=600)


LIVE_CLIP = "pull_up_good_front"


@pytest.mark.slow
@on_clip_worker(LIVE_CLIP)
@pytest.mark.skipif(LIVE_CLIP not in CLIPS, reason="sample not rendered")
def test_live_headless_from_file_counts_like_analyze(tmp_path: Path):
    """Live mode with a file as a fake camera (real frame rate) gives the same result as analyze."""
    speech = tmp_path / "speech.log"
    proc = _cli("live", "--exercise", "pull_up", "--source", f"sample_videos/{LIVE_CLIP}.mp4", "--headless", "--out", str(tmp_path),
                "--no-voice", "--speech-log", str(speech), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    live = json.loads((tmp_path / "report.json").read_text())
    dropped, seen = live["frames"]["dropped"], live["frames"]["total"]
    if dropped > 0.05 * (dropped + seen):
        # Like a real camera, the fake one skips frames the analysis is too slow for. A few (model
        # warm-up) must not change the result; a loaded machine that drops many cannot be judged.
        pytest.skip(f"machine too slow for real time here: {dropped} of {dropped + seen} frames dropped")
    batch = analysed(LIVE_CLIP).report
    assert live["rep_count"] == batch["rep_count"] == analysed(LIVE_CLIP).sidecar["expected_rep_count"]
    assert {f["cue"] for f in live["faults"]} == {f["cue"] for f in batch["faults"]}
    assert proc.stdout.count(" rep ") >= live["rep_count"]  # events were printed as they happened
    said = speech.read_text()
    assert "one" in said and "Set done" in said  # what the coach would have said, with source times


@pytest.mark.slow
@pytest.mark.skipif("wall_squat_short_hold" not in CLIPS, reason="sample not rendered")
def test_analyze_cli_writes_report_video_and_csv(tmp_path: Path):
    # the clip's landmark cache stands in for the model (the model runs in the tests around); a wall squat
    # with reps, holds and a fault, half as long as wall_squat_good (the annotated video is most of the time)
    proc = _cli("analyze", "sample_videos/wall_squat_short_hold.mp4", "--exercise", "wall_squat", "--out", str(tmp_path),
                "--landmarks", str(cache_path("wall_squat_short_hold")), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    for key in ("exercise", "source", "duration_s", "frames", "rep_count", "reps", "partial_reps", "holds", "faults", "not_judged"):
        assert key in report
    assert report["rep_count"] == 2 and len(report["holds"]) == 2 and [f["cue"] for f in report["faults"]][:1] == ["hold_short"]
    assert (tmp_path / "annotated.mp4").stat().st_size > 10_000
    assert (tmp_path / "metrics.csv").read_text().startswith("t_s,rep_count,")
    assert "reps: 2" in proc.stdout


@pytest.mark.skipif("empty_room" not in CLIPS, reason="sample not rendered")
def test_nobody_in_view_is_bad_input_but_keeps_the_report(tmp_path: Path):
    # the clip's landmark cache (the model found nobody on any frame) stands in for the model: the point is
    # what the command does then (the real model with masks made this ~15 s of CPU for 6 s of empty room)
    assert not load_cached("empty_room").detected.any()
    proc = _cli("analyze", "sample_videos/empty_room.mp4", "--exercise", "hip_hinge", "--out", str(tmp_path),
                "--landmarks", str(cache_path("empty_room")), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("formcoach: error: no person in view")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["frames"]["with_pose"] == 0 and report["rep_count"] == 0
