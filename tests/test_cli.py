"""CLI: bad input gives exit code 2 and exactly one line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from formcoach.cli import main


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "formcoach", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def corrupt_video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "corrupt.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    return path


@pytest.mark.parametrize(
    "args, message",
    [
        (["analyze", "missing.mp4", "-e", "wall_squat"], "missing.mp4: video file not found"),
        (["analyze", "CORRUPT", "-e", "wall_squat"], "cannot open as a video (corrupt or unsupported format)"),
        (["analyze", "missing.mp4", "-e", "wal_squat"], "unknown exercise 'wal_squat' (did you mean 'wall_squat'?)"),
        (["live", "-e", "superman", "--camera", "97", "--headless"], "camera 97: cannot open"),
        (["live", "-e", "superman", "--source", "missing.mp4", "--headless"], "missing.mp4: video file not found"),
        (["check-spec", "MALFORMED"], "metrics.knee.angle: expected a list of 3 landmark names"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, corrupt_video, tmp_path):
    malformed = tmp_path / "x.yaml"
    malformed.write_text("id: x\nname: X\nsource: s\nview: side\nmetrics: {knee: {angle: [hip, knee]}}\nreps: {metric: knee, start: 1, target: 2}\ndefaults: {reps: 1}\n")
    args = [str(corrupt_video) if a == "CORRUPT" else str(malformed) if a == "MALFORMED" else a for a in args]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formcoach: error: ") and message in lines[0]
    assert "Traceback" not in proc.stderr


def test_live_without_display_asks_for_headless(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("display detection is Linux-specific")
    # Checked before any camera or file is opened: the source here does not even exist.
    code = main(["live", "-e", "wall_squat", "--source", str(tmp_path / "any.mp4"), "--out", str(tmp_path)])
    assert code == 2
    assert "no display" in capsys.readouterr().err


def test_exercises_lists_catalog(capsys):
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    for exercise in ("hip_hinge", "wall_squat", "pull_up", "superman"):
        assert exercise in out


def test_exercise_detail_shows_checks_and_tips(capsys):
    assert main(["exercises", "--detail", "superman"]) == 0
    out = capsys.readouterr().out
    assert "hold: while arm_lift >= 5" in out and "shorter is hold_short" in out
    assert "bent_arms" in out and "tips (not checked by the camera)" in out and "3 x 15 s hold" in out


def test_exercise_detail_shows_the_rep_rule_and_its_cues(capsys):
    assert main(["exercises", "--detail", "cat_cow"]) == 0
    out = capsys.readouterr().out
    assert "reps: back from -0.006 to 0.019 and back, starting with trunk <= 35; stopping short is too_shallow" in out
    assert "no_arch (rep)" in out


def test_check_spec_accepts_shipped_specs(capsys):
    specs = sorted(str(p) for p in (Path(__file__).resolve().parent.parent / "exercise_specs").glob("*.yaml"))
    assert main(["check-spec", *specs]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(specs)
