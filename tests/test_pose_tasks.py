"""The Tasks backend: the shipped bundle (packed offline from mediapipe 0.10.21's model files) gives the
legacy model's landmarks, fed the source's timestamps; backend selection, the cache keys of each
backend and a missing bundle are clear.

On Python 3.13 (mediapipe 1.x, no mp.solutions) Tasks is the default backend; CI's second run there
runs the unit tests and the tests marked `tasks` (`pytest -m "not e2e or tasks"`, see .ci/run): real-model
clips judged against their ground truth, as the e2e tests judge the legacy backend's recordings.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from formcoach.errors import PoseError
from formcoach.landmarks import PoseOptions, cache_key
from formcoach.pose import MediaPipePose, TasksPose, create_pose, resolve_backend, task_model_path

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "formcoach" / "models" / "pose_landmarker_full.task"
TASKS_DEFAULT = resolve_backend() == "tasks"
needs_legacy = pytest.mark.skipif(TASKS_DEFAULT, reason="no mp.solutions in this mediapipe (1.x)")

#: Clips CI's Python 3.13 run analyses with the Tasks backend and judges against their sidecars: reps with
#: a fault and masks, a hold (the e2e REAL_MODEL_CLIPS; 15-20 s each on 2 busy cores).
TASKS_CLIPS = ["deadlift_hips_first", "dead_hang_good"]


def test_the_bundle_ships_in_the_package_with_its_licence():
    from importlib import resources

    path = task_model_path()
    assert path == Path(str(resources.files("formcoach").joinpath("models/pose_landmarker_full.task")))
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in bundle.infolist())
    notice = (path.parent / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice and "tools/build_pose_task.py" in notice
    assert "Apache License" in (path.parent / "LICENSE").read_text()


@needs_legacy
def test_the_shipped_bundle_is_what_the_tool_builds(tmp_path):
    pytest.importorskip("mediapipe.tasks.python.metadata.metadata_writers.metadata_writer")
    from tools.build_pose_task import build

    assert build(tmp_path / "fresh.task").read_bytes() == SHIPPED.read_bytes(), \
        "rebuild it: .venv/bin/python tools/build_pose_task.py (and update formcoach/models/NOTICE)"


def test_unknown_backend_and_missing_bundle_are_one_line_errors(monkeypatch, tmp_path):
    with pytest.raises(PoseError, match=r"unknown pose backend 'gpu' \(choose from: auto, legacy, tasks\)"):
        create_pose(backend="gpu")
    monkeypatch.setenv("FORMCOACH_POSE_TASK", str(tmp_path / "none.task"))
    with pytest.raises(PoseError, match="no Tasks pose model in FORMCOACH_POSE_TASK=.*; build one with tools/build_pose_task.py"):
        task_model_path()


@pytest.mark.parametrize("env, solutions, expected", [
    (None, True, "legacy"), (None, False, "tasks"), ("auto", False, "tasks"),
    ("tasks", True, "tasks"), ("legacy", False, "legacy"),
])
def test_auto_takes_the_environment_else_legacy_where_mp_solutions_exists(monkeypatch, env, solutions, expected):
    monkeypatch.setattr("formcoach.pose._has_solutions", lambda: solutions)
    if env is None:
        monkeypatch.delenv("FORMCOACH_POSE_BACKEND", raising=False)
    else:
        monkeypatch.setenv("FORMCOACH_POSE_BACKEND", env)
    assert resolve_backend() == resolve_backend("auto") == expected
    assert resolve_backend("tasks") == "tasks" and resolve_backend("legacy") == "legacy"  # explicit beats the env


def test_auto_picks_the_installed_api(monkeypatch):
    monkeypatch.delenv("FORMCOACH_POSE_BACKEND", raising=False)
    import mediapipe as mp

    from formcoach.subject import SubjectPicker

    pose = create_pose()
    try:  # kept on the largest person in the picture (formcoach.subject)
        assert isinstance(pose, SubjectPicker)
        assert isinstance(pose.inner, MediaPipePose if hasattr(mp, "solutions") else TasksPose)
    finally:
        pose.close()


def test_cache_keys_name_the_backend_but_legacy_keys_are_unchanged(monkeypatch, tmp_path):
    """A legacy key is the one written before there was a choice, so committed caches stay valid."""
    import hashlib
    import json

    from formcoach.landmarks import TRACK_FORMAT, file_digest, model_version

    monkeypatch.delenv("FORMCOACH_POSE_BACKEND", raising=False)
    clip = REPO / "sample_videos" / "squat_shallow.mp4"
    before = json.dumps({"model": model_version(), "format": TRACK_FORMAT, "model_complexity": 1, "segmentation": False,
                         "min_detection_confidence": 0.5, "min_tracking_confidence": 0.5}, sort_keys=True)
    legacy = cache_key(clip, PoseOptions(backend="legacy"))
    assert legacy == f"{file_digest(clip)}-{hashlib.sha256(before.encode()).hexdigest()[:10]}"
    assert cache_key(clip, PoseOptions(backend="tasks")) != legacy
    monkeypatch.setenv("FORMCOACH_POSE_BACKEND", "tasks")
    assert cache_key(clip, PoseOptions()) == cache_key(clip, PoseOptions(backend="tasks"))


def test_tasks_tracks_are_cached_apart_from_legacy_ones(monkeypatch, tmp_path):
    """A Tasks recording never replaces (or is taken for) the legacy track of the same clip."""
    from formcoach import landmarks

    recorded: list[str] = []

    def fake_record(path, options, key):
        recorded.append(resolve_backend(options.backend))
        return landmarks.TrackBuilder().build(key)

    monkeypatch.setattr(landmarks, "record_track", fake_record)
    clip = REPO / "sample_videos" / "squat_shallow.mp4"
    landmarks.cached_track(clip, PoseOptions(backend="legacy"), tmp_path)
    landmarks.cached_track(clip, PoseOptions(backend="tasks"), tmp_path)
    landmarks.cached_track(clip, PoseOptions(backend="legacy"), tmp_path)  # still there: not recorded again
    assert recorded == ["legacy", "tasks"]
    assert [p.relative_to(tmp_path).parent.as_posix() for p in sorted(tmp_path.rglob("*.npz"))] == [".", "tasks"]


def test_tasks_model_closed_or_not_exits_without_noise(tmp_path):
    """mediapipe 1.x's PoseLandmarker.__del__ raises a TypeError at interpreter teardown when left open."""
    import subprocess
    import sys

    script = ("from formcoach.pose import TasksPose\nimport numpy as np\n"
              "kept = TasksPose()\nkept.estimate(np.zeros((64, 64, 3), np.uint8), 0.0)\n"
              "closed = TasksPose()\nclosed.close()\nprint('done')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (0, "done\n", "")


@pytest.mark.slow
@needs_legacy
@pytest.mark.e2e
def test_tasks_backend_matches_the_legacy_model_on_a_sample(monkeypatch):
    """The legacy model's landmarks are the clip's committed cache: its key names the installed mediapipe and
    test_landmark_cache_is_current fails on a stale one; test_e2e runs the live legacy model against caches."""
    from formcoach.sources import VideoFileSource
    from tools.sample_check import expected_key, load_cached

    legacy = load_cached("hip_hinge_good")
    assert legacy.key == expected_key("hip_hinge_good")  # the legacy backend's key (before Tasks is chosen below)
    monkeypatch.setenv("FORMCOACH_POSE_BACKEND", "tasks")
    tasks = create_pose()
    assert isinstance(tasks.inner, TasksPose)  # a SubjectPicker around it
    source = VideoFileSource(REPO / "sample_videos" / "hip_hinge_good.mp4")
    distances, seen = [], 0
    try:
        for k, (image, t) in enumerate(source):
            if k >= 90:
                break
            a, b = legacy.frame(k, with_mask=False), tasks.estimate(image, t)
            seen += (a is not None) + (b is not None)
            if a is not None and b is not None:
                assert b.t == t and abs(legacy.t[k] - t) < 1e-3 and b.image_size == a.image_size and np.isfinite(b.world).all()
                distances.append(float(np.mean(np.linalg.norm(a.xy - b.xy, axis=1))))
    finally:
        source.close()
        tasks.close()
    assert len(distances) >= 80 and seen == 2 * len(distances)  # both see the person on the same frames
    assert np.mean(distances) < 3.0, f"Tasks vs legacy mean landmark distance {np.mean(distances):.2f} px"


def test_repeated_timestamps_are_nudged_forward():
    """The Tasks graph refuses a timestamp that does not increase; a repeated frame time must not stop a session."""
    pose = TasksPose()
    try:
        image = np.zeros((64, 64, 3), np.uint8)
        for t in (0.0, 0.0, 0.0333, 0.0333, 0.01):
            pose.estimate(image, t)
        assert pose._last_ms == 35
    finally:
        pose.close()


@pytest.mark.slow
@pytest.mark.tasks
@pytest.mark.e2e
@pytest.mark.skipif(not TASKS_DEFAULT, reason="CI's Python 3.13 run (Tasks is the default backend there)")
@pytest.mark.parametrize("name", TASKS_CLIPS)
def test_tasks_backend_gets_the_ground_truth_of_a_sample(name: str):
    from test_e2e import KNOWN_LIMITS
    from tools.sample_check import analyse_clip, problems

    known: tuple[str, ...] = KNOWN_LIMITS.get(name, ((), ""))[0]  # the legacy backend's known limits are allowed here too
    assert [p for p in problems(analyse_clip(name)) if not p.startswith(known)] == []


# ---- the picture the model is given --------------------------------------------------------------


def test_large_frames_are_shrunk_for_the_model_and_small_ones_are_not():
    from formcoach.pose import model_input, source_size_mask

    big = np.zeros((1080, 1920, 3), np.uint8)
    big[..., 0] = 200  # blue in BGR
    rgb = model_input(big, 960)
    assert rgb.shape == (540, 960, 3) and rgb[0, 0].tolist() == [0, 0, 200]
    portrait = model_input(np.zeros((3840, 2160, 3), np.uint8), 960)
    assert portrait.shape == (960, 540, 3)
    small = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    assert np.array_equal(model_input(small, 960), small[..., ::-1])
    assert model_input(big, None).shape == big.shape
    mask = np.ones((540, 960), np.float32)
    assert source_size_mask(mask, (1920, 1080)).shape == (1080, 1920)
    assert source_size_mask(mask, (960, 540)) is mask


def test_pose_options_refuse_an_input_side_below_the_models_own():
    with pytest.raises(ValueError, match="max_input_side"):
        PoseOptions(max_input_side=100)
    assert PoseOptions(max_input_side=None).max_input_side is None


def _write_video(path: Path, size: tuple[int, int]) -> Path:
    from formcoach._cv2 import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    for _ in range(3):
        writer.write(np.zeros((size[1], size[0], 3), np.uint8))
    writer.release()
    return path


def test_cache_keys_name_the_input_side_only_where_it_shrank_the_picture(tmp_path):
    """A clip no larger than the model's input is seen as before, so its key (and committed caches) stay."""
    small = _write_video(tmp_path / "small.mp4", (640, 480))
    large = _write_video(tmp_path / "large.mp4", (2560, 1440))
    assert cache_key(small, PoseOptions()) == cache_key(small, PoseOptions(max_input_side=None))
    assert cache_key(large, PoseOptions()) != cache_key(large, PoseOptions(max_input_side=None))
    assert cache_key(large, PoseOptions(max_input_side=2560)) == cache_key(large, PoseOptions(max_input_side=None))


@pytest.mark.parametrize("backend", ["legacy", "tasks"])
def test_a_shrunk_frame_gives_landmarks_and_mask_in_the_source_pixels(backend):
    """A sample frame filmed at four times the size (2560x1920): the model sees it at 1920 px, the landmarks
    come back within a few pixels (of the 640 px frame) of where the model puts them on the original frame."""
    if backend == "legacy" and TASKS_DEFAULT:
        pytest.skip("no mp.solutions in this mediapipe (1.x)")
    from formcoach._cv2 import cv2
    from formcoach.pose import pose_from_options

    cap = cv2.VideoCapture(str(REPO / "sample_videos" / "squat_good.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    big = cv2.resize(frame, (2560, 1920), interpolation=cv2.INTER_CUBIC)
    with contextlib.closing(pose_from_options(PoseOptions(segmentation=True, backend=backend))) as pose:
        shrunk = pose.estimate(big, 0.0)
    with contextlib.closing(pose_from_options(PoseOptions(segmentation=True, backend=backend))) as pose:
        original = pose.estimate(frame, 0.0)
    assert shrunk is not None and original is not None
    assert shrunk.image_size == (2560, 1920) and shrunk.mask is not None and shrunk.mask.shape == (1920, 2560)
    error = np.linalg.norm(shrunk.xy / 4.0 - original.xy, axis=1)
    assert np.median(error) < 3.0, error
