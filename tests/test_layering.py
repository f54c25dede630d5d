"""Analysis never imports drawing or the model: importing it loads neither cv2 nor mediapipe."""

from __future__ import annotations


ANALYSIS_MODULES = [
    "formcoach", "formcoach.core", "formcoach.geometry", "formcoach.skeleton", "formcoach.specs",
    "formcoach.metrics", "formcoach.view", "formcoach.reps", "formcoach.holds", "formcoach.cues",
    "formcoach.evaluator", "formcoach.smoothing", "formcoach.session", "formcoach.report", "formcoach.pose", "formcoach.voice", "formcoach.speech", "formcoach.setup", "formcoach.workout",
    "formcoach.routine", "formcoach.workout_report", "formcoach.workout_html", "formcoach.consumer", "formcoach.catalog",
    "formcoach.live", "formcoach.points", "formcoach.metric_base", "formcoach.metric_kinds", "formcoach.back_curvature",
    "formcoach.spec_reader", "formcoach.spec_types",
]


def test_analysis_modules_load_neither_cv2_nor_mediapipe(heavy_imports):
    assert heavy_imports(*ANALYSIS_MODULES) == []


def test_nothing_imports_the_cli():
    import pathlib

    package = pathlib.Path(__file__).resolve().parent.parent / "formcoach"
    offenders = [p.name for p in package.glob("*.py") if p.name not in ("cli.py", "__main__.py") and "formcoach.cli" in p.read_text()]
    assert offenders == []
