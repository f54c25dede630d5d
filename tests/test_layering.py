"""Analysis never imports drawing or the model: importing it loads neither cv2 nor mediapipe."""

from __future__ import annotations

import subprocess
import sys

ANALYSIS_MODULES = [
    "formcoach", "formcoach.core", "formcoach.geometry", "formcoach.skeleton", "formcoach.specs",
    "formcoach.metrics", "formcoach.view", "formcoach.reps", "formcoach.holds", "formcoach.cues",
    "formcoach.evaluator", "formcoach.smoothing", "formcoach.session", "formcoach.report", "formcoach.pose", "formcoach.voice", "formcoach.speech", "formcoach.setup", "formcoach.workout",
]


def test_analysis_modules_load_neither_cv2_nor_mediapipe():
    code = (
        "import importlib, sys\n"
        f"for m in {ANALYSIS_MODULES!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('cv2', 'mediapipe'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"analysis imports pulled in: {out}"


def test_nothing_imports_the_cli():
    import pathlib

    package = pathlib.Path(__file__).resolve().parent.parent / "formcoach"
    offenders = [p.name for p in package.glob("*.py") if p.name not in ("cli.py", "__main__.py") and "formcoach.cli" in p.read_text()]
    assert offenders == []
