"""Rebuild the committed landmark caches of the sample clips (`sample_videos/landmarks/*.npz`).

    .venv/bin/python tools/build_sample_landmarks.py [NAME ...] [--force] [--jobs 2]

Each clip runs once through the real pipeline (MediaPipe, with segmentation masks where the spec
needs them); the raw landmarks of that run are saved compactly (float16 landmarks, masks as one
bit per pixel at full resolution, compressed) under the key clip hash + model version + pose
options. The saved file is then replayed through the same session code and compared with the
real run: the command fails, naming the clip, when replay gives other reps, partials, holds or
faults. Clips whose cache already carries the current key are skipped unless --force.
Run it after re-rendering a clip, changing pose options or upgrading mediapipe; the e2e tests
fail on a stale cache and say so.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.sample_check import (  # noqa: E402
    LANDMARKS, cache_path, clip_options, differences, expected_key, replay_clip, sidecars, analyse_clip, problems,
)


def current(name: str) -> bool:
    from formcoach.errors import PoseError
    from formcoach.landmarks import LandmarkTrack

    try:
        return cache_path(name).exists() and LandmarkTrack.load(cache_path(name)).key == expected_key(name)
    except PoseError:
        return False


def build(name: str) -> str:
    """Record, save, replay and compare one clip; one line of the summary table."""
    from formcoach.errors import FormcoachError

    try:
        return _build(name)
    except FormcoachError as exc:  # one broken clip or spec must not lose the others' caches
        return f"| {name} | - | - | - | - | error: {exc} | not built |"


def _build(name: str) -> str:
    from formcoach.landmarks import LandmarkTrack, TrackBuilder
    from formcoach.sources import VideoFileSource

    start = time.perf_counter()
    options = clip_options(name)
    source = VideoFileSource(cache_path(name).parent.parent / f"{name}.mp4")
    fps = source.info.fps
    source.close()
    recorder = TrackBuilder(fps=fps, record_masks=options.segmentation, mask_long_side=None)  # full-size masks
    real = analyse_clip(name, recorder=recorder)
    track = recorder.build(expected_key(name))
    track.save(cache_path(name), compact=True, binary_masks=True)
    replay = replay_clip(name, LandmarkTrack.load(cache_path(name)))
    diff = differences(real, replay)
    size = cache_path(name).stat().st_size / 1e6
    truth = "; ".join(problems(real)) or "ok"
    return (f"| {name} | {len(track)} | {'masks' if options.segmentation else '-'} | {size:.2f} MB | "
            f"{time.perf_counter() - start:.0f} s | {truth} | {'; '.join(diff) or 'same'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="clip names (default: every sample with a sidecar)")
    parser.add_argument("--force", action="store_true", help="rebuild caches that are current too")
    parser.add_argument("--jobs", type=int, default=1, help="clips recorded in parallel (one model each)")
    args = parser.parse_args()
    names = args.names or [p.stem for p in sidecars()]
    todo = [n for n in names if args.force or not current(n)]
    print(f"{len(names) - len(todo)} of {len(names)} caches current; recording {len(todo)}", flush=True)
    print("| clip | frames | masks | size | time | real model vs truth | replay vs real |\n|---|---|---|---|---|---|---|")
    LANDMARKS.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for line in pool.map(build, todo) if args.jobs > 1 else map(build, todo):
            print(line, flush=True)
            lines.append(line)
    bad = [line for line in lines if not line.rstrip(" |").endswith("same")]
    total = sum(p.stat().st_size for p in LANDMARKS.glob("*.npz")) / 1e6
    print(f"\n{len(lines) - len(bad)}/{len(lines)} replays agree with the real run; caches {total:.1f} MB in {LANDMARKS}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
