"""Run formcoach on the real development footage in ../shared/realvids and compare with its labels.

Never a test (the footage is not ours to ship); skips cleanly when the folder is absent.

    .venv/bin/python benchmarks/realvids.py [--only pull_up,wall_squat] [--clips a.mp4,b.mp4] [--as hip_hinge]

Prints one row per clip: exercise, labelled reps, counted reps, partials, holds, faults, detection rate.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcoach.errors import FormcoachError  # noqa: E402
from formcoach.session import analyse_file  # noqa: E402
from formcoach.specs import get_spec  # noqa: E402

REALVIDS = REPO.parent / "shared" / "realvids"

#: Clips labelled with an exercise the catalog does not have are analysed as the closest one: the
#: machine rear-delt fly (seated, facing the camera) moves the arms like a band pull-apart.
FALLBACK = {"reverse_fly": "band_pull_apart"}


def labelled_count(text: str) -> int | None:
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated exercise ids from labels.csv")
    parser.add_argument("--clips", help="comma-separated file names")
    parser.add_argument("--as", dest="as_exercise", help="analyse every clip as this exercise id")
    parser.add_argument("--out", type=Path, help="write per-clip annotated video and report here")
    args = parser.parse_args()
    if not (REALVIDS / "labels.csv").exists():
        print(f"skip: {REALVIDS} not present")
        return 0
    rows = list(csv.DictReader((REALVIDS / "labels.csv").open()))
    only = set(args.only.split(",")) if args.only else None
    clips = set(args.clips.split(",")) if args.clips else None
    print("| clip | label | analysed as | view | true reps | counted | partial | holds (s) | faults | detected | ms/frame |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if (only and row["formcoach_exercise"] not in only) or (clips and row["file"] not in clips):
            continue
        exercise = args.as_exercise or row["formcoach_exercise"]
        try:
            spec = get_spec(exercise)
        except FormcoachError:
            exercise = FALLBACK.get(exercise, exercise)
            try:
                spec = get_spec(exercise)
            except FormcoachError:
                print(f"| {row['file']} | {row['exercise_label']} | (no spec for {row['formcoach_exercise']}) | | | | | | | | |")
                continue
        def annotated(info, spec=spec, row=row) -> list:
            from formcoach.cli import AnnotatedVideo

            return [AnnotatedVideo(spec, args.out / f"{Path(row['file']).stem}.mp4", info.fps)] if args.out else []

        start = time.perf_counter()
        record = analyse_file(REALVIDS / row["file"], spec, make_consumers=annotated)
        elapsed = time.perf_counter() - start
        if args.out:
            from formcoach.report import write_json

            write_json(record, args.out / f"{Path(row['file']).stem}.json")
        holds = ", ".join(f"{h.duration_s:.1f}" for h in record.holds) or "-"
        faults = ", ".join(sorted({f.cue for f in record.faults})) or "-"
        views = max(record.views, key=record.views.get) if record.views else "-"
        detected = record.frames_with_pose / max(record.frames_total, 1)
        print(
            f"| {row['file']} | {row['form'][:28]} | {exercise} | {views} | {row['true_reps'][:22]} | {len(record.reps)} | "
            f"{len(record.partial_reps)} | {holds} | {faults} | {detected:.0%} | {1000 * elapsed / max(record.frames_total, 1):.0f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
