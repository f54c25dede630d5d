"""Camera setup assistant: is the person lit, in the picture, whole, and seen from the right view?

`SetupCheck(spec).update(t, frame, stats) -> SetupState` judges one frame at a time on the source
clock; problems are debounced (raise and clear with delays) and `ready` needs the setup right for
`stable_s` without a break. Pure analysis: numpy only, no cv2, no mediapipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from formcoach.core import PoseFrame, Side
from formcoach.points import side_for
from formcoach.skeleton import Landmark
from formcoach.specs import ExerciseSpec
from formcoach.view import SideTracker, ViewTracker


class ProblemCode(str, Enum):
    """What is wrong with the setup, in the order the user should fix it (first = most urgent)."""

    TOO_DARK = "too_dark"
    NO_PERSON = "no_person"
    OUT_OF_FRAME = "out_of_frame"
    WRONG_VIEW = "wrong_view"
    HIDDEN = "hidden"


_ORDER = {code: i for i, code in enumerate(ProblemCode)}

#: Body-part words for messages, by unsided part name ("foot_index" -> "feet").
_PART_WORDS = {
    "nose": "head", "eye": "head", "eye_inner": "head", "eye_outer": "head", "ear": "head", "mouth": "head",
    "shoulder": "shoulders", "elbow": "arms", "wrist": "hands", "pinky": "hands", "index": "hands", "thumb": "hands",
    "hip": "hips", "knee": "knees", "ankle": "feet", "heel": "feet", "foot_index": "feet",
}
#: Parts named first when several are out (extremities are what usually gets cut off).
_PART_ORDER = ("feet", "head", "hands", "knees", "arms", "hips", "shoulders")


@dataclass(frozen=True, slots=True)
class ImageStats:
    """Cheap numbers about the camera image, computed by the caller once per frame.

    Attributes:
        brightness: mean grey level of the image, 0..255.
    """

    brightness: float


def image_stats(image_bgr: np.ndarray, step: int = 8) -> ImageStats:
    """`ImageStats` of a BGR image (H, W, 3) uint8, from every `step`-th pixel (about 0.1 ms at 720p)."""
    small = np.asarray(image_bgr[::step, ::step], dtype=np.float32)
    if small.ndim == 2:
        return ImageStats(float(small.mean()))
    grey = small[..., 0] * 0.114 + small[..., 1] * 0.587 + small[..., 2] * 0.299  # BT.601 luma
    return ImageStats(float(grey.mean()))


@dataclass(frozen=True, slots=True)
class SetupProblem:
    """One thing to fix. `message` is what the user is told; `parts` names the body parts concerned;
    `blocks`: counting waits until it is fixed (a wrong view does not hold up a spec that counts in 3-D:
    there the view only decides which form checks can be made)."""

    code: ProblemCode
    message: str
    parts: tuple[str, ...] = ()
    blocks: bool = True


@dataclass(frozen=True, slots=True)
class SetupState:
    """The setup after one frame.

    Attributes:
        t: source time, seconds.
        ready: the setup has been right for `stable_s` (and no problem is showing since).
        problems: debounced problems, most urgent first (empty when nothing is wrong).
        view: tracked camera view ("side", "front", "oblique") or None when unknown.
        side: the side nearer the camera ("left"/"right").
        good_for_s: how long the setup has been right without a break, seconds.
    """

    t: float
    ready: bool
    problems: tuple[SetupProblem, ...]
    view: str | None
    side: str
    good_for_s: float

    @property
    def message(self) -> str:
        """The one line to show or say now ("" when there is nothing to fix)."""
        return self.problems[0].message if self.problems else ""


@dataclass(frozen=True, slots=True)
class SetupConfig:
    """Thresholds of the setup check.

    Attributes:
        margin: landmarks must lie this fraction of the image size inside its edges.
        min_visibility: MediaPipe visibility a needed landmark must reach (0..1).
        dark_below: mean brightness (0..255) under which the room is too dark.
        light_again_above: brightness that clears "too dark" again (level hysteresis).
        no_person_after_s: seconds without a pose before "step into the picture".
        raise_after_s: a problem must be seen this long before it is shown, seconds.
        clear_after_s: a shown problem goes only after this long unseen, seconds.
        stable_s: the setup must be right this long without a break before `ready`, seconds.
    """

    margin: float = 0.02
    min_visibility: float = 0.5
    dark_below: float = 40.0
    light_again_above: float = 50.0
    no_person_after_s: float = 1.0
    raise_after_s: float = 0.5
    clear_after_s: float = 0.7
    stable_s: float = 1.5


@dataclass(frozen=True, slots=True)
class _Need:
    """A body point a metric needs: satisfied when any one of `landmarks` is in the picture and visible."""

    part: str  # unsided part name, e.g. "knee"
    landmarks: tuple[Landmark, ...]


@dataclass
class _Track:
    """Debounce state of one problem key."""

    first: float
    last: float
    problem: SetupProblem
    shown: bool = False


@dataclass
class _Debouncer:
    """Shows a problem after it was seen for `raise_after`; hides it after `clear_after` unseen.

    Sightings separated by gaps shorter than `clear_after` count as one run, so a problem detected
    on every other frame is still shown and a shown one does not blink.
    """

    raise_after: dict[ProblemCode, float]
    clear_after: float
    tracks: dict[tuple[ProblemCode, tuple[str, ...]], _Track] = field(default_factory=dict)

    def update(self, t: float, seen: list[SetupProblem]) -> tuple[SetupProblem, ...]:
        for p in seen:
            key = (p.code, p.parts)
            track = self.tracks.get(key)
            if track is None or t - track.last > self.clear_after:
                self.tracks[key] = _Track(first=t, last=t, problem=p)
            else:
                track.last, track.problem = t, p
        for key, track in list(self.tracks.items()):
            if t - track.last > self.clear_after:
                del self.tracks[key]
            elif track.last - track.first >= self.raise_after[track.problem.code] - 1e-9:
                track.shown = True
        shown = [tr.problem for tr in self.tracks.values() if tr.shown]
        return tuple(sorted(shown, key=lambda p: (_ORDER[p.code], p.parts)))


class SetupCheck:
    """Judges the camera setup for one exercise spec, frame by frame (source clock).

    Checks: light (image brightness), a person at all, the landmarks the spec's metrics need
    inside the picture and visible, and the camera view against `spec.views`.
    """

    def __init__(self, spec: ExerciseSpec, config: SetupConfig | None = None) -> None:
        self.spec = spec
        self.config = config or SetupConfig()
        self.views = ViewTracker()
        self.sides = SideTracker(spec.side)
        self._counting = spec.counting_metrics  # parts only the other metrics need do not hold up counting
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        self.views.reset()
        self.sides.reset()
        raise_after = {code: cfg.raise_after_s for code in ProblemCode}
        raise_after[ProblemCode.NO_PERSON] = cfg.no_person_after_s
        self._debounce = _Debouncer(raise_after, cfg.clear_after_s)
        self._dark = False
        self._good_since: float | None = None
        self._ready = False

    def update(self, t: float, frame: PoseFrame | None, stats: ImageStats | None = None) -> SetupState:
        """Judge one frame at source time `t` (seconds); `frame` None = no person detected."""
        view = self.views.update(frame)
        side = self.sides.update(frame)
        seen = self._problems(frame, stats, view, side)
        shown = self._debounce.update(t, seen)
        if any(p.blocks for p in seen) or frame is None:
            self._good_since = None
        elif self._good_since is None:
            self._good_since = t
        good_for = 0.0 if self._good_since is None else t - self._good_since
        if any(p.blocks for p in shown):
            self._ready = False
        elif good_for >= self.config.stable_s - 1e-9:
            self._ready = True
        return SetupState(t=t, ready=self._ready, problems=shown, view=view, side=side, good_for_s=good_for)

    # -- the checks, on one frame --

    def _problems(self, frame: PoseFrame | None, stats: ImageStats | None, view: str | None, side: str) -> list[SetupProblem]:
        out: list[SetupProblem] = []
        if stats is not None and self._is_dark(stats.brightness):
            out.append(SetupProblem(ProblemCode.TOO_DARK, "More light, please"))
        if frame is None:
            out.append(SetupProblem(ProblemCode.NO_PERSON, "Step into the picture"))
            return out
        out += self._framing(frame, side)
        wrong = self._view_problem(view, side)
        if wrong is not None:
            out.append(wrong)
        return out

    def _is_dark(self, brightness: float) -> bool:
        limit = self.config.light_again_above if self._dark else self.config.dark_below
        self._dark = brightness < limit
        return self._dark

    def _framing(self, frame: PoseFrame, side: str) -> list[SetupProblem]:
        """Needed body parts outside the picture (with the edges they cross) or hidden."""
        cfg = self.config
        w, h = frame.image_size
        lo = np.array([cfg.margin * w, cfg.margin * h])
        hi = np.array([(1 - cfg.margin) * w, (1 - cfg.margin) * h])
        out_parts: list[str] = []
        hidden_parts: list[str] = []
        edges: set[str] = set()
        counting = needed_points(self.spec, side, self._counting)
        for_checks: list[str] = []  # parts only form checks need: reps and holds are measured without them
        for need in needed_points(self.spec, side):
            pts = frame.xy[list(need.landmarks)]  # (k, 2) pixels
            finite = np.all(np.isfinite(pts), axis=1)
            inside = finite & np.all((pts >= lo) & (pts <= hi), axis=1)
            visible = frame.visibility[list(need.landmarks)] >= cfg.min_visibility
            if np.any(inside & visible):
                continue
            word = _PART_WORDS.get(need.part, need.part.replace("_", " "))
            if need not in counting:
                for_checks.append(word)
                continue
            if np.any(finite & ~inside):
                out_parts.append(word)
                for p in pts[finite & ~inside]:
                    edges |= {e for e, off in (("left", p[0] < lo[0]), ("right", p[0] > hi[0]),
                                               ("top", p[1] < lo[1]), ("bottom", p[1] > hi[1])) if off}
            else:
                hidden_parts.append(word)
        problems: list[SetupProblem] = []
        if out_parts:
            parts = _name_parts(out_parts)
            sideways_only = edges <= {"left"} or edges <= {"right"}
            action = "Move to the middle of the picture" if sideways_only else "Step back"
            problems.append(SetupProblem(ProblemCode.OUT_OF_FRAME, f"{action}: your {_say(parts)} out of the picture", parts))
        if hidden_parts:
            parts = _name_parts(hidden_parts)
            problems.append(SetupProblem(ProblemCode.HIDDEN, f"I can't see your {_join(parts)}: clear the view", parts))
        if for_checks and not problems:  # a plate hiding the feet of a deadlift: counted anyway, some checks not
            parts = _name_parts(for_checks)
            problems.append(SetupProblem(ProblemCode.HIDDEN, f"For the form checks, I need to see your {_join(parts)}",
                                         parts, blocks=False))
        return problems

    def _view_problem(self, view: str | None, side: str) -> SetupProblem | None:
        problem = self._turn(view, side)
        if problem is None or not self.spec.counts_in_any_view:
            return problem
        advice = "For the form checks, " + problem.message[0].lower() + problem.message[1:]
        return SetupProblem(problem.code, advice, problem.parts, blocks=False)  # reps count from here too

    def _turn(self, view: str | None, side: str) -> SetupProblem | None:
        """Which way to turn for the spec's views (None: the view is right, or not known yet)."""
        wanted = self.spec.views
        if view is None or view in wanted:
            return None
        if "side" in wanted:
            turn_to: str | None
            if self.spec.side in ("left", "right"):
                turn_to = self.spec.side
            elif view == "oblique":
                turn_to = side  # already half-turned: finish the turn the same way
            else:
                turn_to = None
            if view == "oblique":
                text = f"Turn a little more, so your {turn_to} side faces the camera"
            elif turn_to:
                text = f"Turn so your {turn_to} side faces the camera"
            else:
                text = "Turn sideways, so your side faces the camera"
            return SetupProblem(ProblemCode.WRONG_VIEW, text, (view,))
        if "front" in wanted:
            return SetupProblem(ProblemCode.WRONG_VIEW, "Face the camera", (view,))
        return SetupProblem(ProblemCode.WRONG_VIEW, "Turn halfway towards the camera", (view,))


