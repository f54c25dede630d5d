"""The `formcoach` command: thin argparse layer that builds the pipeline and maps errors to exit codes.

Exit codes: 0 ok (the video ended, the target was reached or `q` was pressed); 2 bad input or an
output problem (missing/corrupt video, unknown exercise, bad spec, no camera, nobody in view,
an output folder that cannot be written, a full disk); 1 an unexpected error (the journal is
kept); a session ended early keeps its report and exits 128 + the signal: 130 Ctrl-C (SIGINT),
143 SIGTERM, 129 SIGHUP, 141 stdout closed. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from formcoach.cli_args import build_parser
from formcoach.errors import FormcoachError, OutputError, SessionCrashed, SourceError, SpecError
from formcoach.specs import ExerciseSpec, get_spec, load_spec_file

if TYPE_CHECKING:
    from formcoach.consumer import Consumer
    from formcoach.journal import Journal
    from formcoach.session import SessionRecord, StopOnSignal
    from formcoach.sources import SourceInfo
    from formcoach.voice import VoiceCoach

EXIT_OK, EXIT_CRASHED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
#: How a session that ended early exits: 128 + the signal number, as shells report a killed job.
EXIT_STOPPED = {"SIGINT": 130, "SIGHUP": 129, "SIGTERM": 143, "stdout closed": 141}


# ---- shared steps -----------------------------------------------------------------------------------


def _inputs(args: argparse.Namespace) -> list[str]:
    """Every input file of a command: no output may be written over one of them."""
    found = [getattr(args, name, None) for name in ("video", "landmarks")]
    source = getattr(args, "source", None)
    found += source if isinstance(source, list) else [source]
    return [str(f) for f in found if f]


def _out_dir(args: argparse.Namespace, default: Path) -> Path:
    """The checked output folder: `--out`, else `default` (a new one if it holds a report)."""
    from formcoach.outdir import check_writable_file, prepare_out_dir

    inputs = _inputs(args)
    if getattr(args, "speech_log", None):
        check_writable_file(Path(args.speech_log), inputs)
    out = Path(args.out) if args.out else default
    return prepare_out_dir(out, inputs, force=args.force, chosen=bool(args.out))


def _stopper() -> StopOnSignal:
    """Signals (and a closed stdout) end the session like `q`; use as `with _stopper() as stop:`."""
    from formcoach.session import StopOnSignal

    stop = StopOnSignal()
    if hasattr(sys.stdout, "on_close"):  # our PipeGuard (see `_run`)
        sys.stdout.on_close = lambda: stop.request("stdout closed")
    return stop


def _coach(args: argparse.Namespace) -> VoiceCoach | None:
    from formcoach.voice import make_coach

    return make_coach(args.voice, args.volume, args.speech_log)


def _spec(args: argparse.Namespace) -> ExerciseSpec:
    return get_spec(args.exercise, args.specs).at_level(getattr(args, "level", None))


def _catalog(args: argparse.Namespace) -> dict[str, ExerciseSpec]:
    """The catalog without its bad files: one warning line for each (the rest still works)."""
    from formcoach.specs import scan_catalog

    catalog, problems = scan_catalog(args.specs)
    for problem in problems:
        print(f"formcoach: warning: skipped {problem}", file=sys.stderr)
    return catalog


def _crashed(exc: Exception, out_dir: Path, journal: Journal | None) -> FormcoachError:
    """An error mid-session, as one of ours: an OSError (disk full, folder removed) is an output problem
    (exit 2), anything else a bug (exit 1); either way the report so far is rebuilt from the journal."""
    from formcoach.journal import salvage

    saved = salvage(journal, out_dir)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return OutputError(f"{where}cannot write ({exc.strerror or exc}); the session stopped{saved}")
    return SessionCrashed(f"the session stopped on an unexpected error ({type(exc).__name__}: {exc}){saved}")


def _exit_code(record: SessionRecord) -> int:
    """0 for a session that ended by itself (or `q`); 128 + the signal for one that was stopped."""
    if not record.interrupted:
        return EXIT_OK
    return EXIT_STOPPED.get(record.stopped_by or "", EXIT_INTERRUPTED)


def _finish(record: SessionRecord, out_dir: Path, quiet: bool, journal: Journal | None = None) -> int:
    """Write the reports, print the warnings and the summary; the exit code says how the session ended."""
    from formcoach.report import summary_text, write_session_reports

    report, html = write_session_reports(record, out_dir, journal)
    for line in record.warnings:
        print(f"formcoach: warning: {line}", file=sys.stderr)
    if not quiet:
        print(summary_text(record))
        print(f"  report: {html}  (data: {report.name}, metrics.csv)", flush=True)
        if (out_dir / "annotated.mp4").is_file():
            print(f"  video: {out_dir / 'annotated.mp4'}  (H.264 MP4, plays in a browser)", flush=True)
    if record.frames_total and record.frames_with_pose == 0:
        print(f"formcoach: error: no person in view in {record.source} (report written to {report})", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _exit_code(record)


def _remember(args: argparse.Namespace, report: Path, code: int) -> int:
    """Record a finished session (or each set of a workout) in the history; returns `code` unchanged.

    The report is already written: a history problem is one warning line, never a lost session.
    """
    if args.no_history or code == EXIT_BAD_INPUT or not report.is_file():
        return code
    from formcoach.history import remember

    warning = remember(report, args.command)
    if warning:
        print(f"formcoach: warning: {warning}", file=sys.stderr)
    return code


# ---- commands ---------------------------------------------------------------------------------------


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcoach.batch import guess_exercise, is_batch
    from formcoach.consumers import AnnotatedVideo, Progress, fault_thumbnails
    from formcoach.journal import open_session_journal
    from formcoach.landmarks import LandmarkTrack, TrackBuilder
    from formcoach.outdir import default_out_dir
    from formcoach.session import analyse_file
    from formcoach.sources import VideoFileSource

    if is_batch(args.video):
        return cmd_analyze_batch(args)
    args.video = args.video[0]
    if not args.exercise:
        args.exercise = guess_exercise(Path(args.video), _catalog(args))
        if args.exercise is None:
            raise SpecError(f"{args.video}: cannot tell the exercise from the file name: pass --exercise "
                            "(see `formcoach exercises`)")
    spec = _spec(args)
    VideoFileSource(args.video).close()  # a bad video is said before any folder is made
    out_dir = _out_dir(args, default_out_dir(args.video))
    recorder = TrackBuilder(record_masks=spec.needs_segmentation) if args.save_landmarks else None
    landmarks = LandmarkTrack.load(args.landmarks) if args.landmarks else None
    journal: Journal | None = None
    coach = _coach(args)

    def per_source(info: SourceInfo) -> list[Consumer]:
        nonlocal journal
        journal = open_session_journal(spec, out_dir, str(args.video), info.fps)
        made: list[Consumer] = [journal, Progress(info.frame_count)]
        if not args.no_video:
            made.append(AnnotatedVideo(spec, out_dir / "annotated.mp4", info.fps))
        return made

    with _stopper() as stop:
        try:
            record = analyse_file(args.video, spec, [stop, *([coach] if coach else []), *fault_thumbnails(spec, out_dir)],
                                  recorder, per_source, landmarks)
        except (FormcoachError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug or a failing library: keep what was analysed, say so in one line
            raise _crashed(exc, out_dir, journal) from exc
    if recorder is not None:
        recorder.save(out_dir / "landmarks.npz")
    return _remember(args, out_dir / "report.json", _finish(record, out_dir, args.quiet, journal))


def cmd_analyze_batch(args: argparse.Namespace) -> int:
    """Several videos (files or folders): each analysed alone, in parallel; a progress line each, a
    total and an index page. Exit 0 when every video was analysed, 2 when some failed."""
    from formcoach import batch

    landmarks = Path(args.landmarks) if args.landmarks else None
    if landmarks is not None and not landmarks.is_dir():
        raise SourceError(f"{landmarks}: with several videos, --landmarks is a folder holding <video name>.npz for each")
    videos = batch.expand_inputs(args.video)
    root = Path(args.out) if args.out else Path("formcoach-out") / time.strftime("batch-%Y%m%d-%H%M%S")
    common = [*(["--specs", args.specs] if args.specs else []), *(["--no-history"] if args.no_history else []),
              *(["--pose-backend", args.pose_backend] if args.pose_backend else [])]
    opts = [*(["--level", args.level] if args.level else []),
            *(f"--{name.replace('_', '-')}" for name in ("no_video", "save_landmarks", "force") if getattr(args, name))]
    jobs = batch.plan_jobs(videos, root, args.exercise, _catalog(args), common, opts, landmarks)
    results = batch.run_batch(jobs, main, root, args.jobs or batch.default_jobs(), args.ray)
    return EXIT_OK if all(r.ok for r in results) else EXIT_BAD_INPUT


def cmd_history(args: argparse.Namespace) -> int:
    from formcoach.history import History, history_text

    with History() as history:
        rows = history.sessions(args.exercise, args.limit)
        if not rows:
            print(f"no sessions recorded yet (history: {history.path})")
            return EXIT_OK
        print(history_text(rows))
        print(f"  history: {history.path}")
    return EXIT_OK


def cmd_progress(args: argparse.Namespace) -> int:
    from formcoach.history import History
    from formcoach.progress import PAGE_NAME, progress_text, write_progress_html
    from formcoach.spec_reader import did_you_mean

    with History() as history:
        rows = history.sessions(args.exercise, args.limit)
        recorded = sorted({r.exercise for r in history.sessions()})
    if not rows:
        known = sorted(set(_catalog(args)) | set(recorded))
        if args.exercise not in known:
            raise SpecError(f"unknown exercise {args.exercise!r}{did_you_mean(args.exercise, known)} "
                            f"(recorded: {', '.join(recorded) or 'none yet'})")
        print(f"no {args.exercise} sessions in the history yet (recorded: {', '.join(recorded) or 'none'})")
        return EXIT_OK
    print(progress_text(args.exercise, rows))
    page = Path(args.out) if args.out else Path("formcoach-out") / "progress" / args.exercise / PAGE_NAME
    try:
        print(f"  page: {write_progress_html(args.exercise, rows, page)}")
    except OSError as exc:
        raise OutputError(f"{page}: cannot write the progress page ({exc.strerror or exc})") from None
    return EXIT_OK


def cmd_live(args: argparse.Namespace) -> int:
    from formcoach.consumers import AnnotatedVideo, EventLog, Window, WorkoutLog, fault_thumbnails
    from formcoach.journal import open_session_journal
    from formcoach.live import finish_live_record, run_live
    from formcoach.pose import create_pose
    from formcoach.sources import CameraSource, PacedFileSource

    spec = _spec(args)
    window = [] if args.headless else [Window(spec)]  # no display: say so before opening a camera
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(PacedFileSource(args.source) if args.source else CameraSource(args.camera))
        for w in window:
            w.throughput.fps = source.info.fps  # the window shows the share of the camera's frames dropped
        out_dir = _out_dir(args, Path("formcoach-out") / time.strftime("live-%Y%m%d-%H%M%S"))
        journal = open_session_journal(spec, out_dir, source.info.name, source.info.fps)
        stop = _stopper()
        consumers: list[Consumer] = [stop, journal, EventLog(sys.stdout), *window, *fault_thumbnails(spec, out_dir)]
        for c in consumers:
            stack.enter_context(contextlib.closing(c))
        try:
            stack.enter_context(stop)
            estimator = stack.enter_context(contextlib.closing(create_pose(segmentation=spec.needs_segmentation)))
            coach = _coach(args)
            extra: list[Consumer] = [*([coach] if coach else []), *([AnnotatedVideo(spec, out_dir / "annotated.mp4",
                                                                                    source.info.fps)] if args.record else [])]
            consumers += [stack.enter_context(contextlib.closing(c)) for c in extra]
            print(f"formcoach live: {spec.name} from {source.info.name}" + ("" if args.headless else " (press q to stop)"), flush=True)
            record = run_live(source, estimator, spec, consumers, setup_listeners=[stop, WorkoutLog(sys.stdout), *window],
                              coach=coach, wait_setup=not args.go)
        except (FormcoachError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug or a failing library: keep what was recorded, say so in one line
            raise _crashed(exc, out_dir, journal) from exc
    finish_live_record(record, source)
    return _remember(args, out_dir / "report.json", _finish(record, out_dir, quiet=False, journal=journal))


def cmd_workout(args: argparse.Namespace) -> int:
    from formcoach.consumers import EventLog, SetConsumers, Window, WorkoutLog
    from formcoach.pose import create_pose
    from formcoach.routine import describe_plan, load_routine, needs_segmentation, plan_workout
    from formcoach.session import EndReason
    from formcoach.sources import CameraSource, PlaylistSource
    from formcoach.workout import run_workout
    from formcoach.workout_report import workout_summary_text, write_workout_report

    catalog = _catalog(args)
    routine = load_routine(args.routine, catalog)
    plan = plan_workout(routine, catalog, args.level)
    print(f"formcoach workout: {routine.name}" + (f" ({args.level})" if args.level else ""))
    print(describe_plan(plan), flush=True)
    if args.plan:
        return EXIT_OK
    window = [] if args.headless else [Window(plan[0].spec)]  # no display: say so before opening a camera
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(PlaylistSource(args.source, paced=not args.fast) if args.source else CameraSource(args.camera))
        out_dir = _out_dir(args, Path("formcoach-out") / time.strftime(f"{routine.id}-%Y%m%d-%H%M%S"))
        stop = stack.enter_context(_stopper())
        estimator = stack.enter_context(contextlib.closing(create_pose(segmentation=needs_segmentation(plan))))
        coach = _coach(args)
        for c in (*window, *([coach] if coach is not None else [])):
            stack.enter_context(contextlib.closing(c))
        per_set = SetConsumers(out_dir, source.info, record_video=args.record)
        record = run_workout(
            source, estimator, routine, catalog, [stop, EventLog(sys.stdout), WorkoutLog(sys.stdout), *window], args.level,
            rest_override_s=args.rest, setup=not args.go, coach=coach, make_set_consumers=per_set,
            source_name=source.info.name, fps=source.info.fps,
        )
    if source.unplugged:
        record.ended_by, record.stopped_by = EndReason.CAMERA_LOST, None
    if stop.stop_reason:
        record.ended_by, record.stopped_by = EndReason.INTERRUPTED, stop.stop_reason
    per_set.finish(record)
    try:
        report = write_workout_report(record, out_dir)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the workout report ({exc.strerror or exc})") from None
    print(workout_summary_text(record))
    print(f"  report: {report.with_name('workout.html')}  (data: {report.name})", flush=True)
    _remember(args, report, EXIT_OK)
    return EXIT_STOPPED.get(stop.stop_reason, EXIT_INTERRUPTED) if stop.stop_reason else EXIT_OK


def cmd_exercises(args: argparse.Namespace) -> int:
    from formcoach.catalog import catalog_lines, describe_spec, exercise_dict

    catalog = _catalog(args)
    if args.detail:
        print(describe_spec(get_spec(args.detail, args.specs)))
    elif args.json:
        import json

        print(json.dumps([exercise_dict(s) for s in catalog.values()], indent=2))
    else:
        print(catalog_lines(catalog))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Rebuild report.html and metrics.csv; from the session journal when report.json is missing or broken."""
    from formcoach.journal import repair_report
    from formcoach.report_html import regenerate

    target = Path(args.report_json)
    path = target / "report.json" if target.is_dir() else target
    note = repair_report(path)
    if note:
        print(f"formcoach: note: {note}", file=sys.stderr)
    try:
        html = regenerate(path)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write report.html/metrics.csv ({exc.strerror or exc})") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:  # hand-edited past the checks
        raise FormcoachError(f"{path}: unexpected content in report.json ({type(exc).__name__}: {exc})") from None
    print(f"report: {html}")
    return EXIT_OK


