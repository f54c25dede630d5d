"""The HTML report and fault thumbnails: structure checks on hand-built report dicts, and reports
from the real analysis (synthetic stick-figure sessions through `run_session`)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from formcoach.core import CueRaised, Fault, FrameResult, Severity
from formcoach.errors import FormcoachError
from formcoach.report import report_dict, write_csv
from formcoach.report_html import regenerate, render_html, thumb_name, time_under_tension, write_timeline_csv
from formcoach.session import run_session
from formcoach.specs import get_spec
from formcoach.thumbnails import FaultThumbnails
from conftest import ScriptedPose, on_realistic_sessions_worker
from synthetic import frame_from_joints, keyframes, prone_joints, standing_joints

# ---- hand-built reports (the report.json schema, see formcoach/report.py) -------------------------------


def rep(index: int, start: float, end: float, lo: float = 90.0, hi: float = 170.0, faults=(), partial: str | None = None):
    r = {"index": index, "start_s": start, "end_s": end, "bottom_s": (start + end) / 2, "min": lo, "max": hi,
         "tempo": {"down_s": 1.5, "pause_s": 0.5, "up_s": 1.5}, "faults": list(faults)}
    if partial:
        r["partial_cue"] = partial
    return r


def hold(index: int, start: float, end: float, target: float = 5.0, broke: str | None = None):
    return {"index": index, "start_s": start, "end_s": end, "duration_s": round(end - start, 3), "target_s": target,
            "completed": end - start >= target, "broke_because": broke if end - start < target else None}


def fault(cue: str, t: float, value: float = 1.0, rep_i: int | None = None, hold_i: int | None = None, msg: str = "Fix it"):
    return {"cue": cue, "message": msg, "t_s": t, "value": value, "severity": "warning", "rep": rep_i, "hold": hold_i}


def make_report(metrics: dict[str, list[float | None]], primary: str | None, reps=(), partials=(), holds=(), faults=(),
                not_judged=(), defaults: dict[str, Any] | None = None, with_pose: int | None = None, fps: float = 10.0):
    n = len(next(iter(metrics.values()))) if metrics else 0
    t = [round(i / fps, 3) for i in range(n)]
    return {
        "schema_version": 1, "exercise": "demo", "exercise_name": "Demo exercise", "source": "demo.mp4",
        "duration_s": round(n / fps, 3), "fps": fps, "ended_by": "end of video",
        "frames": {"total": n, "with_pose": n if with_pose is None else with_pose}, "view": "side",
        "rep_count": len(reps), "reps": list(reps), "partial_reps": list(partials), "holds": list(holds),
        "faults": list(faults), "not_judged": list(not_judged),
        "timeline": {"t": t, "rep_count": [0] * n, "metrics": metrics, "units": {m: "deg" for m in metrics},
                     "primary": primary},
        "defaults": defaults or {"sets": 1, "reps": None, "hold_s": None, "rest_s": 30},
    }


def wave(n: int, lo: float = 90.0, hi: float = 170.0, period: int = 50) -> list[float]:
    return [round(lo + (hi - lo) * (0.5 + 0.5 * np.cos(2 * np.pi * i / period)), 3) for i in range(n)]


def reps_only() -> dict[str, Any]:
    return make_report(
        {"trunk": wave(200, 3, 85), "knee": wave(200, 150, 170)}, "trunk",
        reps=[rep(1, 0.5, 4.5, 3, 85), rep(2, 5.5, 9.5, 3, 86, faults=["knees_too_bent"]), rep(3, 10.5, 14.5)],
        partials=[rep(4, 15.5, 19.0, 3, 40, partial="too_shallow")],
        faults=[fault("knees_too_bent", 7.0, 120.0, rep_i=2), fault("too_shallow", 17.0, 40.0)],
        defaults={"sets": 3, "reps": 10, "hold_s": None, "rest_s": 60},
    )


def holds_only() -> dict[str, Any]:
    return make_report(
        {"arm_lift": wave(300, 0, 20, 150), "leg_lift": wave(300, 0, 15, 150), "elbow": [170.0] * 300}, "arm_lift",
        holds=[hold(1, 2.0, 19.0, 15.0), hold(2, 20.0, 26.0, 15.0, broke="legs lowered")],
        faults=[fault("hold_short", 26.0, 6.0, hold_i=2)],
        defaults={"sets": 3, "reps": None, "hold_s": 15, "rest_s": 45},
    )


def reps_and_holds() -> dict[str, Any]:
    return make_report(
        {"knee": wave(300, 88, 172, 100), "trunk": [4.0] * 300, "shin": [2.0] * 300}, "knee",
        reps=[rep(1, 1.0, 9.0, 88, 172), rep(2, 11.0, 19.0, 88, 172, faults=["back_off_wall"])],
        holds=[hold(1, 3.0, 8.0), hold(2, 13.0, 16.0, broke="knees straightened")],
        faults=[fault("back_off_wall", 12.0, 25.0, rep_i=2), fault("hold_short", 16.0, 3.0, hold_i=2)],
        not_judged=[{"cue": "knees_past_ankles", "reason": "ankle not visible", "seconds": 2.5}],
        defaults={"sets": 1, "reps": 5, "hold_s": 5, "rest_s": 30},
    )


def empty_session() -> dict[str, Any]:
    return make_report({"knee": [None] * 90, "trunk": [None] * 90}, "knee", with_pose=0,
                       not_judged=[{"cue": "back_off_wall", "reason": "no person in view", "seconds": 9.0}],
                       defaults={"sets": 1, "reps": 5, "hold_s": 5, "rest_s": 30})


def plots(page: str) -> list[str]:
    return re.findall(r'<svg class="plot".*?</svg>', page, flags=re.S)


def table_rows(page: str, cls: str) -> int:
    m = re.search(rf'<table class="{cls}">.*?<tbody>(.*?)</tbody>', page, flags=re.S)
    return -1 if m is None else m.group(1).count("<tr>")


# ---- render_html on hand-built reports ------------------------------------------------------------------


CASES = {"reps": reps_only, "holds": holds_only, "both": reps_and_holds, "empty": empty_session}


@pytest.mark.parametrize("name", CASES)
def test_page_is_self_contained_and_deterministic(name):
    report = CASES[name]()
    page = render_html(report)
    assert page == render_html(copy.deepcopy(report))
    assert "http://" not in page and "https://" not in page
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch, not even relative files
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == page.count("</svg>") == len(report["timeline"]["metrics"])


@pytest.mark.parametrize("name", CASES)
def test_one_plot_and_one_line_per_metric_primary_first(name):
    report = CASES[name]()
    svgs = plots(render_html(report))
    metrics = report["timeline"]["metrics"]
    assert [re.search(r'data-metric="(\w+)"', s).group(1) for s in svgs][0] == report["timeline"]["primary"]
    assert sorted(re.search(r'data-metric="(\w+)"', s).group(1) for s in svgs) == sorted(metrics)
    for svg in svgs:
        expected = 0 if report["frames"]["with_pose"] == 0 else 1
        assert svg.count('class="series"') == expected


@pytest.mark.parametrize("name", CASES)
def test_bands_and_fault_markers_match_the_report(name):
    report = CASES[name]()
    for svg in plots(render_html(report)):
        assert svg.count('class="fault-marker"') == len(report["faults"])
        assert svg.count('class="rep-band"') == len(report["reps"])
        assert svg.count('class="partial-band"') == len(report["partial_reps"])
        assert svg.count('class="hold-band"') == len(report["holds"])


def test_reps_only_page():
    report = reps_only()
    page = render_html(report)
    assert table_rows(page, "reps") == 3 and table_rows(page, "partials") == 1
    assert table_rows(page, "holds") == -1 and "Holds done" not in page
    assert page.count('class="fault"') == 2 and "Knees too bent" in page
    assert "planned" not in page  # a recorded clip has no plan: the spec's default dose is not a target
    assert "of 10 planned" in render_html({**report, "target_reps": 10})


def test_one_card_per_fault_type_with_the_reps_it_happened_in():
    report = reps_only()
    report["faults"] = [fault("knees_too_bent", 2.0, 125.0, rep_i=1), fault("knees_too_bent", 7.0, 118.0, rep_i=2),
                        fault("too_shallow", 17.0, 40.0)]
    report["spec_summary"] = {"reps": {"metric": "trunk", "start": 25, "target": 70, "partial_cue": "too_shallow"},
                              "hold": None, "cues": [{"id": "knees_too_bent", "metric": "knee", "min": 130}]}
    page = render_html(report)
    assert page.count('class="fault"') == 2  # two kinds, three faults
    card = re.search(r'id="fault-1".*?</li>', page, flags=re.S).group(0)
    assert "rep 1 · 2.0 s" in card and "rep 2 · 7.0 s" in card and "2 times" in card
    assert "Worst: 118° (good: at least 130°)" in card  # the worst of the two, in its unit
    shallow = re.search(r'id="fault-2".*?</li>', page, flags=re.S).group(0)
    assert "not counted · 17.0 s" in shallow and "1 time ·" in shallow
    assert "3 warnings · 2 kinds" in page and "3 warning<" not in page


@pytest.mark.parametrize("seconds, expected", [
    (None, "clean session"), (0.5, "clean session"), (3.0, "none seen · 1 check not made (see Not judged)")])
def test_no_fault_is_a_clean_session_only_when_every_check_was_made(seconds, expected):
    report = reps_only()
    report["faults"] = []
    if seconds is not None:
        report["not_judged"] = [{"cue": "rounded_back", "reason": "outline unsteady", "seconds": seconds}]
    page = render_html(report)
    card = re.search(r'<div class="(card[^"]*)"><div class="label">Form faults</div>.*?<div class="sub">(.*?)</div>', page)
    assert card is not None and card.group(2) == expected
    assert (card.group(1) == "card good") == (expected == "clean session")  # green only when all was checked
    all_checked = expected == "clean session"
    assert ("✓ No form faults seen." in page) == all_checked
    assert ("not checked: rounded back (see Not judged below)" in page) == (not all_checked)
    reps = re.search(r'<table class="reps">.*?</table>', page, flags=re.S).group(0)
    assert reps.count('<span class="ok">✓</span>') == (2 if all_checked else 0)  # reps 1 and 3; ticked only then


def test_target_zones_and_limits_from_spec_summary_and_noise_stays_small():
    report = reps_and_holds()
    report["timeline"]["metrics"]["trunk"] = [4.0 + (i % 7) * 0.3 for i in range(300)]  # 2° of wobble
    report["spec_summary"] = {"labels": {"knee": "Knee angle", "trunk": "Trunk lean"},
                              "reps": {"metric": "knee", "start": 155, "target": 100},
                              "hold": None, "cues": [{"id": "back_off_wall", "metric": "trunk", "max": 20}]}
    primary, trunk, _ = plots(render_html(report))
    assert 'class="zone target"' in primary and "Knee angle (°)" in primary
    assert 'class="zone limit"' in trunk and "Trunk lean (°)" in trunk and "back off wall limit 20°" in trunk
    ticks = [float(v) for v in re.findall(r'class="ytick"[^>]*>(-?[\d.]+)°', trunk)]
    assert max(ticks) - min(ticks) >= 20  # the axis spans tens of degrees, so 2° of wobble looks like 2°


def test_holds_only_page():
    page = render_html(holds_only())
    assert table_rows(page, "holds") == 2 and table_rows(page, "reps") == -1
    assert "Reps counted" not in page and "Partial reps" not in page
    assert "Holds done" in page and "short: legs lowered" in page


def test_reps_and_holds_page():
    report = reps_and_holds()
    page = render_html(report)
    assert table_rows(page, "reps") == 2 and table_rows(page, "holds") == 2
    assert "Not judged" in page and "Knees past ankles</b> could not be checked for 2.5 s: ankle not visible" in page
    # time under tension: the holds lie inside the reps and count once
    assert time_under_tension(report) == pytest.approx(16.0)
    assert "16.0 s" in page


def test_empty_session_says_nobody_was_seen():
    page = render_html(empty_session())
    assert "Nobody was seen" in page and "not measured" in page
    assert "No full reps were counted" in page and "No form faults seen" in page
    assert "0%" in page


def test_report_without_frames_or_timeline_still_renders():
    report = make_report({}, None)
    del report["timeline"]
    page = render_html(report)
    assert "No frames were analysed" in page and "<svg" not in page


def test_nan_gaps_break_the_line():
    values = wave(100)
    for i in [*range(20, 30), 50, *range(70, 100)]:
        values[i] = None
    values[60] = None
    values[62] = None  # 61 is a lone sample between two gaps
    report = make_report({"knee": values}, "knee")
    (svg,) = plots(render_html(report))
    d = re.search(r'class="series" d="([^"]+)"', svg).group(1)
    # finite runs: 0-19, 21-29? no: 20-29 are gaps -> runs 0-19, 30-49, 51-59, 61, 63-69
    assert d.count("M") == 5
    assert "h0" in d  # the lone sample is drawn as a dot
    assert "nan" not in d.lower()


def test_long_sessions_are_decimated_but_keep_extremes():
    n = 36000  # 20 minutes at 30 fps
    values = [round(100 + 60 * np.sin(i / 300), 3) for i in range(n)]
    values[18000] = 250.0  # a one-frame spike must survive decimation
    report = make_report({"knee": values}, "knee", fps=30.0)
    (svg,) = plots(render_html(report))
    d = re.search(r'class="series" d="([^"]+)"', svg).group(1)
    assert d.count("L") < 4 * 960
    ys = [float(y) for y in re.findall(r"[ML][\d.]+,([\d.]+)", d)]
    assert min(ys) < 55  # the spike is still the top of the line (the rest stays below y=110)


def test_text_is_escaped():
    report = reps_only()
    report["faults"][0]["message"] = "<script>alert(1)</script> & more"
    report["source"] = 'a"b<c>.mp4'
    page = render_html(report)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert 'a&quot;b&lt;c&gt;.mp4' in page


def test_thresholds_only_from_spec_summary():
    report = reps_and_holds()
    assert 'class="threshold"' not in render_html(report)
    report["spec_summary"] = {
        "reps": {"metric": "knee", "start": 155, "target": 100},
        "hold": {"target_s": 5, "posture": [{"metric": "knee", "max": 100, "label": "knees straightened"}]},
        "cues": [{"id": "back_off_wall", "metric": "trunk", "max": 20},
                 {"id": "shin_sway", "metric": "shin", "aggregate": "range", "max": 10}],
    }
    primary, trunk, shin = plots(render_html(report))
    assert primary.count('class="threshold"') == 2  # 155 and 100 (rep target and hold max coincide)
    assert "rep target, hold max 100" in primary
    assert trunk.count('class="threshold"') == 1 and shin.count('class="threshold"') == 0


def test_thumbnails_are_embedded_when_present(tmp_path):
    report = reps_only()
    (tmp_path / thumb_name(1)).write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page = render_html(report, tmp_path)
    assert page.count("data:image/jpeg;base64,") == 1 and page.count("no picture") == 1


def test_hover_data_is_valid_json_with_nulls():
    page = render_html(empty_session())
    data = re.search(r'<script type="application/json" id="fc-timeline">(.*?)</script>', page, flags=re.S).group(1)
    assert json.loads(data)["metrics"]["knee"][0] is None


def test_report_html_imports_neither_cv2_nor_matplotlib(heavy_imports):
    assert heavy_imports("formcoach.report_html", heavy=("cv2", "matplotlib", "mediapipe")) == []


# ---- regenerate ----------------------------------------------------------------------------------------


def test_regenerate_writes_html_and_csv_next_to_the_json(tmp_path):
    report = reps_and_holds()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "thumbs").mkdir()
    (tmp_path / "thumbs" / thumb_name(0)).write_bytes(b"\xff\xd8jpeg")
    out = regenerate(path)
    assert out == tmp_path / "report.html"
    assert out.read_text(encoding="utf-8") == render_html(report, tmp_path / "thumbs")
    rows = (tmp_path / "metrics.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "t_s,rep_count,knee,trunk,shin" and len(rows) == 301


@pytest.mark.parametrize("content, message", [(None, "no such report file"), ("{nope", "cannot read report.json"),
                                              ('{"a": 1}', "not a formcoach report.json")])
def test_regenerate_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(FormcoachError, match=message) as info:
        regenerate(path)
    assert str(path) in str(info.value)


# ---- real sessions: synthetic stick figures through the real analysis ----------------------------------


def _wall_squat_frames():
    pts, t = [(0.0, 172.0), (2.0, 172.0)], 2.0
    for bottom, hold_s in [(90, 5.0), (88, 5.2), (125, 0.5), (92, 2.0), (65, 5.0)]:
        pts += [(t + 1.5, bottom), (t + 1.5 + hold_s, bottom), (t + 3.0 + hold_s, 172.0), (t + 4.5 + hold_s, 172.0)]
        t += 4.5 + hold_s
    pts.append((t + 1.0, 172.0))
    rng = np.random.default_rng(0)
    frames = []
    for t, knee in keyframes(pts):
        trunk = 27.0 if 10.5 < t < 12.5 else 3.0  # leaning off the wall at the start of rep 2
        joints = {k: v + rng.normal(0, 0.6, 2) for k, v in standing_joints(knee=knee, trunk=trunk).items()}
        frames.append((t, None if 41.0 <= t < 41.8 else frame_from_joints(t, joints)))  # walked out of view
    return frames


def _superman_frames():
    # one full hold, then a second lift dropped after 4 s (a short hold)
    pts = [(0, 0.0), (2.0, 0.0), (3.0, 20.0), (20.0, 20.0), (21.0, 0.0), (24.0, 0.0), (25.0, 21.0), (29.0, 21.0),
           (30.0, 0.0), (31.0, 0.0)]
    return [(t, frame_from_joints(t, prone_joints(arm_lift=a, leg_lift=a * 0.75, hip_x=260)))
            for t, a in keyframes(pts)]


def _hip_hinge_frames():
    pts, t = [(0.0, 3.0), (1.5, 3.0)], 1.5
    for depth in (85.0, 88.0, 45.0, 86.0):
        pts += [(t + 1.3, depth), (t + 1.7, depth), (t + 3.0, 3.0), (t + 3.8, 3.0)]
        t += 3.8
    return [(t, frame_from_joints(t, standing_joints(knee=175 - a * (0.7 if 9 < t < 13 else 0.1), trunk=a)))
            for t, a in keyframes(pts)]


def run_synthetic(spec_id: str, frames, out_dir: Path) -> dict[str, Any]:
    """report.json dict of a synthetic session, with fault thumbnails (overlay drawn) in out_dir/thumbs."""
    from formcoach.overlay import Overlay

    spec = get_spec(spec_id)
    image = np.full((480, 640, 3), 86, np.uint8)
    thumbs = FaultThumbnails(out_dir, Overlay(spec).draw_fault)
    record = run_session(((image, t) for t, _ in frames), ScriptedPose(dict(frames)), spec, [thumbs],
                         source_name=f"sample_videos/{spec_id}_synthetic.mp4", fps=30.0)
    thumbs.close()
    return report_dict(record)


def realistic_reports(base: Path) -> dict[str, tuple[dict[str, Any], Path]]:
    """{kind: (report dict, out_dir)} for wall squat (reps + holds), superman (holds), hip hinge (reps), empty."""
    sessions = {"wall_squat": ("wall_squat", _wall_squat_frames()), "superman": ("superman", _superman_frames()),
                "hip_hinge": ("hip_hinge", _hip_hinge_frames()),
                "empty": ("wall_squat", [(i / 30, None) for i in range(90)])}
    out = {}
    for kind, (spec_id, frames) in sessions.items():
        out_dir = base / kind
        out[kind] = (run_synthetic(spec_id, frames, out_dir), out_dir)
    return out


@on_realistic_sessions_worker
def test_real_sessions_have_what_the_page_needs(realistic_sessions):
    ws, superman, hinge, empty = (realistic_sessions[k][0] for k in ("wall_squat", "superman", "hip_hinge", "empty"))
    assert ws["rep_count"] >= 3 and ws["partial_reps"] and ws["holds"] and ws["faults"]
    assert superman["holds"] and not superman["reps"] and superman["faults"][-1]["cue"] == "hold_short"
    assert hinge["reps"] and hinge["partial_reps"] and hinge["not_judged"]
    assert empty["frames"]["with_pose"] == 0 and not empty["faults"]


@on_realistic_sessions_worker
@pytest.mark.parametrize("kind", ["wall_squat", "superman", "hip_hinge", "empty"])
def test_real_session_page(realistic_sessions, kind):
    report, out_dir = realistic_sessions[kind]
    thumbs = sorted(p.name for p in (out_dir / "thumbs").glob("*.jpg"))
    assert thumbs == [thumb_name(i) for i in range(len(report["faults"]))]  # one picture per fault, same index
    page = render_html(report, out_dir / "thumbs")
    assert page.count("data:image/jpeg;base64,") == len(report["faults"])
    assert table_rows(page, "reps") == (len(report["reps"]) if report["reps"] else -1)
    assert len(plots(page)) == len(report["timeline"]["metrics"])


def test_csv_from_timeline_matches_report_write_csv(tmp_path):
    """metrics.csv rebuilt from report.json is byte-identical to the one written from the session record."""
    spec = get_spec("wall_squat")
    frames = _wall_squat_frames()
    image = np.zeros((48, 64, 3), np.uint8)
    record = run_session(((image, t) for t, _ in frames), ScriptedPose(dict(frames)), spec, source_name="x.mp4")
    write_csv(record, tmp_path / "direct.csv")
    write_timeline_csv(report_dict(record)["timeline"], tmp_path / "rebuilt.csv")
    assert (tmp_path / "rebuilt.csv").read_bytes() == (tmp_path / "direct.csv").read_bytes()


# ---- FaultThumbnails -----------------------------------------------------------------------------------


def _result(t: float, events=()) -> FrameResult:
    return FrameResult(t=t, pose=None, metrics={}, rep_count=0, rep_phase=None, hold_elapsed_s=None, hold_target_s=None,
                       active_cues=(), not_judged={}, view=None, side=None, events=tuple(events))


def _raised(t: float, cue: str = "c") -> CueRaised:
    return CueRaised(t, Fault(cue=cue, message="m", t_s=t, value=1.0, severity=Severity.WARNING))


def test_fault_thumbnails_one_jpeg_per_cue_raised_in_order(tmp_path):
    import cv2

    drawn = []

    def draw(image: np.ndarray, result: FrameResult, fault: Fault) -> np.ndarray:
        drawn.append(result.t)
        out = image.copy()
        out[:] = (0, 0, 255)  # red
        return out

    (tmp_path / "thumbs").mkdir()
    (tmp_path / "thumbs" / thumb_name(7)).write_bytes(b"stale")
    thumbs = FaultThumbnails(tmp_path, draw)
    frame = np.zeros((720, 1280, 3), np.uint8)
    thumbs.on_frame(frame, _result(0.0))
    thumbs.on_frame(frame, _result(1.0, [_raised(1.0, "a"), _raised(1.0, "b")]))
    thumbs.on_frame(frame, _result(2.0))
    thumbs.on_events([_raised(2.5, "end")])  # after the last frame: reuses it
    thumbs.close()
    names = sorted(p.name for p in (tmp_path / "thumbs").iterdir())
    assert names == [thumb_name(0), thumb_name(1), thumb_name(2)]
    assert drawn == [1.0, 1.0, 2.0]
    img = cv2.imread(str(tmp_path / "thumbs" / thumb_name(2)))
    assert img.shape == (180, 320, 3) and img[90, 160, 2] > 200 and img[90, 160, 0] < 50


def test_fault_thumbnail_pictures_the_worst_moment_not_the_decision(tmp_path):
    drawn = []
    thumbs = FaultThumbnails(tmp_path, lambda image, result, fault: (drawn.append(result.t), image)[1])
    frame = np.zeros((480, 640, 3), np.uint8)
    for k in range(90):  # 3 s at 30 fps; the rep-end rule decides at 3.0 s about the frame at 1.2 s
        t = k / 30
        thumbs.on_frame(frame, _result(t, [CueRaised(t, Fault("c", "m", 1.2, 1.0, Severity.ERROR, rep=1))] if k == 89 else []))
    assert drawn == [pytest.approx(1.2, abs=1 / 60)]


def test_fault_thumbnails_without_any_frame_write_nothing(tmp_path):
    thumbs = FaultThumbnails(tmp_path)
    thumbs.on_events([_raised(0.0)])
    assert thumbs.count == 1 and list((tmp_path / "thumbs").iterdir()) == []


def test_session_facts_say_when_which_level_and_how_it_ended():
    report = holds_only()
    report.update(session_date="2026-12-03T20:01:07+00:00", ended_by="end of video",
                  spec_summary={"settings": {"level": "beginner", "hold_target_s": 5.0}})
    page = render_html(report)
    assert "3 Dec 2026, 20:01" in page and "Level <b>beginner</b>" in page and "end of the video" in page


def test_report_json_carries_the_settings_in_force():
    from formcoach.report import spec_summary

    summary = spec_summary(get_spec("superman").at_level("beginner"))
    assert summary["settings"]["level"] == "beginner" and summary["settings"]["hold_target_s"] == 5.0
    assert summary["hold"]["target_s"] == 5.0 and summary["labels"]["arm_lift"] == "Arm lift"



def test_a_lead_rule_reads_as_a_share_ahead_and_draws_no_level_on_its_metric():
    from formcoach.report_common import _fault_unit, value_text
    from formcoach.report_plots import _thresholds, _zones

    report = {"spec_summary": {"cues": [{"id": "hips_first", "when": "rep_end", "aggregate": "lead", "metric": "knee", "max": 0.3}]}}
    assert _fault_unit(report, "hips_first") == "share" and value_text(0.487, "share") == "49 % ahead"
    assert _thresholds(report, "knee") == [] and _zones(report, "knee") == []


def test_the_warnings_of_the_analysis_are_on_the_page_before_the_numbers():
    """A damaged video or someone else in the picture is said where the person reads the numbers."""
    report = reps_only()
    report["warnings"] = ["someone further back was followed at first; formcoach moved to the person nearest "
                          "the camera (once)", "the video stopped after 118 of its 140 frames: <damaged>"]
    page = render_html(report)
    notice = re.search(r'<div class="notice warn"><b>Before you trust the numbers</b>.*?</div>', page, flags=re.S).group(0)
    assert "<li>Someone further back was followed at first" in notice and "&lt;damaged&gt;" in notice
    assert page.index("Before you trust the numbers") < page.index("Reps counted")
    report["warnings"] = []
    assert "Before you trust the numbers" not in render_html(report)
