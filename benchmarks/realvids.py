"""The real-footage scoreboard: formcoach and a reference counter on ../shared/realvids, against its labels.

Never a test (the footage is not ours to ship); skips cleanly when the folder is absent. MediaPipe
runs once per clip; its landmarks are cached (keyed by file hash, model version and pose options)
in `$FORMCOACH_CACHE` (default `~/.cache/formcoach/realvids`), so a re-run takes seconds.

    .venv/bin/python benchmarks/realvids.py [--only deadlift,squat] [--clips a.mp4,b.mp4] [--jobs 2]
        [--as hip_hinge] [--every 3] [--pose-backend tasks] [--perturb mirror,crop-top]

`--every K` replays every K-th frame at its own time (a camera at a third of the frame rate for
K = 3): how far the counts hold when a webcam drops frames.

`--perturb MODE[,MODE...]` replays the clips as other cameras and rooms would film them (mirrored,
closer, tilted, dimmer, lower resolution; see PERTURBATIONS), or with someone else in the room (`bystander`:
the person of another real clip, moving as filmed, further back; see SCENES). The changed copies and their landmarks
are written once to `realvids-perturbed/MODE/` beside the landmark cache (never into the project). One
mode prints the full scoreboard; several print one robustness row each, beside the clips as filmed:
a mechanism that only fits these clips shows up there as a failure.

Prints one row per clip (labelled vs counted by formcoach and by the reference counter, faults,
holds, count confidence) and a summary: exact-count rate, within-one rate and MAE (|got - true| /
true, as RepCount defines it) over the clips with a firm labelled count; hold start/end errors;
for each expected fault the clips that raised it; the good-form clips that raised any fault. The
summary is split per exercise and per camera view.

The reference counter is the 40-line baseline the issue compares with: MediaPipe, one 2-D joint
angle on the more visible side, two fixed thresholds, no smoothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import csv
import math
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcoach.errors import FormcoachError  # noqa: E402
from formcoach.landmarks import LandmarkTrack, PoseOptions, cached_track  # noqa: E402
from formcoach.report_common import unchecked_cues  # noqa: E402
from formcoach.skeleton import Landmark  # noqa: E402
from formcoach.specs import get_spec  # noqa: E402

REALVIDS = REPO.parent / "shared" / "realvids"
CACHE = Path(os.environ.get("FORMCOACH_CACHE", Path.home() / ".cache" / "formcoach")) / "realvids"
PERTURBED = CACHE.parent / "realvids-perturbed"  # the changed copies, one folder per mode
#: Masks are always recorded so every spec can replay the same track (they do not change landmarks).
OPTIONS = PoseOptions(segmentation=True)

#: Clips labelled with an exercise the catalog does not have are analysed as the closest one: the
#: machine rear-delt fly (seated, facing the camera) moves the arms like a band pull-apart.
FALLBACK = {"reverse_fly": "band_pull_apart"}

#: The 36 clips with a firm count (issue 9): everything else is reported, not scored (loops of one
#: rep, flows, low-confidence labels).
FIRM = re.compile(r"^(divy_pull_up|formfit_squat\d?|formfit_deadlift|pal_goodmorning|tby_0016\w_\d|mv_\w+_\d\d)\.mp4$")
GOOD_FORM = re.compile(r"^(good|correct|neutral|acceptable)", re.I)
#: Label words → the cue id that names that fault (a hold cut short is not a shallow one).
FAULT_WORDS = {
    "hip-first": ("hips_first",),
    "hips high": ("hips_first",),
    "rounded": ("rounded_back",),
    "shallow": ("too_shallow",),
}

#: The reference counter: (joint triple, "down" below, "up" above) on the more visible side; for
#: a pull-up the elbow bends at the top, so "down" is the pulled position. Thresholds as a typical
#: tutorial counter sets them.
REFERENCE = {
    "squat": (("hip", "knee", "ankle"), 110.0, 150.0),
    "wall_squat": (("hip", "knee", "ankle"), 110.0, 150.0),
    "deadlift": (("shoulder", "hip", "knee"), 120.0, 160.0),
    "hip_hinge": (("shoulder", "hip", "knee"), 120.0, 160.0),
    "romanian_deadlift": (("shoulder", "hip", "knee"), 120.0, 160.0),
    "pull_up": (("shoulder", "elbow", "wrist"), 90.0, 150.0),
    "bent_over_row": (("shoulder", "elbow", "wrist"), 100.0, 150.0),
    "superman": (("shoulder", "hip", "knee"), 165.0, 175.0),
    "cobra": (("shoulder", "hip", "knee"), 150.0, 170.0),
    "band_pull_apart": (("elbow", "shoulder", "hip"), 60.0, 80.0),
}


def labelled_count(text: str) -> int | None:
    if "hold" in (text or "").lower():
        return None
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match else None


def labelled_hold(row: dict[str, str]) -> tuple[float, float] | None:
    """(start, end) seconds of a labelled hold, from the label text, or None."""
    text = row["true_reps"].lower()
    duration = float(row["duration_s"] or "nan")
    if "hold from" in text:
        start = float(re.search(r"from ~?([\d.]+)", text).group(1))
        return start, duration
    if "hold only last" in text:
        last = float(re.search(r"last ~?([\d.]+)", text).group(1))
        return duration - last, duration
    return None


def expected_faults(form: str) -> set[str]:
    form = form.lower()
    return {cue for word, cues in FAULT_WORDS.items() if word in form for cue in cues}


# ---- other cameras and rooms --------------------------------------------------------------------


def _crop(frame: np.ndarray, top: float = 0.0, bottom: float = 0.0, sides: float = 0.0) -> np.ndarray:
    """The frame without these fractions of its height (top, bottom) and of its width (each side)."""
    h, w = frame.shape[:2]
    return frame[int(h * top):h - int(h * bottom), int(w * sides):w - int(w * sides)]


def _tilt(frame: np.ndarray, degrees: float) -> np.ndarray:
    from formcoach._cv2 import cv2

    h, w = frame.shape[:2]
    return cv2.warpAffine(frame, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h))


def _dim(frame: np.ndarray, gain: float = 0.6, gamma: float = 2.2) -> np.ndarray:
    from formcoach._cv2 import cv2

    table = (255 * gain * (np.arange(256) / 255) ** gamma).astype(np.uint8)
    return cv2.LUT(frame, table)


def _height(frame: np.ndarray, height: int) -> np.ndarray:
    from formcoach._cv2 import cv2

    h, w = frame.shape[:2]
    return frame if h <= height else cv2.resize(frame, (w * height // h, height), interpolation=cv2.INTER_AREA)


#: Camera and room changes a clip is replayed under (`--perturb`). None changes the count or the form.
PERTURBATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mirror": lambda f: f[:, ::-1],  # filmed from the person's other side
    "crop-top": lambda f: _crop(f, top=0.15),  # a closer camera: heads and raised arms leave at the top
    "zoom": lambda f: _crop(f, top=0.1, bottom=0.1, sides=0.1),  # a closer camera: 80 % of the picture, every edge nearer
    "tilt": lambda f: _tilt(f, 6.0),  # a phone leaning 6 degrees on its stand
    "dim": _dim,  # a dim room: about a fifth of the brightness, shadows crushed
    "low-res": lambda f: _height(f, 360),  # a 360p webcam
}


class Bystander:
    """Someone else in the room, further back: the person of another real clip (cut out by its cached mask,
    moving as filmed) at 60 % of the lifter's height, in the half of the picture the lifter is not in."""

    DONORS = ("pal_goodmorning.mp4", "tby_0016a_1.mp4")  # the second one when the clip is the first

    def __init__(self, video: Path) -> None:
        from formcoach._cv2 import cv2

        donor = REALVIDS / next(d for d in self.DONORS if d != video.name)
        self.track = cached_track(donor, OPTIONS, CACHE)
        own = cached_track(REALVIDS / video.name, OPTIONS, CACHE)
        hips = own.xy[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 0] / own.image_size[0]
        self.x = 0.15 if np.nanmedian(hips) > 0.5 else 0.85  # centre of the bystander, share of the width
        y = own.xy[own.detected, :, 1]
        self.height = 0.6 * float(np.percentile(np.nanmax(y, axis=1) - np.nanmin(y, axis=1), 90))  # of the lifter, px
        self.feet = float(np.median(np.nanmax(y, axis=1))) - 0.1 * self.height  # a little further back
        self.capture, self.donor, self.i = cv2.VideoCapture(str(donor)), donor, 0

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        from formcoach._cv2 import cv2

        ok, picture = self.capture.read()
        if not ok:  # loop the donor clip
            self.capture.release()
            self.capture, self.i = cv2.VideoCapture(str(self.donor)), 0
            ok, picture = self.capture.read()
        i, self.i = self.i, self.i + 1
        if not ok or self.track.masks is None or i >= len(self.track):
            return frame
        mask = cv2.resize(self.track.masks[i], picture.shape[1::-1]) >= 128
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            return frame
        top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        h, w = frame.shape[:2]
        scale = self.height / (bottom - top)
        person = cv2.resize(picture[top:bottom, left:right], None, fx=scale, fy=scale)
        keep = cv2.resize(mask[top:bottom, left:right].astype(np.uint8), person.shape[1::-1]) > 0
        y0, x0 = int(self.feet) - person.shape[0], int(self.x * w) - person.shape[1] // 2
        ys, xs = slice(max(y0, 0), min(y0 + person.shape[0], h)), slice(max(x0, 0), min(x0 + person.shape[1], w))
        part = (slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0))
        out = frame.copy()
        out[ys, xs][keep[part]] = person[part][keep[part]]
        return out


