"""Shared test helpers: a scripted pose estimator and the check that modules stay free of heavy imports.

`ScriptedPose` is a fake pose model driven by the source time (`from conftest import ScriptedPose`;
pytest has already imported this module under that name). Fixture:
    heavy_imports: `heavy_imports(*modules, heavy=("cv2", "mediapipe")) -> list[str]`, the heavy
        packages that importing `modules` in a fresh interpreter loads (the layering rule).
    realistic_sessions: {kind: (report dict, out_dir)} of four synthetic sessions through the real
        analysis (test_report_html.realistic_reports), made once per test process; the tests that use
        it carry `on_realistic_sessions_worker` so `--dist loadgroup` gives them one xdist worker.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest

from formcoach.core import PoseFrame

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("cv2", "mediapipe")


class ScriptedPose:
    """A pose 'model' that returns the figure a script prescribes for the source time.

    Args:
        script: t -> PoseFrame | None, or a mapping {t: PoseFrame} (None for any other t).
    Attributes:
        calls: how many frames were sent to the 'model' (a test can check frames were skipped).
    """

    def __init__(self, script: Callable[[float], PoseFrame | None] | Mapping[float, PoseFrame]) -> None:
        self.script = script.get if isinstance(script, Mapping) else script
        self.calls = 0

    def __enter__(self) -> ScriptedPose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def estimate(self, image: np.ndarray | None, t: float) -> PoseFrame | None:
        self.calls += 1
        return self.script(t)

    def close(self) -> None:
        pass


def heavy_modules_loaded(*modules: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """Top-level `heavy` packages in sys.modules after importing `modules` in a fresh interpreter."""
    code = (
        "import importlib, sys\n"
        f"for m in {list(modules)!r}: importlib.import_module(m)\n"
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(heavy)!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, f"importing {modules} failed:\n{proc.stderr[-2000:]}"
    return [m for m in proc.stdout.strip().split(",") if m]


@pytest.fixture
def heavy_imports() -> Callable[..., list[str]]:
    return heavy_modules_loaded


@pytest.fixture(autouse=True)
def _history_in_tmp(tmp_path_factory, monkeypatch) -> None:
    """No test writes the user's real session history: every session goes to a throwaway database."""
    monkeypatch.setenv("FORMCOACH_HISTORY", str(tmp_path_factory.mktemp("history") / "history.sqlite3"))


#: Marks the tests that use `realistic_sessions` (test_report_html, test_report_browser): one xdist worker
#: makes the sessions once for both modules instead of once per module (about 15 s each on 2 busy cores).
on_realistic_sessions_worker = pytest.mark.xdist_group("realistic_sessions")


@pytest.fixture(scope="session")
def realistic_sessions(tmp_path_factory):
    from test_report_html import realistic_reports

    return realistic_reports(tmp_path_factory.mktemp("sessions"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `slow` first (stable order otherwise): with xdist, a long test handed out last
    kept one test process busy for up to a minute after the other had finished."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