def cmd_check_spec(args: argparse.Namespace) -> int:
    for path in args.files:
        spec = load_spec_file(path)
        print(f"{path}: ok ({spec.id}: {len(spec.metrics)} metrics, {len(spec.cues)} cues)")
    return EXIT_OK


# ---- entry point -------------------------------------------------------------------------------------


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "analyze": cmd_analyze, "live": cmd_live, "workout": cmd_workout, "exercises": cmd_exercises, "history": cmd_history,
    "progress": cmd_progress, "report": cmd_report, "check-spec": cmd_check_spec,
}


def main(argv: Sequence[str] | None = None) -> int:
    from formcoach.outdir import NativeLogFilter, quiet_third_party

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.pose_backend:  # an env var, so batch workers (processes, Ray tasks) use the same backend
        os.environ["FORMCOACH_POSE_BACKEND"] = args.pose_backend
    if not args.verbose:
        quiet_third_party()
    with NativeLogFilter() if not args.verbose else contextlib.nullcontext():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The command, with every error mapped to one line and an exit code."""
    from formcoach.outdir import PipeGuard

    real_stdout = sys.stdout
    sys.stdout = PipeGuard(real_stdout)  # `| head`: the session ends like `q` and keeps its report
    try:
        return COMMANDS[args.command](args)
    except SessionCrashed as exc:
        if args.verbose:
            import traceback

            traceback.print_exception(exc.__cause__ or exc)
        print(f"formcoach: error: {exc}", file=sys.stderr)
        return EXIT_CRASHED
    except FormcoachError as exc:
        print(f"formcoach: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # an output problem no check foresaw (disk full, folder removed): one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"formcoach: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("formcoach: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout = real_stdout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