#: Scenes that need the clip itself to be built (per clip, stateful): name -> factory.
SCENES: dict[str, Callable[[Path], Callable[[np.ndarray], np.ndarray]]] = {
    "bystander": Bystander,  # someone else walks and bends in the background
}


def perturbed_copy(video: Path, mode: str) -> Path:
    """The clip as `mode` films it: written once under PERTURBED (same frames, same frame rate)."""
    from formcoach._cv2 import cv2

    out = PERTURBED / mode / video.name
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    change = SCENES[mode](video) if mode in SCENES else PERTURBATIONS[mode]
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    partial = out.with_suffix(".part.mp4")
    writer = None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frame = np.ascontiguousarray(change(frame))
        h, w = frame.shape[:2]
        frame = frame[: h - h % 2, : w - w % 2]  # even sizes for the encoder
        if writer is None:
            writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"mp4v"), fps, frame.shape[1::-1])
        writer.write(frame)
    capture.release()
    if writer is None:
        raise FormcoachError(f"{video}: no frames could be read")
    writer.release()
    os.replace(partial, out)
    return out


# ---- the reference counter ---------------------------------------------------------------------


def reference_count(track: LandmarkTrack, exercise: str) -> int | None:
    """Reps by the baseline counter: 2-D angle on the more visible side, two thresholds."""
    if exercise not in REFERENCE:
        return None
    (a, b, c), down, up = REFERENCE[exercise]
    sides = {s: [Landmark[f"{s}_{n}".upper()] for n in (a, b, c)] for s in ("left", "right")}
    count, state = 0, None
    for i in range(len(track)):
        side = max(sides, key=lambda s: float(np.sum(track.visibility[i, sides[s]])))
        p = track.xy[i, sides[side]]
        if not np.isfinite(p).all():
            continue
        v1, v2 = p[0] - p[1], p[2] - p[1]
        angle = math.degrees(math.atan2(abs(v1[0] * v2[1] - v1[1] * v2[0]), float(v1 @ v2)))
        if angle < down:
            state = "down"
        elif angle > up:
            count += state == "down"
            state = "up"
    return count


