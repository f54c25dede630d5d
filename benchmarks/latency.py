"""Camera-to-feedback latency of the live pipeline: frame capture time → the overlay that shows it.

    .venv/bin/python benchmarks/latency.py [--clip NAME] [--exercise ID] [--seconds S] [--json OUT]

A sample clip is scaled to 720p (letterboxed to 1280x720, written once to a temporary H.264
file) and played by `PacedFileSource`, the fake camera `formcoach live --source` uses: frames
arrive at the clip's 30 fps in real time and are skipped when the analysis falls behind, as a
camera overwrites its buffer. A frame's capture time is the moment the camera would have taken
it (start + its timestamp). Each analysed frame goes through the real session (MediaPipe pose,
smoothing, evaluator) and the overlay is drawn; latency = time the overlay is ready − capture
time. Prints p50/p95/max, frames analysed per second and the share dropped.

Wall-clock numbers: they depend on the machine and on what else runs on it (say so when quoting).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from formcoach.consumer import Consumer  # noqa: E402
from formcoach.overlay import Overlay  # noqa: E402
from formcoach.session import run_session  # noqa: E402
from formcoach.sources import PacedFileSource, VideoFileSource  # noqa: E402
from formcoach.specs import get_spec  # noqa: E402

SIZE = (1280, 720)


def make_720p(clip: Path, out: Path, seconds: float | None) -> Path:
    """The clip scaled to fit 1280x720 (aspect kept, black bars), as H.264, at its own frame times."""
    import cv2

    from formcoach.video_out import VideoWriter

    source = VideoFileSource(clip)
    writer = VideoWriter(out, source.info.fps, max_side=0)
    try:
        for image, t in source:
            if seconds is not None and t >= seconds:
                break
            h, w = image.shape[:2]
            k = min(SIZE[0] / w, SIZE[1] / h)
            small = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_CUBIC)
            frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
            y, x = (SIZE[1] - small.shape[0]) // 2, (SIZE[0] - small.shape[1]) // 2
            frame[y:y + small.shape[0], x:x + small.shape[1]] = small
            writer.write(frame, t)
    finally:
        writer.close()
        source.close()
    return out


class _Clock:
    """time.monotonic that remembers its first reading: the fake camera's start."""

    def __init__(self) -> None:
        self.start: float | None = None

    def __call__(self) -> float:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        return now


class _Feedback(Consumer):
    """Draws the overlay on each analysed frame and records capture-to-overlay latency (seconds)."""

    def __init__(self, spec, clock: _Clock) -> None:
        self.overlay, self.clock = Overlay(spec), clock
        self.latency: list[float] = []
        self.draw_s: list[float] = []

    def on_frame(self, image: np.ndarray, result) -> None:
        t0 = time.monotonic()
        self.overlay.draw(image, result)
        done = time.monotonic()
        self.draw_s.append(done - t0)
        self.latency.append(done - (self.clock.start + result.t))


def measure(clip: Path, exercise: str, seconds: float | None) -> dict:
    from formcoach.pose import MediaPipePose

    spec = get_spec(exercise)
    with tempfile.TemporaryDirectory() as tmp:
        video = make_720p(clip, Path(tmp) / "clip_720p.mp4", seconds)
        clock = _Clock()
        source = PacedFileSource(video, clock=clock)
        feedback = _Feedback(spec, clock)
        with MediaPipePose(segmentation=spec.needs_segmentation) as warm:  # load the model before the clock starts
            warm.estimate(np.zeros((SIZE[1], SIZE[0], 3), np.uint8), 0.0)
        with MediaPipePose(segmentation=spec.needs_segmentation) as estimator:
            record = run_session(source, estimator, spec, [feedback], source_name=str(clip), fps=source.info.fps)
        dropped, fps, duration = source.dropped, source.info.fps, record.duration_s
        source.close()
    lat = np.asarray(feedback.latency) * 1000.0
    analysed = record.frames_total
    return {
        "clip": clip.name, "exercise": exercise, "size": f"{SIZE[0]}x{SIZE[1]}", "source_fps": round(fps, 2),
        "segmentation": spec.needs_segmentation,
        "frames_analysed": analysed, "frames_dropped": dropped,
        "dropped_share": round(dropped / (analysed + dropped), 3) if analysed + dropped else 0.0,
        "analysed_per_s": round(analysed / duration, 1) if duration > 0 else None,
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1), "p95": round(float(np.percentile(lat, 95)), 1),
                       "max": round(float(lat.max()), 1)} if lat.size else None,
        "overlay_draw_ms_p50": round(float(np.median(feedback.draw_s)) * 1000.0, 2) if feedback.draw_s else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", action="append",
                        help="sample clip name in sample_videos/ (repeat; default: pull_up_swing_side and hip_hinge_rounded)")
    parser.add_argument("--seconds", type=float, default=None, help="use only the first S seconds of each clip")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)
    clips = args.clip or ["pull_up_swing_side", "hip_hinge_rounded"]
    results = []
    for name in clips:
        sidecar = json.loads((REPO / "sample_videos" / f"{name}.json").read_text())
        res = measure(REPO / "sample_videos" / f"{name}.mp4", sidecar["exercise"], args.seconds)
        results.append(res)
        lat = res["latency_ms"] or {}
        print(f"{name:24s} {res['exercise']:10s} seg={'yes' if res['segmentation'] else 'no ':3s}  "
              f"latency p50 {lat.get('p50', '–')} ms  p95 {lat.get('p95', '–')} ms  max {lat.get('max', '–')} ms  "
              f"analysed {res['frames_analysed']} ({res['analysed_per_s']}/s), dropped {res['dropped_share']:.0%}  "
              f"overlay {res['overlay_draw_ms_p50']} ms", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
