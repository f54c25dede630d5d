"""The `formcoach` command line: every command, its options, its help and examples (argparse only).

`build_parser().parse_args(argv).command` names the command; the `cli` module runs it (and nothing else imports `cli`).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from formcoach import __version__


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, found {value}")
    return value


def _rest_seconds(text: str) -> float:
    """`--rest`: a finite number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, found {text!r}") from None
    if not math.isfinite(value) or value < 0 or value > 3600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 3600, found {text}")
    return value


def _add_voice_args(p: argparse.ArgumentParser, default: str) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--voice", dest="voice", action="store_const", const="voice", help="speak reps, countdowns and cues")
    g.add_argument("--beep-only", dest="voice", action="store_const", const="beep", help="beeps instead of speech")
    g.add_argument("--no-voice", dest="voice", action="store_const", const="off", help="no sound")
    p.set_defaults(voice=default)
    p.add_argument("--volume", type=float, default=1.0, help="0..1, fraction of the speech engine's normal level")
    p.add_argument("--speech-log", metavar="PATH", help="write what is said as 't  text' lines (works with --no-voice)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="formcoach", description="Computer-vision form coach for home back training.",
                                     epilog=EXAMPLES["formcoach"], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"formcoach {__version__}")
    parser.add_argument("--specs", metavar="DIR",
                        help="your own exercise specs, beside the shipped ones (a file with a shipped name replaces "
                             "it; several folders joined with ':'; default $FORMCOACH_SPECS)")
    parser.add_argument("--pose-backend", choices=("auto", "legacy", "tasks"),
                        help="pose model API: legacy mp.solutions (mediapipe 0.10.21), tasks (the Tasks API, the same "
                             "model shipped as a .task; $FORMCOACH_POSE_TASK for another), auto (legacy where it exists, "
                             "else tasks; default, or $FORMCOACH_POSE_BACKEND)")
    parser.add_argument("--no-history", action="store_true",
                        help="do not record this session in the history database ($FORMCOACH_HISTORY moves it)")
    parser.add_argument("--verbose", action="store_true", help="show third-party log lines and tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_session_commands(sub)
    _add_other_commands(sub)
    _after_the_command(parser, sub)
    return parser


def _add_session_commands(sub: Any) -> None:
    """`analyze` and `live`."""
    p = sub.add_parser("analyze", help="analyse a recorded video: report.json, metrics.csv, annotated.mp4")
    p.add_argument("video", nargs="+", metavar="VIDEO",
                   help="a video file; several files or a folder analyse each (in parallel) and write an index.html")
    p.add_argument("--exercise", "-e",
                   help="exercise id (see `formcoach exercises`); default: from the video's sidecar JSON or file name "
                        "(wall_squat_good.mp4 -> wall_squat)")
    p.add_argument("--jobs", "-j", type=_positive_int, metavar="N", help="several videos: N at once (default: the cores)")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="several videos: one Ray task each, on the cluster at ADDRESS (none: a local one); "
                        "needs the `ray` extra")
    p.add_argument("--level", help="a level from the spec (e.g. beginner): its hold target")
    p.add_argument("--out", "-o", help="output folder (default formcoach-out/VIDEO_NAME-HASH, a hash of the video's path)")
    p.add_argument("--no-video", action="store_true", help="skip the annotated video (faster)")
    p.add_argument("--save-landmarks", action="store_true", help="also save raw landmarks (landmarks.npz) for replay")
    p.add_argument("--landmarks", metavar="FILE.npz",
                   help="replay landmarks saved by --save-landmarks instead of running the pose model "
                        "(re-analyse a session with other settings in seconds); several videos: a folder "
                        "holding VIDEO_NAME.npz for each (e.g. sample_videos/landmarks)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stdout")
    p.add_argument("--force", action="store_true", help="replace a report already in the output folder")
    _add_voice_args(p, "off")

    p = sub.add_parser("live", help="coach live from a webcam (or a video file played like one)")
    p.add_argument("--exercise", "-e", required=True, help="exercise id (see `formcoach exercises`)")
    p.add_argument("--level", help="a level from the spec (e.g. beginner): its hold target")
    p.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    p.add_argument("--source", help="use a video file as a fake camera, played at its real frame rate")
    p.add_argument("--headless", action="store_true", help="no window (events are printed; report written at the end)")
    p.add_argument("--record", action="store_true", help="also write the annotated video")
    p.add_argument("--go", action="store_true", help="start counting at once (do not wait for the camera setup)")
    p.add_argument("--out", "-o", help="output folder for the session report")
    p.add_argument("--force", action="store_true", help="replace a report already in the output folder")
    _add_voice_args(p, "voice")