# ---- one clip ----------------------------------------------------------------------------------


@dataclass
class ClipScore:
    file: str
    exercise: str
    view: str
    form: str
    true_reps: int | None
    firm: bool
    got: int | None = None
    ref: int | None = None
    partials: int = 0
    confidence: str = ""
    faults: set[str] = field(default_factory=set)
    expected: set[str] = field(default_factory=set)
    not_judged: set[str] = field(default_factory=set)  # cues left unjudged long enough for the report to say so
    holds: list[tuple[float, float]] = field(default_factory=list)
    hold_label: tuple[float, float] | None = None
    views_seen: str = ""
    detected: float = 0.0
    ms_per_frame: float = 0.0
    error: str = ""


def _view_family(text: str) -> str:
    text = text.lower()
    for word in ("front-oblique", "oblique", "rear", "front", "side"):
        if word in text:
            return "oblique" if "oblique" in word else word
    return "other"


def score_clip(row: dict[str, str], as_exercise: str | None = None, every: int = 1,
               perturb: str | None = None) -> ClipScore:
    from formcoach.session import analyse_track

    exercise = as_exercise or row["formcoach_exercise"]
    score = ClipScore(
        file=row["file"], exercise=exercise, view=_view_family(row["camera_view"]), form=row["form"],
        true_reps=labelled_count(row["true_reps"]), firm=bool(FIRM.match(row["file"])),
        expected=expected_faults(row["form"]), hold_label=labelled_hold(row),
    )
    try:
        spec = get_spec(FALLBACK.get(exercise, exercise)) if exercise in FALLBACK else get_spec(exercise)
    except FormcoachError as exc:
        score.error = str(exc)
        return score
    video = REALVIDS / row["file"]
    if perturb:  # a cache of its own: the cache keeps one track per clip name and would drop the clip's own
        video, cache = perturbed_copy(video, perturb), PERTURBED / perturb / "landmarks"
    else:
        cache = CACHE
    track = cached_track(video, OPTIONS, cache).every(every)
    start = time.perf_counter()
    record = analyse_track(track, spec, source_name=row["file"])
    score.ms_per_frame = 1000 * (time.perf_counter() - start) / max(len(track), 1)
    score.got = len(record.reps) if spec.reps else None
    score.partials = len(record.partial_reps)
    score.ref = reference_count(track, spec.id)
    score.faults = {f.cue for f in record.faults}
    score.not_judged = set(unchecked_cues({"not_judged": [dataclasses.asdict(n) for n in record.not_judged]}))
    score.holds = [(h.start_s, h.end_s) for h in record.holds]
    conf = record.count_confidence
    score.confidence = "" if conf is None else (conf.level.value if conf.level.value == "high" else f"low ({conf.cycles})")
    if record.views:
        total = sum(record.views.values())
        score.views_seen = " ".join(f"{v}{100 * n // total}" for v, n in sorted(record.views.items(), key=lambda kv: -kv[1]))
    score.detected = record.frames_with_pose / max(record.frames_total, 1)
    return score


