"""Regenerate the sample clips and their ground-truth sidecars (deterministic, fixed seeds).

    python tools/render_samples.py                    # every clip into sample_videos/
    python tools/render_samples.py hip_hinge_good     # a subset by name
    python tools/render_samples.py --list
    python tools/render_samples.py --jobs 2 --out /tmp/clips

Needs only numpy + OpenCV and the committed body assets in tools/synth/assets/.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.synth.clips import CLIP_NAMES, CLIPS, plan_clip  # noqa: E402
from tools.synth.produce import render_clip  # noqa: E402


def _one(name: str, out: pathlib.Path) -> str:
    start = time.perf_counter()
    spec = next(c for c in CLIPS if c.name == name)
    plan = plan_clip(spec)
    mp4, _ = render_clip(plan, out)
    return (f"{name}: {plan.frame_count} frames, {mp4.stat().st_size / 1e6:.2f} MB, "
            f"{time.perf_counter() - start:.0f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render formcoach's synthetic sample clips.")
    ap.add_argument("names", nargs="*", help="clip names (default: all)")
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "sample_videos")
    ap.add_argument("--jobs", type=int, default=1, help="clips rendered in parallel (default 1)")
    ap.add_argument("--list", action="store_true", help="print the clip names and exit")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(CLIP_NAMES))
        return 0
    unknown = [n for n in args.names if n not in CLIP_NAMES]
    if unknown:
        print(f"unknown clip(s) {unknown}; known: {', '.join(CLIP_NAMES)}", file=sys.stderr)
        return 2
    names = args.names or list(CLIP_NAMES)
    if args.jobs <= 1:
        for n in names:
            print(_one(n, args.out), flush=True)
    else:
        with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
            for line in pool.map(_one, names, [args.out] * len(names)):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
