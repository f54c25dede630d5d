"""The `formcoach` command: thin argparse layer that builds the pipeline and maps errors to exit codes.

Exit codes: 0 ok, 2 bad input (missing/corrupt video, unknown exercise, bad spec, no camera,
nobody in view), 130 interrupted before anything was recorded. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from formcoach import __version__
from formcoach.errors import FormcoachError
from formcoach.specs import Condition, ExerciseSpec, get_spec, load_catalog, load_spec_file

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130


# Consumers live in formcoach.consumers; re-exported here for callers that imported them from the CLI.
from formcoach.consumers import AnnotatedVideo, EventLog, Progress, Window, fault_thumbnails  # noqa: E402,F401


# ---- commands ---------------------------------------------------------------------------------------


def _thumbnails(spec: ExerciseSpec, out_dir: Path) -> list:
    return fault_thumbnails(spec, out_dir)


def _voice(args: argparse.Namespace) -> list:
    """The voice coach consumer, when sound or a speech log is asked for."""
    if args.voice == "off" and not args.speech_log:
        return []
    from formcoach.speech import make_speaker
    from formcoach.voice import VoiceCoach

    return [VoiceCoach(make_speaker(args.voice, args.volume, args.speech_log))]


def _spec(args: argparse.Namespace) -> ExerciseSpec:
    return get_spec(args.exercise, args.specs).at_level(getattr(args, "level", None))


def _finish(record, out_dir: Path, quiet: bool) -> int:
    from formcoach.report import summary_text, write_json
    from formcoach.report_html import regenerate

    report = write_json(record, out_dir / "report.json")
    html = regenerate(report)  # report.html + metrics.csv, from report.json alone
    if not quiet:
        print(summary_text(record))
        print(f"  report: {html}  (data: {report.name}, metrics.csv)")
    if record.frames_total and record.frames_with_pose == 0:
        print(f"formcoach: error: no person in view in {record.source} (report written to {report})", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcoach.landmarks import LandmarkTrack, TrackBuilder
    from formcoach.session import analyse_file

    spec = _spec(args)
    out_dir = Path(args.out) if args.out else Path("formcoach-out") / Path(args.video).stem
    recorder = TrackBuilder(record_masks=spec.needs_segmentation) if args.save_landmarks else None
    landmarks = LandmarkTrack.load(args.landmarks) if args.landmarks else None

    def per_source(info) -> list:
        made: list = [Progress(info.frame_count)]
        if not args.no_video:
            made.append(AnnotatedVideo(spec, out_dir / "annotated.mp4", info.fps))
        return made

    record = analyse_file(args.video, spec, [*_voice(args), *_thumbnails(spec, out_dir)], recorder, per_source, landmarks)
    if recorder is not None:
        recorder.save(out_dir / "landmarks.npz")
    return _finish(record, out_dir, args.quiet)


def cmd_live(args: argparse.Namespace) -> int:
    from formcoach.pose import MediaPipePose
    from formcoach.session import run_session
    from formcoach.sources import CameraSource, PacedFileSource

    spec = _spec(args)
    window = [] if args.headless else [Window(spec)]  # no display: say so before opening a camera
    source = PacedFileSource(args.source) if args.source else CameraSource(args.camera)
    out_dir = Path(args.out) if args.out else Path("formcoach-out") / time.strftime("live-%Y%m%d-%H%M%S")
    consumers: list = [EventLog(), *window, *_thumbnails(spec, out_dir)]
    estimator = None
    try:
        estimator = MediaPipePose(segmentation=spec.needs_segmentation)
        voice = _voice(args)
        consumers += voice
        if args.record:
            consumers.append(AnnotatedVideo(spec, out_dir / "annotated.mp4", source.info.fps))
        print(f"formcoach live: {spec.name} from {source.info.name}" + ("" if args.headless else " (press q to stop)"), flush=True)
        frames = iter(source)
        if not args.go:  # count only once the camera sees the person properly (or after 20 s, with a warning)
            from formcoach.workout import WorkoutLog, wait_for_setup

            outcome = wait_for_setup(frames, estimator, spec, [WorkoutLog(), *window], coach=voice[0] if voice else None)
            if voice:
                voice[0].announce("Go", outcome.t)
        record = run_session(frames, estimator, spec, consumers, source_name=source.info.name, fps=source.info.fps)
    finally:
        for c in consumers:
            c.close()
        source.close()
        if estimator is not None:
            estimator.close()
    if getattr(source, "unplugged", False):
        record.ended_by = "camera lost"
    record.frames_dropped = getattr(source, "dropped", 0)
    return _finish(record, out_dir, quiet=False)


def cmd_workout(args: argparse.Namespace) -> int:
    from formcoach.pose import MediaPipePose
    from formcoach.sources import CameraSource
    from formcoach.workout import (
        PlaylistSource, WorkoutLog, describe_plan, load_routine, needs_segmentation, plan_workout, run_workout,
        set_dir_name, workout_summary_text, write_workout_report,
    )

    catalog = load_catalog(args.specs)
    routine = load_routine(args.routine, catalog)
    plan = plan_workout(routine, catalog, args.level)
    print(f"formcoach workout: {routine.name}" + (f" ({args.level})" if args.level else ""))
    print(describe_plan(plan), flush=True)
    if args.plan:
        return EXIT_OK
    window = [] if args.headless else [Window(plan[0].spec)]  # no display: say so before opening a camera
    source = PlaylistSource(args.source, paced=not args.fast) if args.source else CameraSource(args.camera)
    out_dir = Path(args.out) if args.out else Path("formcoach-out") / time.strftime(f"{routine.id}-%Y%m%d-%H%M%S")
    coach = None
    estimator = None
    try:
        estimator = MediaPipePose(segmentation=needs_segmentation(plan))
        voice = _voice(args)
        coach = voice[0] if voice else None

        def per_set(p) -> list:
            made = _thumbnails(p.spec, out_dir / set_dir_name(p))
            if args.record:
                made.append(AnnotatedVideo(p.spec, out_dir / set_dir_name(p) / "annotated.mp4", source.info.fps))
            return made

        record = run_workout(
            source, estimator, routine, catalog, [EventLog(), WorkoutLog(), *window], args.level,
            rest_override_s=args.rest, setup=not args.go, coach=coach, make_set_consumers=per_set,
            source_name=source.info.name, fps=source.info.fps,
        )
    finally:
        for c in (*window, *([coach] if coach is not None else [])):
            c.close()
        source.close()
        if estimator is not None:
            estimator.close()
    if getattr(source, "unplugged", False):
        record.ended_by = "camera lost"
    report = write_workout_report(record, out_dir)
    print(workout_summary_text(record))
    print(f"  report: {report.with_name('workout.html')}  (data: {report.name})")
    return EXIT_OK


def cmd_exercises(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.specs)
    if args.detail:
        spec = get_spec(args.detail, args.specs)
        print(describe_spec(spec))
        return EXIT_OK
    id_w = max(len(s.id) for s in catalog.values())
    name_w = max(len(s.name) for s in catalog.values())
    for spec in catalog.values():
        kind = " + ".join(k for k, v in (("reps", spec.reps), ("hold", spec.hold)) if v is not None)
        print(f"{spec.id:{id_w}s}  {spec.name:{name_w}s}  {'/'.join(spec.views):10s}  {kind}")
    return EXIT_OK


def describe_spec(spec: ExerciseSpec) -> str:
    d = spec.defaults
    dose = f"{d.sets} x {d.reps} reps" if d.reps else (f"{d.sets} x {d.hold_s:.0f} s hold" if d.hold_s else f"{d.sets} sets")
    lines = [f"{spec.name} ({spec.id})", f"  source: {spec.source}", f"  camera: {'/'.join(spec.views)} view. {spec.camera}".rstrip()]
    lines.append(f"  default: {dose}, rest {d.rest_s:.0f} s" + (" (per side)" if d.per_side else ""))
    if spec.description:
        lines.append(f"  {spec.description}")
    lines.append("  checks:")
    if spec.reps is not None:
        r = spec.reps.rule
        needs = "".join(f", starting with {c.metric} {_bounds(c)}" for c in spec.reps.start_requires)
        lines.append(f"    - reps: {r.metric} from {r.start:g} to {r.target:g} and back{needs}; "
                     f"stopping short is {r.partial_cue} — \"{r.partial_message}\"")
        if r.incomplete_return_cue:
            lines.append(f"    - {r.incomplete_return_cue} (rep): the next rep starts before {r.metric} returns to {r.start:g} — "
                         f"\"{r.incomplete_return_message}\"")
    if spec.hold is not None:
        rule = spec.hold.rule
        posture = ", ".join(f"{c.metric} {_bounds(c)}" for c in spec.hold.posture)
        lines.append(f"    - hold: while {posture}; target {rule.target_s:g} s; "
                     f"shorter is {rule.short_cue} — \"{rule.short_message}\"")
    for cue in spec.cues:
        lines.append(f"    - {cue.id} ({cue.when.replace('_', ' ')}, {'/'.join(cue.views)}): "
                     f"{cue.condition.metric} {_bounds(cue.condition)} — \"{cue.say}\"")
    if spec.tips:
        lines.append("  tips (not checked by the camera):")
        lines += [f"    - {t}" for t in spec.tips]
    return "\n".join(lines)


def _bounds(c: Condition) -> str:
    """`>= 5 and <= 12` style text for a condition's bounds."""
    return " and ".join(x for x in (f">= {c.min:g}" if c.min is not None else "", f"<= {c.max:g}" if c.max is not None else "") if x)