def _add_other_commands(sub: Any) -> None:
    """`workout`, `exercises`, `history`, `progress`, `report`, `check-spec`."""
    p = sub.add_parser("workout", help="run a routine live: announce, check the camera setup, count, rest, next")
    p.add_argument("routine", help="routine id (routines/ID.yaml) or a routine YAML file")
    p.add_argument("--level", help="e.g. beginner or standard (the routine's levels); default: its plain values")
    p.add_argument("--camera", type=int, default=0, help="camera index (default 0)")
    p.add_argument("--source", action="append", metavar="VIDEO",
                   help="play video files as the camera, one after another (repeat the option)")
    p.add_argument("--fast", action="store_true", help="with --source: every frame as fast as possible, not in real time")
    p.add_argument("--headless", action="store_true", help="no window (events are printed)")
    p.add_argument("--go", action="store_true", help="do not wait for the camera setup before each set")
    p.add_argument("--rest", type=_rest_seconds, metavar="S", help="rest S seconds after every set instead of the routine's rests")
    p.add_argument("--record", action="store_true", help="also write each set's annotated video")
    p.add_argument("--plan", action="store_true", help="print the sets of the routine and exit")
    p.add_argument("--out", "-o", help="output folder for the workout report")
    p.add_argument("--force", action="store_true", help="replace a report already in the output folder")
    _add_voice_args(p, "voice")

    p = sub.add_parser("exercises", help="list the exercise catalog")
    p.add_argument("--detail", metavar="ID", help="show what one exercise checks, its camera set-up and defaults")
    p.add_argument("--json", action="store_true", help="the catalog as JSON (ids, names, views, metrics, cues, levels)")

    p = sub.add_parser("history", help="list the sessions recorded so far (oldest first)")
    p.add_argument("--exercise", "-e", help="only this exercise")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="only the last N sessions")

    p = sub.add_parser("progress", help="reps, holds, fault rate and range of motion over your sessions (text + HTML)")
    p.add_argument("exercise", metavar="EXERCISE", help="exercise id (see `formcoach exercises`)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="only the last N sessions")
    p.add_argument("--out", "-o", metavar="FILE.html", help="the page (default formcoach-out/progress/EXERCISE/progress.html)")

    p = sub.add_parser("report", help="rebuild report.html and metrics.csv from a session's report.json")
    p.add_argument("report_json", metavar="REPORT_JSON", help="a report.json, or a session folder (rebuilt from its journal if needed)")

    p = sub.add_parser("check-spec", help="validate exercise spec files")
    p.add_argument("files", nargs="+", metavar="SPEC.yaml", help="exercise spec files to validate")


#: `--help` ends with these (per command; "formcoach" for the top level).
EXAMPLES = {
    "formcoach": """examples:
  formcoach exercises                                  what can be coached
  formcoach exercises --detail hip_hinge               what one exercise checks and how to film it
  formcoach analyze squat.mp4 -e wall_squat            analyse a recording: report.html, annotated.mp4
  formcoach live -e pull_up                            coach live from the webcam (q stops)
  formcoach workout home_back --level beginner         a whole routine: sets, rests, camera checks
  formcoach report formcoach-out/squat/report.json     rebuild the HTML report

`formcoach COMMAND --help` shows each command's options and examples.""",
    "analyze": """examples:
  formcoach analyze squat.mp4 -e wall_squat
  formcoach analyze clip.mp4 -e superman --level beginner --speech-log speech.log
  formcoach analyze clip.mp4 -e hip_hinge --save-landmarks      keep the pose for fast re-analysis
  formcoach analyze clip.mp4 -e hip_hinge --landmarks formcoach-out/clip/landmarks.npz""",
    "live": """examples:
  formcoach live -e pull_up                          webcam 0, voice on, waits until it sees you
  formcoach live -e superman --level beginner --beep-only
  formcoach live -e wall_squat --source clip.mp4 --headless --go --speech-log speech.log""",
    "workout": """examples:
  formcoach workout home_back --plan                 print the sets and exit
  formcoach workout home_back --level beginner
  formcoach workout home_back --source a.mp4 --source b.mp4 --headless --fast""",
    "exercises": """examples:
  formcoach exercises
  formcoach exercises --detail superman
  formcoach exercises --json > catalog.json""",
    "report": """examples:
  formcoach report formcoach-out/squat/report.json""",
    "history": """examples:
  formcoach history
  formcoach history -e superman --limit 10""",
    "progress": """examples:
  formcoach progress superman
  formcoach progress wall_squat --limit 20 -o wall_squat_progress.html""",
    "check-spec": """examples:
  formcoach check-spec my_specs/*.yaml
  formcoach --specs my_specs exercises --detail my_exercise""",
}


def _after_the_command(parser: argparse.ArgumentParser, sub) -> None:
    """Every command ends its help with examples and also accepts the global options after its name
    (`formcoach exercises --specs DIR` = `formcoach --specs DIR exercises`)."""
    globals_ = [a for a in parser._actions if a.option_strings and a.dest not in ("help", "version")]
    for name, command in sub.choices.items():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.epilog = EXAMPLES.get(name)
        taken = {s for a in command._actions for s in a.option_strings}
        for action in globals_:
            if taken.isdisjoint(action.option_strings):  # SUPPRESS: a value given before the command stays
                kwargs = {"dest": action.dest, "default": argparse.SUPPRESS, "help": f"{action.help} (also before the command)"}
                if action.nargs == 0:
                    command.add_argument(*action.option_strings, action="store_true", **kwargs)
                else:
                    command.add_argument(*action.option_strings, metavar=action.metavar, **kwargs)