def needed_points(spec: ExerciseSpec, side: str, metrics: frozenset[str] | None = None) -> list[_Need]:
    """The body points the spec's landmark metrics use (or those of `metrics`), resolved for the near `side`.

    Metrics that average or pick between sides (`mean`, `max`, `min`, `pick`) and midpoints
    (`mid_hip`) are satisfied by either side.
    """
    needs: dict[tuple[str, tuple[Landmark, ...]], _Need] = {}
    near = Side(side)
    for m in spec.metrics.values():
        if metrics is not None and m.name not in metrics:
            continue
        metric_side = side_for(m.side, near)  # None: either side will do
        for name in m.points:
            lms = name.needed(metric_side or near, either=metric_side is None)
            needs.setdefault((name.part, lms), _Need(name.part, lms))
    return list(needs.values())


def _name_parts(words: list[str]) -> tuple[str, ...]:
    """At most two distinct part words, extremities first."""
    unique = sorted(set(words), key=lambda w: _PART_ORDER.index(w) if w in _PART_ORDER else len(_PART_ORDER))
    return tuple(unique[:2])


def _join(parts: tuple[str, ...]) -> str:
    return " and ".join(parts)


def _say(parts: tuple[str, ...]) -> str:
    """"feet are" / "head is" / "head and hands are"."""
    verb = "is" if parts == ("head",) else "are"
    return f"{_join(parts)} {verb}"

