"""The real footage through `formcoach live`, in real time: each clip with a firm count is played as a
camera (`--source`, paced at its own frame rate, frames skipped when the analysis falls behind), headless.

    .venv/bin/python benchmarks/realvids_live.py [--clips PREFIX,...]

What a user's session gives on this machine, where `benchmarks/realvids.py` replays every frame: the
frames analysed per second, the count, and whether the report warned that too few frames were analysed.
`--go` skips the set-up wait (a recorded lifter does not wait for "Go"). Takes as long as the clips
(about 7 minutes for the 36). Skips when ../shared/realvids is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realvids import FIRM, REALVIDS, labelled_count  # noqa: E402


def live_report(video: Path, exercise: str, out: Path) -> dict:
    """report.json of a headless, real-time `formcoach live` session on `video`."""
    cmd = [sys.executable, "-m", "formcoach", "live", "--source", str(video), "-e", exercise, "--headless", "--go",
           "--no-voice", "--no-history", "--out", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    report = out / "report.json"
    return json.loads(report.read_text()) if report.is_file() else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", help="comma-separated file names (or name prefixes)")
    args = parser.parse_args()
    labels = REALVIDS / "labels.csv"
    if not labels.is_file():
        print(f"skipped: no real footage at {REALVIDS}")
        return 0
    rows = [r for r in csv.DictReader(labels.open()) if FIRM.match(r["file"])]
    if args.clips:
        rows = [r for r in rows if any(r["file"].startswith(p) for p in args.clips.split(","))]
    print("| clip | true | live | analysed fps | skipped | warned |")
    print("|---|---|---|---|---|---|")
    exact, rates, warned = 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            truth = labelled_count(row["true_reps"])
            doc = live_report(REALVIDS / row["file"], row["formcoach_exercise"], Path(tmp) / row["file"])
            got = doc.get("rep_count")
            frames = doc.get("frames", {})
            analysed, dropped = frames.get("total", 0), frames.get("dropped", 0)
            rate = analysed / doc["duration_s"] if doc.get("duration_s") else 0.0
            fell_behind = any("fell behind" in w for w in doc.get("warnings", []))
            exact += got == truth
            rates.append(rate)
            warned += fell_behind
            share = dropped / (analysed + dropped) if analysed + dropped else 0.0
            print(f"| {row['file']} | {truth} | {got}{' ✓' if got == truth else ' ✗'} | {rate:.0f} | {share:.0%} | "
                  f"{'yes' if fell_behind else '-'} |", flush=True)
    if rows:
        print(f"\nlive, real time: exact {exact}/{len(rows)}; {min(rates):.0f}-{max(rates):.0f} frames per second "
              f"analysed; warned of too few frames on {warned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
