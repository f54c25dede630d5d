"""Frames per second of `formcoach analyze` vs a bare MediaPipe loop on the same clip, in one run.

    .venv/bin/python benchmarks/speed.py [VIDEO] [--exercise ID] [--repeat 2]

Both loops decode the same video; the bare loop only runs the pose model (with the same
segmentation setting the spec needs). The ratio says what formcoach adds on top of the model:
smoothing, metrics, rep/hold/cue logic, overlay drawing and video encoding. Also prints the
analysis alone (no overlay/encoding), what shrinking a 1080p or 4K frame before the model saves
(`MODEL_INPUT_SIDE`), and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcoach.consumers import AnnotatedVideo  # noqa: E402
from formcoach.pose import MediaPipePose  # noqa: E402
from formcoach.session import run_session  # noqa: E402
from formcoach.sources import VideoFileSource  # noqa: E402
from formcoach.specs import get_spec  # noqa: E402


def bare_loop(video: Path, segmentation: bool) -> tuple[int, float]:
    source, pose = VideoFileSource(video), MediaPipePose(segmentation=segmentation)
    start, n = time.perf_counter(), 0
    for image, t in source:
        pose.estimate(image, t)
        n += 1
    elapsed = time.perf_counter() - start
    pose.close()
    source.close()
    return n, elapsed


def formcoach_loop(video: Path, exercise: str, with_video: bool) -> tuple[int, float]:
    spec = get_spec(exercise)
    source, pose = VideoFileSource(video), MediaPipePose(segmentation=spec.needs_segmentation)
    with tempfile.TemporaryDirectory() as tmp:
        consumers = [AnnotatedVideo(spec, Path(tmp) / "annotated.mp4", source.info.fps)] if with_video else []
        start = time.perf_counter()
        record = run_session(source, pose, spec, consumers, fps=source.info.fps)
        for c in consumers:
            c.close()
        elapsed = time.perf_counter() - start
    pose.close()
    source.close()
    return record.frames_total, elapsed


def analysis_only(video: Path, exercise: str) -> tuple[float, float]:
    """ms/frame of formcoach's own work (smoothing, metrics, reps/holds/cues), model excluded.

    Landmarks are recorded once with MediaPipe, then replayed through the same session code;
    returns (ms per frame replayed, ms per frame for the recording run).
    """
    from formcoach.landmarks import TrackBuilder
    from formcoach.pose import ReplayPose

    spec = get_spec(exercise)
    recorder = TrackBuilder()
    source, pose = VideoFileSource(video), MediaPipePose(segmentation=False)
    start = time.perf_counter()
    run_session(source, pose, spec, fps=source.info.fps, recorder=recorder)
    recorded = time.perf_counter() - start
    pose.close()
    source.close()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "landmarks.npz"
        recorder.save(path)
        replay = ReplayPose(path)
        frames = [(None, t) for t in replay.track.t]
        start = time.perf_counter()
        run_session(frames, replay, spec, fps=30.0)
        replayed = time.perf_counter() - start
    n = len(recorder.t)
    return 1000 * replayed / n, 1000 * recorded / n


def input_side_ratios(video: Path, segmentation: bool, frames: int = 60, repeat: int = 2) -> list[str]:
    """ms/frame of the model on the clip's frames filmed at 1440p and 4K (upscaled): as filmed vs shrunk."""
    from formcoach._cv2 import cv2
    from formcoach.landmarks import MODEL_INPUT_SIDE

    source = VideoFileSource(video)
    originals = [image for image, _ in zip((image for image, _ in source), range(frames))]
    source.close()
    lines = []
    for size in ((2560, 1440), (3840, 2160)):
        clip = [cv2.resize(image, size, interpolation=cv2.INTER_LINEAR) for image in originals]
        best = {"as filmed": float("inf"), "shrunk": float("inf")}
        for _ in range(repeat):  # interleaved, so machine load hits both alike
            for label, side in (("as filmed", None), ("shrunk", MODEL_INPUT_SIDE)):
                with MediaPipePose(segmentation=segmentation, max_input_side=side) as pose:
                    start = time.perf_counter()
                    for i, image in enumerate(clip):
                        pose.estimate(image, i / 30.0)
                    best[label] = min(best[label], (time.perf_counter() - start) / len(clip) * 1000)
        lines.append(f"model on {size[0]}x{size[1]} frames: as filmed {best['as filmed']:.1f} ms/frame, shrunk to "
                     f"{MODEL_INPUT_SIDE} px {best['shrunk']:.1f} ms/frame (ratio {best['as filmed'] / best['shrunk']:.2f})")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default=str(REPO / "sample_videos" / "hip_hinge_good.mp4"))
    parser.add_argument("--exercise", default=None, help="default: the sidecar's exercise, else hip_hinge")
    parser.add_argument("--repeat", type=int, default=2, help="alternate the loops this many times, keep the best")
    args = parser.parse_args()
    video = Path(args.video)
    exercise = args.exercise
    if exercise is None:
        import json

        sidecar = video.with_suffix(".json")
        exercise = json.loads(sidecar.read_text())["exercise"] if sidecar.exists() else "hip_hinge"
    segmentation = get_spec(exercise).needs_segmentation
    best = {"bare": float("inf"), "analysis": float("inf"), "analyze": float("inf")}
    frames = 0
    for _ in range(args.repeat):  # interleaved, so machine load hits all three alike
        frames, t = bare_loop(video, segmentation)
        best["bare"] = min(best["bare"], t)
        _, t = formcoach_loop(video, exercise, with_video=False)
        best["analysis"] = min(best["analysis"], t)
        _, t = formcoach_loop(video, exercise, with_video=True)
        best["analyze"] = min(best["analyze"], t)
    fps = {k: frames / v for k, v in best.items()}
    print(f"clip: {video.name} ({frames} frames), exercise {exercise}, segmentation {'on' if segmentation else 'off'}")
    print(f"bare MediaPipe loop          : {fps['bare']:6.1f} fps  ({1000 / fps['bare']:.1f} ms/frame)")
    print(f"formcoach analysis (no video): {fps['analysis']:6.1f} fps  ({1000 / fps['analysis']:.1f} ms/frame)")
    print(f"formcoach analyze (+overlay, +mp4): {fps['analyze']:6.1f} fps  ({1000 / fps['analyze']:.1f} ms/frame)")
    print(f"ratio analyze/bare time: {best['analyze'] / best['bare']:.2f}   analysis/bare: {best['analysis'] / best['bare']:.2f}")
    own_ms, with_model_ms = analysis_only(video, exercise)
    print(f"formcoach's own work on replayed landmarks: {own_ms:.2f} ms/frame "
          f"({own_ms / with_model_ms:.1%} of a frame with the model; segmentation-mask metrics excluded)")
    for line in input_side_ratios(video, segmentation):
        print(line)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
