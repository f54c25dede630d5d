"""Run the real pipeline on the rendered samples and compare with their ground-truth sidecars.

    .venv/bin/python tools/sample_check.py [NAME ...] [--out DIR] [--jobs 1]

Prints the end-to-end table (clip, expected vs got reps / partials / holds / faults) used in issue
notes; the e2e tests call `analyse_clip` and `problems` from here so both judge the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_videos"
HOLD_TOLERANCE_S = 0.3  # issue 3: hold durations within 0.3 s of the sidecar


@dataclass(frozen=True)
class ClipResult:
    name: str
    sidecar: dict[str, Any]
    report: dict[str, Any]


def sidecars() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*.json") if p.with_suffix(".mp4").exists())


def analyse_clip(name: str, out_dir: Path | None = None) -> ClipResult:
    """Analyse `sample_videos/NAME.mp4` with the exercise its sidecar names (real MediaPipe)."""
    sys.path.insert(0, str(REPO))
    from formcoach.report import report_dict, write_json
    from formcoach.session import analyse_file
    from formcoach.specs import get_spec

    sidecar = json.loads((SAMPLES / f"{name}.json").read_text())
    spec = get_spec(sidecar["exercise"]).at_level(sidecar.get("level"))  # a clip may be performed at a level

    def annotated(info) -> list:
        from formcoach.consumers import AnnotatedVideo

        return [AnnotatedVideo(spec, out_dir / f"{name}.mp4", info.fps)] if out_dir is not None else []

    record = analyse_file(SAMPLES / f"{name}.mp4", spec, make_consumers=annotated)
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


def _fmt_holds(holds: list[dict[str, Any]], key: str = "duration_s") -> str:
    return ", ".join(f"{h[key]:.1f}" if key in h else f"{h['end_s'] - h['start_s']:.1f}" for h in holds) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="clip names (default: all samples with a sidecar)")
    parser.add_argument("--out", type=Path, help="also write annotated videos and reports here")
    args = parser.parse_args()
    names = args.names or [p.stem for p in sidecars()]
    print("| clip | exercise | reps exp/got | partial exp/got | holds exp (s) | holds got (s) | faults expected | faults raised | detected | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for name in names:
        r = analyse_clip(name, args.out)
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
