"""The Tasks backend: a bundle packed offline from mediapipe 0.10.21's model files gives the legacy
model's landmarks, fed the source's timestamps; backend selection and a missing bundle are clear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcoach.errors import PoseError
from formcoach.pose import MediaPipePose, TasksPose, create_pose, task_model_path

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def task_bundle(tmp_path_factory) -> Path:
    pytest.importorskip("mediapipe.tasks.python.metadata.metadata_writers.metadata_writer")
    from tools.build_pose_task import build

    return build(tmp_path_factory.mktemp("task") / "pose_landmarker_full.task")


def test_unknown_backend_and_missing_bundle_are_one_line_errors(monkeypatch, tmp_path):
    with pytest.raises(PoseError, match=r"unknown pose backend 'gpu' \(choose from: auto, legacy, tasks\)"):
        create_pose(backend="gpu")
    monkeypatch.setenv("FORMCOACH_POSE_TASK", str(tmp_path / "none.task"))
    with pytest.raises(PoseError, match="no Tasks pose model; build one with tools/build_pose_task.py"):
        task_model_path()


def test_auto_picks_the_legacy_model_where_mp_solutions_exists(monkeypatch):
    monkeypatch.delenv("FORMCOACH_POSE_BACKEND", raising=False)
    pose = create_pose()
    try:
        assert isinstance(pose, MediaPipePose)
    finally:
        pose.close()


@pytest.mark.e2e
def test_tasks_backend_matches_the_legacy_model_on_a_sample(task_bundle, monkeypatch):
    from formcoach.sources import VideoFileSource

    monkeypatch.setenv("FORMCOACH_POSE_TASK", str(task_bundle))
    monkeypatch.setenv("FORMCOACH_POSE_BACKEND", "tasks")
    tasks, legacy = create_pose(), MediaPipePose()
    assert isinstance(tasks, TasksPose)
    source = VideoFileSource(REPO / "sample_videos" / "hip_hinge_good.mp4")
    distances, seen = [], 0
    try:
        for k, (image, t) in enumerate(source):
            if k >= 90:
                break
            a, b = legacy.estimate(image, t), tasks.estimate(image, t)
            seen += (a is not None) + (b is not None)
            if a is not None and b is not None:
                assert b.t == t and b.image_size == a.image_size and np.isfinite(b.world).all()
                distances.append(float(np.mean(np.linalg.norm(a.xy - b.xy, axis=1))))
    finally:
        source.close()
        tasks.close()
        legacy.close()
    assert len(distances) >= 80 and seen == 2 * len(distances)  # both see the person on the same frames
    assert np.mean(distances) < 3.0, f"Tasks vs legacy mean landmark distance {np.mean(distances):.2f} px"
