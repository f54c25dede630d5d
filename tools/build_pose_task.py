"""Pack the pose model inside mediapipe 0.10.21's wheel into a Tasks bundle, offline.

    .venv/bin/python tools/build_pose_task.py                 # rebuild the shipped formcoach/models/pose_landmarker_full.task
    .venv/bin/python tools/build_pose_task.py OUT.task        # elsewhere
    .venv/bin/python tools/build_pose_task.py --compare NAME   # also: Tasks (VIDEO mode) vs the legacy model on a sample

mediapipe 0.10.21 is the last release with `mp.solutions` and a bundled model (Python <= 3.12);
newer releases have only the Tasks API and bundle no model. The two model files in the 0.10.21
wheel (`modules/pose_detection/pose_detection.tflite`, `modules/pose_landmark/pose_landmark_full.tflite`,
Apache-2.0, Google) make a `pose_landmarker_full.task`: the landmark model gets Tasks metadata (an
RGB image input normalised with mean 0 / std 255; five feature outputs), the detector's metadata
is already right, and both go into a zip stored uncompressed and 4-byte aligned as
`pose_detector.tflite` and `pose_landmarks_detector.tflite` (mediapipe's own aligned zip writer,
with fixed member dates so the same wheel always gives the same bytes: a test checks the shipped
bundle against a fresh build). Needs mediapipe 0.10.21 installed (the model source); the bundle
itself loads in the Tasks API of 0.10.21 and 1.x. Licence and provenance: formcoach/models/NOTICE.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "formcoach" / "models" / "pose_landmarker_full.task"
LICENCE = "Apache-2.0; model files from mediapipe 0.10.21 (Copyright Google LLC), packed unchanged but for metadata"


def build(out: Path) -> Path:
    """Write the .task bundle to `out`; returns it."""
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils, writer_utils

    modules = Path(mediapipe.__file__).parent / "modules"
    detector = (modules / "pose_detection" / "pose_detection.tflite").read_bytes()
    landmarks = (modules / "pose_landmark" / "pose_landmark_full.tflite").read_bytes()
    writer = metadata_writer.MetadataWriter.create(bytearray(landmarks))
    writer.add_general_info("pose_landmarks_detector", "BlazePose GHUM 3D landmark model (full), from mediapipe 0.10.21")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0], color_space_type=metadata_writer.MetadataWriter.color_space_types.RGB)
    for i in range(len(writer_utils.get_output_tensor_types(landmarks))):
        writer.add_feature_output(name="Identity" + (f"_{i}" if i else ""))
    with_metadata, _ = writer.populate()
    out.parent.mkdir(parents=True, exist_ok=True)
    # create_model_asset_bundle's own loop, but members dated 1980-01-01 instead of now: reproducible bytes
    tmp = out.with_name(out.name + ".tmp")
    with model_asset_bundle_utils.AlignZipFile(tmp, mode="w", alignment=4) as bundle:
        for name, data in (("pose_detector.tflite", detector), ("pose_landmarks_detector.tflite", bytes(with_metadata))):
            bundle.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    tmp.replace(out)
    return out


def compare(task: Path, name: str, step: int = 1) -> str:
    """Tasks PoseLandmarker in VIDEO mode (source timestamps) against formcoach's legacy MediaPipePose."""
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    from formcoach.pose import MediaPipePose
    from formcoach.sources import VideoFileSource

    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(task)),
                                           running_mode=vision.RunningMode.VIDEO, num_poses=1)
    diffs, only = [], {"legacy": 0, "tasks": 0}
    with vision.PoseLandmarker.create_from_options(options) as tasks:
        legacy, source = MediaPipePose(), VideoFileSource(ROOT / "sample_videos" / f"{name}.mp4")
        for k, (image, t) in enumerate(source):
            if k % step:
                continue
            h, w = image.shape[:2]
            a = legacy.estimate(image, t)
            rgb = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image[..., ::-1]))
            r = tasks.detect_for_video(rgb, int(round(t * 1000)))
            b = np.array([(p.x * w, p.y * h) for p in r.pose_landmarks[0]]) if r.pose_landmarks else None
            if a is not None and b is not None:
                diffs.append(float(np.mean(np.linalg.norm(a.xy - b, axis=1))))
            elif a is not None or b is not None:
                only["legacy" if a is not None else "tasks"] += 1
        legacy.close()
        source.close()
    d = np.array(diffs) if diffs else np.array([np.nan])
    return (f"{name} ({w}x{h}): {len(diffs)} frames with both, {only['legacy']} legacy only, {only['tasks']} tasks only; "
            f"landmark distance mean {np.mean(d):.2f} px, median {np.median(d):.2f}, p95 {np.percentile(d, 95):.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default=SHIPPED, type=Path, help="where to write it (default: the shipped one)")
    ap.add_argument("--compare", nargs="+", metavar="NAME", help="sample names to compare on (sample_videos/NAME.mp4)")
    ap.add_argument("--step", type=int, default=1, help="compare every STEP-th frame (both models see the same frames)")
    args = ap.parse_args()
    try:
        path = build(args.out)
    except (ImportError, OSError) as exc:
        print(f"build_pose_task: error: {exc} (needs mediapipe==0.10.21 for the model files)", file=sys.stderr)
        return 2
    print(f"{path}: {path.stat().st_size} bytes ({LICENCE})")
    for name in args.compare or ():
        print(compare(path, name, args.step), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
