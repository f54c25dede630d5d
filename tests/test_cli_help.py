"""The command line as a newcomer meets it: help on every argument, examples, global options
anywhere, the catalog as JSON, and a progress line that says how long is left."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from formcoach.cli import build_parser, main
from formcoach.consumers import Progress, Throughput
from formcoach.core import FrameResult, RepPhase


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"formcoach": parser, **sub.choices}


@pytest.mark.parametrize("name", list(_commands()))
def test_every_argument_has_help_and_the_help_ends_with_examples(name):
    parser = _commands()[name]
    missing = [a.dest for a in parser._actions
               if not isinstance(a, argparse._SubParsersAction) and (not a.help or a.help == argparse.SUPPRESS)]
    assert missing == []
    text = parser.format_help()
    assert "examples:" in text and text.rstrip().splitlines()[-1].strip()  # examples close the help
    assert text.index("examples:") > text.index("options:")


def test_global_options_are_accepted_after_the_command_too():
    parser = build_parser()
    before = parser.parse_args(["--specs", "mine", "exercises"])
    after = parser.parse_args(["exercises", "--specs", "mine"])
    assert before.specs == after.specs == "mine"
    assert parser.parse_args(["exercises"]).specs is None  # not given anywhere: the default, not overwritten


def test_exercises_json_lists_the_whole_catalog_with_spoken_forms(capsys):
    from formcoach.specs import load_catalog

    assert main(["exercises", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in doc] == list(load_catalog())
    hinge = next(e for e in doc if e["id"] == "hip_hinge")
    back = next(c for c in hinge["cues"] if c["id"] == "rounded_back")
    assert back["spoken"] == "Straight back" and back["message"].startswith("Keep your back straight")
    assert {"id": "back", "name": "Back rounding", "unit": "ratio"} in hinge["metrics"]


def _result(t: float, reps: int = 0, phase: RepPhase | None = RepPhase.START) -> FrameResult:
    return FrameResult(t=t, pose=None, metrics={}, rep_count=reps, rep_phase=phase, hold_elapsed_s=None,
                       hold_target_s=None, active_cues=(), not_judged={}, view=None, side=None)


def test_progress_without_a_terminal_prints_one_plain_line_per_tenth():
    out = io.StringIO()
    progress = Progress(200, stream=out, tty=False)
    for k in range(200):
        progress.on_frame(None, _result(k / 30, reps=k // 60))
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in out.getvalue()
    assert all(w in lines[4] for w in ("50%", "elapsed", "frames/s", "left")) and lines[4].endswith("· 1 rep")
    assert lines[-1].startswith("analysing 100%")


def test_progress_of_a_hold_exercise_does_not_talk_about_reps():
    out = io.StringIO()
    progress = Progress(10, stream=out, tty=False)
    for k in range(10):
        progress.on_frame(None, _result(k / 30, phase=None))
    assert "rep" not in out.getvalue()


def test_throughput_reports_frames_analysed_per_second_and_the_share_dropped():
    meter = Throughput(fps=30.0)
    for k in range(40):  # every third frame of a 30 fps camera analysed: 10 per second
        meter.update(k * 0.1)
    assert meter.rate == pytest.approx(10.0) and meter.dropped_share == pytest.approx(2 / 3)
    assert meter.text() == "10 fps analysed · 67% dropped"


def test_event_log_stays_in_order_when_a_fault_is_timed_at_its_worst_moment():
    from formcoach.consumers import EventLog
    from formcoach.core import CueRaised, Fault, Severity

    out = io.StringIO()
    fault = Fault("too_shallow", "Slide lower", t_s=5.3, value=119.0, severity=Severity.WARNING)
    result = _result(11.43)
    EventLog(out).on_frame(None, FrameResult(**{**{f: getattr(result, f) for f in result.__dataclass_fields__},
                                                "events": (CueRaised(5.3, fault),)}))
    assert out.getvalue() == "  11.43s  cue too_shallow: Slide lower\n"
