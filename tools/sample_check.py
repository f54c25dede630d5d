"""Run the pipeline on the rendered samples and compare with their ground-truth sidecars.

    .venv/bin/python tools/sample_check.py [NAME ...] [--out DIR] [--replay [--every K]] [--pose-backend tasks]

Prints the end-to-end table (clip, expected vs got reps / partials / holds / faults) used in issue
notes; the e2e tests call `analyse_clip` and `problems` from here so both judge the same way.
By default every clip goes through the real pose model; `--replay` replays the committed landmark
caches in `sample_videos/landmarks/` instead (seconds; rebuilt by `tools/build_sample_landmarks.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_videos"
LANDMARKS = SAMPLES / "landmarks"  # committed landmark caches, one <clip>.npz per clip
HOLD_TOLERANCE_S = 0.3  # issue 3: hold durations within 0.3 s of the sidecar

if str(REPO) not in sys.path:  # run as a script from anywhere: import this checkout's formcoach
    sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class ClipResult:
    name: str
    sidecar: dict[str, Any]
    report: dict[str, Any]


def sidecars() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*.json") if p.with_suffix(".mp4").exists())


def clip_spec(name: str) -> tuple[dict[str, Any], Any]:
    """The clip's sidecar and the exercise spec (at the clip's level) it is analysed with."""
    from formcoach.specs import get_spec

    sidecar = json.loads((SAMPLES / f"{name}.json").read_text())
    return sidecar, get_spec(sidecar["exercise"]).at_level(sidecar.get("level"))  # a clip may be performed at a level


def clip_options(name: str) -> Any:
    """The pose options the pipeline runs the clip with (masks only where the spec needs them)."""
    from formcoach.landmarks import PoseOptions

    return PoseOptions(segmentation=clip_spec(name)[1].needs_segmentation)


def cache_path(name: str) -> Path:
    return LANDMARKS / f"{name}.npz"


def expected_key(name: str) -> str:
    """The key the clip's cache must carry: clip hash + installed model version + pose options."""
    from formcoach.landmarks import cache_key

    return cache_key(SAMPLES / f"{name}.mp4", clip_options(name))


def load_cached(name: str) -> Any:
    """The clip's committed landmark track (a PoseError when missing or unreadable)."""
    from formcoach.landmarks import LandmarkTrack

    return LandmarkTrack.load(cache_path(name))


def result_of(name: str, record: Any) -> ClipResult:
    from formcoach.report import report_dict

    return ClipResult(name, clip_spec(name)[0], report_dict(record))


def replay_clip(name: str, track: Any = None) -> ClipResult:
    """Analyse the clip from its landmark cache (or `track`): the same session code, no model, no video."""
    from formcoach.session import analyse_track

    return result_of(name, analyse_track(track if track is not None else load_cached(name), clip_spec(name)[1],
                                         source_name=str(SAMPLES / f"{name}.mp4")))


def analyse_clip(name: str, out_dir: Path | None = None, recorder: Any = None) -> ClipResult:
    """Analyse `sample_videos/NAME.mp4` with the exercise its sidecar names (real MediaPipe).

    `recorder` (a `TrackBuilder`) records the raw landmarks of the same run for a cache.
    """
    from formcoach.report import report_dict, write_json
    from formcoach.session import analyse_file

    sidecar, spec = clip_spec(name)

    def annotated(info) -> list:
        from formcoach.consumers import AnnotatedVideo

        return [AnnotatedVideo(spec, out_dir / f"{name}.mp4", info.fps)] if out_dir is not None else []

    record = analyse_file(SAMPLES / f"{name}.mp4", spec, make_consumers=annotated, recorder=recorder)
    if out_dir is not None:
        write_json(record, out_dir / f"{name}.json")
    return ClipResult(name, sidecar, report_dict(record))