# ---- summary -----------------------------------------------------------------------------------


def count_stats(scores: list[ClipScore], attr: str) -> str:
    pairs = [(s.true_reps, getattr(s, attr)) for s in scores if s.firm and s.true_reps and getattr(s, attr) is not None]
    if not pairs:
        return "-"
    exact = sum(t == g for t, g in pairs)
    within = sum(abs(t - g) <= 1 for t, g in pairs)
    mae = float(np.mean([abs(g - t) / t for t, g in pairs]))
    return f"exact {exact}/{len(pairs)} ({exact / len(pairs):.0%}), ±1 {within}/{len(pairs)}, MAE {mae:.3f}"


def print_rows(scores: list[ClipScore]) -> None:
    print("| clip | view (seen) | form | true | formcoach | ref | partial | conf | faults | not judged | holds (s) | det |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in scores:
        if s.error:
            print(f"| {s.file} | {s.view} | | | ({s.error}) | | | | | | | |")
            continue
        mark = "" if not s.firm else (" ✓" if s.got == s.true_reps else " ✗")
        holds = ", ".join(f"{a:.1f}-{b:.1f}" for a, b in s.holds) or "-"
        print(
            f"| {s.file} | {s.view} ({s.views_seen}) | {s.form[:24]} | {s.true_reps if s.true_reps is not None else '-'} | "
            f"{s.got if s.got is not None else '-'}{mark} | {s.ref if s.ref is not None else '-'} | {s.partials} | {s.confidence} | "
            f"{', '.join(sorted(s.faults)) or '-'} | {', '.join(sorted(s.not_judged)) or '-'} | {holds} | {s.detected:.0%} |"
        )


def wrong_counts(scores: list[ClipScore]) -> tuple[list[ClipScore], list[ClipScore]]:
    """(clips with a firm count, those counted wrong)."""
    firm = [s for s in scores if s.firm and s.got is not None and s.true_reps is not None]
    return firm, [s for s in firm if s.got != s.true_reps]


def false_alarms(scores: list[ClipScore]) -> tuple[list[ClipScore], list[ClipScore]]:
    """(good-form clips, those that raised a fault)."""
    good = [s for s in scores if GOOD_FORM.match(s.form.strip())]
    return good, [s for s in good if s.faults]


def flawed_called_clean(scores: list[ClipScore]) -> tuple[list[ClipScore], list[ClipScore]]:
    """(flawed clips, those reported as clean form with every cue judged)."""
    bad = [s for s in scores if s.form.upper().startswith("FLAWED")]
    return bad, [s for s in bad if not s.faults and not s.not_judged]


def print_summary(scores: list[ClipScore]) -> None:
    scores = [s for s in scores if not s.error]
    print("\n## Summary")
    print(f"- counting, formcoach: {count_stats(scores, 'got')}")
    print(f"- counting, reference: {count_stats(scores, 'ref')}")
    worse = [s.file for s in scores if s.firm and s.got is not None and s.ref is not None and s.true_reps
             and abs(s.got - s.true_reps) > abs(s.ref - s.true_reps)]
    print(f"- clips where formcoach is further from the label than the reference: {', '.join(worse) or 'none'}")
    low = [s.file for s in scores if s.confidence.startswith("low")]
    print(f"- counts marked low-confidence: {', '.join(low) or 'none'}")
    firm, wrong = wrong_counts(scores)
    flagged = [s for s in wrong if s.confidence.startswith("low")]
    false_low = [s for s in firm if s.got == s.true_reps and s.confidence.startswith("low")]
    print(f"- wrong counts flagged low-confidence: {len(flagged)}/{len(wrong)}; right counts flagged low: {len(false_low)}/{len(firm) - len(wrong)}")
    for key, title in (("exercise", "per exercise"), ("view", "per camera view")):
        print(f"\n| {title} | clips | formcoach | reference |\n|---|---|---|---|")
        for value in sorted({getattr(s, key) for s in scores if s.firm}):
            group = [s for s in scores if getattr(s, key) == value]
            n = sum(1 for s in group if s.firm)
            print(f"| {value} | {n} | {count_stats(group, 'got')} | {count_stats(group, 'ref')} |")
    print("\n| expected fault | clips | raised | not judged there | missed |\n|---|---|---|---|---|")
    for cue in sorted({c for s in scores for c in s.expected}):
        group = [s for s in scores if cue in s.expected]
        raised = [s.file for s in group if cue in s.faults]  # that fault, not another one of the clip's
        unjudged = [s.file for s in group if s.file not in raised and cue in s.not_judged]
        missed = [s.file for s in group if s.file not in raised and s.file not in unjudged]
        print(f"| {cue} | {len(group)} | {len(raised)} | {len(unjudged)} | {', '.join(missed) or '-'} |")
    good, alarms = false_alarms(scores)
    print(f"\n- good-form clips: {len(good)}; with a fault raised (false alarms): {len(alarms)}")
    for s in alarms:
        print(f"  - {s.file} ({', '.join(sorted(s.faults))})")
    bad, clean = flawed_called_clean(scores)
    print(f"- flawed clips: {len(bad)}; reported as clean with every cue judged: {', '.join(s.file for s in clean) or 'none'}")
    for s in scores:
        if s.hold_label is not None:
            longest = max(s.holds, key=lambda h: h[1] - h[0]) if s.holds else None
            if longest is None:
                print(f"- hold {s.file}: labelled {s.hold_label[0]:.1f}-{s.hold_label[1]:.1f} s, none timed")
            else:
                print(f"- hold {s.file}: labelled {s.hold_label[0]:.1f}-{s.hold_label[1]:.1f} s, timed "
                      f"{longest[0]:.1f}-{longest[1]:.1f} s (start {longest[0] - s.hold_label[0]:+.1f}, end "
                      f"{longest[1] - s.hold_label[1]:+.1f}); faults {', '.join(sorted(s.faults)) or '-'}")


def print_robustness(runs: list[tuple[str, list[ClipScore]]]) -> None:
    """One row per way of filming: counts, the wrong ones (and whether they were flagged), false alarms."""
    print("| filmed | formcoach | reference | wrong counts (flagged low) | false alarms | flawed called clean |")
    print("|---|---|---|---|---|---|")
    for name, scores in runs:
        scores = [s for s in scores if not s.error]
        _, wrong = wrong_counts(scores)
        flagged = sum(s.confidence.startswith("low") for s in wrong)
        good, alarms = false_alarms(scores)
        bad, clean = flawed_called_clean(scores)
        print(f"| {name} | {count_stats(scores, 'got')} | {count_stats(scores, 'ref')} | "
              f"{', '.join(f'{s.file[:-4]} {s.got}' for s in wrong) or '-'} ({flagged}/{len(wrong)}) | "
              f"{', '.join(f'{s.file[:-4]} ' + '+'.join(sorted(s.faults)) for s in alarms) or '-'} ({len(alarms)}/{len(good)}) | "
              f"{', '.join(s.file[:-4] for s in clean) or '-'} ({len(clean)}/{len(bad)}) |")


def _score_job(args: tuple[dict[str, str], str | None, int, str | None]) -> ClipScore:
    return score_clip(*args)


def score_all(rows: list[dict[str, str]], as_exercise: str | None, every: int, perturb: str | None,
              jobs: int) -> list[ClipScore]:
    work = [(row, as_exercise, every, perturb) for row in rows]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            return list(pool.map(_score_job, work))
    return [_score_job(w) for w in work]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated exercise ids from labels.csv")
    parser.add_argument("--clips", help="comma-separated file names (or name prefixes)")
    parser.add_argument("--as", dest="as_exercise", help="analyse every clip as this exercise id")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="clips analysed at once")
    parser.add_argument("--every", type=int, default=1, metavar="K",
                        help="keep every K-th frame, at its own time: the clips as a camera at 1/K of their frame rate sees them")
    parser.add_argument("--pose-backend", choices=("auto", "legacy", "tasks"), help="pose model API (its landmarks cached apart)")
    parser.add_argument("--perturb", metavar="MODE[,MODE...]",
                        help=f"replay the clips as other cameras film them: {', '.join([*PERTURBATIONS, *SCENES])}, or all")
    args = parser.parse_args()
    if args.every < 1:
        parser.error(f"--every must be 1 or more, got {args.every}")
    choices = [*PERTURBATIONS, *SCENES]
    modes = [] if not args.perturb else choices if args.perturb == "all" else args.perturb.split(",")
    unknown = [m for m in modes if m not in choices]
    if unknown:
        parser.error(f"unknown --perturb {', '.join(unknown)}; choose from {', '.join(choices)} or all")
    if args.pose_backend:  # read by PoseOptions' "auto" in this process and the workers (cache key and recording)
        os.environ["FORMCOACH_POSE_BACKEND"] = args.pose_backend
    if not (REALVIDS / "labels.csv").exists():
        print(f"skip: {REALVIDS} not present")
        return 0
    rows = list(csv.DictReader((REALVIDS / "labels.csv").open()))
    if args.only:
        rows = [r for r in rows if r["formcoach_exercise"] in args.only.split(",")]
    if args.clips:
        rows = [r for r in rows if any(r["file"].startswith(c) for c in args.clips.split(","))]
    start = time.perf_counter()
    runs = [(mode or "as filmed", score_all(rows, args.as_exercise, args.every, mode, args.jobs))
            for mode in ([None] if len(modes) != 1 else []) + modes]
    if len(runs) == 1:
        print_rows(runs[0][1])
        print_summary(runs[0][1])
    else:
        print_robustness(runs)
    filmed = f" x {len(runs)} ways of filming" if len(runs) > 1 else ""
    where = f"{CACHE}" + (f", the changed clips in {PERTURBED}" if modes else "")
    print(f"\n({len(rows)} clips{filmed} in {time.perf_counter() - start:.0f} s; landmarks cached in {where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
