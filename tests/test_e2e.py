"""End to end through real MediaPipe on the rendered samples, judged against their sidecars.

Each clip is analysed once per session (module cache): exact rep and partial counts, hold durations within
0.3 s, each fault clip raises its faults and no clip raises a fault its truth does not have.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tools.sample_check import SAMPLES, ClipResult, analyse_clip, problems, sidecars

pytestmark = pytest.mark.e2e
CLIPS = [p.stem for p in sidecars()]

#: Clips where formcoach is known to disagree with the truth in one way (the start of the problem
#: line `problems` gives), with the measurement that shows why. Everything else about the clip is
#: still checked. Strict: when the disagreement goes away, the test fails and the entry must go.
KNOWN_LIMITS = {
    "hip_hinge_rounded_mild": (
        "missed faults: ['rounded_back']",
        "20 deg of spine flexion on the female render moves the back outline's bulge by less than the "
        "rep-to-rep noise (per-rep medians 0.015-0.020 vs 0.014-0.017 neutral; 35 deg gives 0.029-0.034)",
    ),
    "aquaman_good": (
        "hold 1:",
        "MediaPipe sees the one lifted arm rise 0.17 s late and come down 0.13 s early, even with no "
        "smoothing (raw landmarks: 2.70-7.00 s vs truth 2.53-7.13 s): the first hold reads 4.27 s of 4.60",
    ),
}


@lru_cache(maxsize=None)
def analysed(name: str) -> ClipResult:
    return analyse_clip(name)


@pytest.mark.parametrize("name", CLIPS)
def test_clip_matches_ground_truth(name: str):
    result = analysed(name)
    found = problems(result)
    context = f"{name}: {result.report['rep_count']} reps, faults {[f['cue'] for f in result.report['faults']]}"
    if name in KNOWN_LIMITS:
        known, reason = KNOWN_LIMITS[name]
        assert [p for p in found if not p.startswith(known)] == [], context
        assert any(p.startswith(known) for p in found), f"{name}: the known limit is gone ({reason}); remove it"
        pytest.xfail(reason)
    assert found == [], context


@pytest.mark.parametrize("name", [n for n in CLIPS if json.loads((SAMPLES / f"{n}.json").read_text()).get("expected_faults")])
def test_fault_is_reported_with_time_and_value(name: str):
    result = analysed(name)
    expected = set(result.sidecar["expected_faults"])
    for fault in result.report["faults"]:
        if fault["cue"] in expected:
            assert fault["t_s"] is not None and 0 <= fault["t_s"] <= result.report["duration_s"]
            assert fault["value"] is not None and fault["message"]


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


@pytest.mark.skipif("wall_squat_good" not in CLIPS, reason="sample not rendered")
def test_analyze_cli_writes_report_video_and_csv(tmp_path: Path):
    proc = _cli("analyze", "sample_videos/wall_squat_good.mp4", "--exercise", "wall_squat", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    for key in ("exercise", "source", "duration_s", "frames", "rep_count", "reps", "partial_reps", "holds", "faults", "not_judged"):
        assert key in report
    assert report["rep_count"] == 3 and len(report["holds"]) == 3
    assert (tmp_path / "annotated.mp4").stat().st_size > 10_000
    assert (tmp_path / "metrics.csv").read_text().startswith("t_s,rep_count,")
    assert "reps: 3" in proc.stdout


@pytest.mark.skipif("empty_room" not in CLIPS, reason="sample not rendered")
def test_nobody_in_view_is_bad_input_but_keeps_the_report(tmp_path: Path):
    proc = _cli("analyze", "sample_videos/empty_room.mp4", "--exercise", "hip_hinge", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("formcoach: error: no person in view")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["frames"]["with_pose"] == 0 and report["rep_count"] == 0
