"""Batch analysis: `formcoach analyze sample_videos/ --jobs 2` against `--jobs 1`, in one run.

    .venv/bin/python benchmarks/batch.py                 # every sample, with the annotated videos
    .venv/bin/python benchmarks/batch.py --limit 8       # the first 8 samples (a quicker look)
    .venv/bin/python benchmarks/batch.py --no-video --jobs 1 2

Prints the wall time of each run, the speed-up over one job, the machine's load average before and
after (another process on the 2 cores makes the ratio meaningless: say so when quoting it) and
whether every run produced the same reports (rep, hold and fault counts per video).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMCOACH = [sys.executable, "-m", "formcoach"]


def _counts(out: Path) -> dict[str, tuple]:
    found = {}
    for report in sorted(out.glob("*/report.json")):
        doc = json.loads(report.read_text())
        found[report.parent.name] = (doc["rep_count"], len(doc["holds"]), len(doc["faults"]))
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="only the first N samples (sorted by name)")
    ap.add_argument("--no-video", action="store_true", help="skip the annotated videos")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to compare (default 1 2)")
    args = ap.parse_args()

    videos = sorted((ROOT / "sample_videos").glob("*.mp4"))[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        if args.limit:
            inputs.mkdir()
            for v in videos:  # links, so the folder holds just the subset (sidecars name the exercise)
                (inputs / v.name).symlink_to(v)
                if v.with_suffix(".json").exists():
                    (inputs / v.with_suffix(".json").name).symlink_to(v.with_suffix(".json"))
        else:
            inputs = ROOT / "sample_videos"
        print(f"{len(videos)} videos, {os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.1f}")
        times, counts = {}, {}
        for jobs in args.jobs:
            out = Path(tmp) / f"jobs{jobs}"
            cmd = [*FORMCOACH, "--no-history", "analyze", str(inputs), "--jobs", str(jobs), "--out", str(out),
                   *(["--no-video"] if args.no_video else [])]
            start = time.perf_counter()
            run = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            times[jobs] = time.perf_counter() - start
            counts[jobs] = _counts(out)
            failed = [ln.strip() for ln in run.stdout.splitlines() if "FAILED" in ln]
            print(f"--jobs {jobs}: {times[jobs]:7.1f} s wall, exit {run.returncode}, {len(counts[jobs])} reports, "
                  f"{len(failed)} failed" + "".join(f"\n    {ln}" for ln in failed))
            if not (out / "index.html").is_file():
                print(f"    no index.html written: {run.stderr.strip()[-300:]}")
            shutil.rmtree(out, ignore_errors=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        base = args.jobs[0]
        for jobs in args.jobs[1:]:
            same = "same reports" if counts[jobs] == counts[base] else "REPORTS DIFFER"
            print(f"speed-up --jobs {jobs} over --jobs {base}: {times[base] / times[jobs]:.2f}x ({same})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