def problems(result: ClipResult) -> list[str]:
    """Every way the analysis disagrees with the ground truth (empty = pass)."""
    truth, got = result.sidecar, result.report
    out: list[str] = []
    if got["rep_count"] != truth["expected_rep_count"]:
        out.append(f"reps: expected {truth['expected_rep_count']}, got {got['rep_count']}")
    if len(got["partial_reps"]) != truth.get("expected_partial_reps", 0):
        out.append(f"partial reps: expected {truth.get('expected_partial_reps', 0)}, got {len(got['partial_reps'])}")
    expected_holds, holds = truth.get("expected_holds", []), got["holds"]
    if len(holds) != len(expected_holds):
        out.append(f"holds: expected {len(expected_holds)}, got {len(holds)}")
    else:
        for i, (e, h) in enumerate(zip(expected_holds, holds), 1):
            want = e["end_s"] - e["start_s"]
            if abs(h["duration_s"] - want) > HOLD_TOLERANCE_S:
                out.append(f"hold {i}: expected {want:.2f} s, got {h['duration_s']:.2f} s")
    raised = {f["cue"] for f in got["faults"]}
    expected = set(truth["expected_faults"])
    if expected - raised:
        out.append(f"missed faults: {sorted(expected - raised)}")
    if raised - expected:
        out.append(f"false alarms: {sorted(raised - expected)}")
    return out


def differences(real: ClipResult, replay: ClipResult, hold_tolerance_s: float = 0.1) -> list[str]:
    """Where a replay disagrees with the real-model run of the same clip (empty = the same results)."""
    a, b = real.report, replay.report
    out: list[str] = []
    for key in ("rep_count",):
        if a[key] != b[key]:
            out.append(f"{key}: real {a[key]}, replay {b[key]}")
    for key in ("partial_reps", "holds"):
        if len(a[key]) != len(b[key]):
            out.append(f"{key}: real {len(a[key])}, replay {len(b[key])}")
    for i, (h, k) in enumerate(zip(a["holds"], b["holds"]), 1):
        if abs(h["duration_s"] - k["duration_s"]) > hold_tolerance_s:
            out.append(f"hold {i}: real {h['duration_s']:.2f} s, replay {k['duration_s']:.2f} s")
    fa, fb = sorted(f["cue"] for f in a["faults"]), sorted(f["cue"] for f in b["faults"])
    if fa != fb:
        out.append(f"faults: real {fa}, replay {fb}")
    return out


def _fmt_holds(holds: list[dict[str, Any]], key: str = "duration_s") -> str:
    return ", ".join(f"{h[key]:.1f}" if key in h else f"{h['end_s'] - h['start_s']:.1f}" for h in holds) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="clip names (default: all samples with a sidecar)")
    parser.add_argument("--out", type=Path, help="also write annotated videos and reports here")
    parser.add_argument("--replay", action="store_true", help="replay the committed landmark caches (no model)")
    parser.add_argument("--pose-backend", choices=("auto", "legacy", "tasks"), help="pose model API of the real runs")
    parser.add_argument("--every", type=int, default=1, metavar="K",
                        help="with --replay: keep every K-th frame at its own time (a camera at 1/K of the frame rate)")
    args = parser.parse_args()
    if args.every < 1 or (args.every > 1 and not args.replay):
        parser.error("--every needs --replay and a K of 1 or more")
    if args.pose_backend:
        os.environ["FORMCOACH_POSE_BACKEND"] = args.pose_backend
    names = args.names or [p.stem for p in sidecars()]
    print("| clip | exercise | reps exp/got | partial exp/got | holds exp (s) | holds got (s) | faults expected | faults raised "
          "| detected | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for name in names:
        r = replay_clip(name, load_cached(name).every(args.every)) if args.replay else analyse_clip(name, args.out)
        t, g = r.sidecar, r.report
        bad = problems(r)
        failures += bool(bad)
        detected = g["frames"]["with_pose"] / max(g["frames"]["total"], 1)
        print(
            f"| {name} | {t['exercise']} | {t['expected_rep_count']}/{g['rep_count']} | "
            f"{t.get('expected_partial_reps', 0)}/{len(g['partial_reps'])} | {_fmt_holds(t.get('expected_holds', []), 'x')} | "
            f"{_fmt_holds(g['holds'])} | {', '.join(t['expected_faults']) or '-'} | "
            f"{', '.join(sorted({f['cue'] for f in g['faults']})) or '-'} | {detected:.0%} | {'ok' if not bad else '; '.join(bad)} |",
            flush=True,
        )
    print(f"\n{len(names) - failures}/{len(names)} clips agree with their ground truth")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