def cmd_report(args: argparse.Namespace) -> int:
    from formcoach.report_html import regenerate

    print(f"report: {regenerate(Path(args.report_json))}")
    return EXIT_OK


def cmd_check_spec(args: argparse.Namespace) -> int:
    for path in args.files:
        spec = load_spec_file(path)
        print(f"{path}: ok ({spec.id}: {len(spec.metrics)} metrics, {len(spec.cues)} cues)")
    return EXIT_OK


# ---- entry point -------------------------------------------------------------------------------------


def _add_voice_args(p: argparse.ArgumentParser, default: str) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--voice", dest="voice", action="store_const", const="voice", help="speak reps, countdowns and cues")
    g.add_argument("--beep-only", dest="voice", action="store_const", const="beep", help="beeps instead of speech")
    g.add_argument("--no-voice", dest="voice", action="store_const", const="off", help="no sound")
    p.set_defaults(voice=default)
    p.add_argument("--volume", type=float, default=1.0, help="0..1, fraction of the speech engine's normal level")
    p.add_argument("--speech-log", metavar="PATH", help="write what is said as 't  text' lines (works with --no-voice)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="formcoach", description="Computer-vision form coach for home back training.")
    parser.add_argument("--version", action="version", version=f"formcoach {__version__}")
    parser.add_argument("--specs", help="exercise spec folder (default: exercise_specs/ or $FORMCOACH_SPECS)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="analyse a recorded video: report.json, metrics.csv, annotated.mp4")
    p.add_argument("video")
    p.add_argument("--exercise", "-e", required=True, help="exercise id (see `formcoach exercises`)")
    p.add_argument("--level", help="a level from the spec (e.g. beginner): its hold target")
    p.add_argument("--out", "-o", help="output folder (default formcoach-out/VIDEO_NAME)")
    p.add_argument("--no-video", action="store_true", help="skip the annotated video (faster)")
    p.add_argument("--save-landmarks", action="store_true", help="also save raw landmarks (landmarks.npz) for replay")
    p.add_argument("--landmarks", metavar="FILE.npz",
                   help="replay landmarks saved by --save-landmarks instead of running the pose model "
                        "(re-analyse a session with other settings in seconds)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stdout")
    _add_voice_args(p, "off")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("live", help="coach live from a webcam (or a video file played like one)")
    p.add_argument("--exercise", "-e", required=True)
    p.add_argument("--level", help="a level from the spec (e.g. beginner): its hold target")
    p.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    p.add_argument("--source", help="use a video file as a fake camera, played at its real frame rate")
    p.add_argument("--headless", action="store_true", help="no window (events are printed; report written at the end)")
    p.add_argument("--record", action="store_true", help="also write the annotated video")
    p.add_argument("--go", action="store_true", help="start counting at once (do not wait for the camera setup)")
    p.add_argument("--out", "-o", help="output folder for the session report")
    _add_voice_args(p, "voice")
    p.set_defaults(func=cmd_live)

    p = sub.add_parser("workout", help="run a routine live: announce, check the camera setup, count, rest, next")
    p.add_argument("routine", help="routine id (routines/ID.yaml) or a routine YAML file")
    p.add_argument("--level", help="e.g. beginner or standard (the routine's levels); default: its plain values")
    p.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    p.add_argument("--source", action="append", metavar="VIDEO",
                   help="play video files as the camera, one after another (repeat the option)")
    p.add_argument("--fast", action="store_true", help="with --source: every frame as fast as possible, not in real time")
    p.add_argument("--headless", action="store_true", help="no window (events are printed)")
    p.add_argument("--go", action="store_true", help="do not wait for the camera setup before each set")
    p.add_argument("--rest", type=float, metavar="S", help="rest S seconds after every set instead of the routine's rests")
    p.add_argument("--record", action="store_true", help="also write each set's annotated video")
    p.add_argument("--plan", action="store_true", help="print the sets of the routine and exit")
    p.add_argument("--out", "-o", help="output folder for the workout report")
    _add_voice_args(p, "voice")
    p.set_defaults(func=cmd_workout)

    p = sub.add_parser("exercises", help="list the exercise catalog")
    p.add_argument("--detail", metavar="ID", help="show what one exercise checks, its camera set-up and defaults")
    p.set_defaults(func=cmd_exercises)

    p = sub.add_parser("report", help="rebuild report.html and metrics.csv from a session's report.json")
    p.add_argument("report_json", metavar="REPORT_JSON")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("check-spec", help="validate exercise spec files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_check_spec)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FormcoachError as exc:
        print(f"formcoach: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("formcoach: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
