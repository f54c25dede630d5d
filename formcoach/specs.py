"""Exercise specs: YAML → validated, frozen spec objects. The schema lives here and only here.

Every error names the file, the key path, what was expected and what was found. Unknown keys
are errors (they are usually typos). Imports neither cv2 nor mediapipe.
See docs/spec_format.md for the format with examples.
"""

from __future__ import annotations

import builtins
import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, NoReturn

import yaml

from formcoach.errors import SpecError
from formcoach.holds import HoldRule
from formcoach.resources import DataKind, search_dirs, shipped_dir, user_dirs, yaml_files
from formcoach.reps import RepRule
from formcoach.skeleton import MIDPOINT_PREFIX, SIDED_PARTS, landmark_names

VIEWS = ("side", "front", "oblique")
SIDE_POLICIES = ("auto", "left", "right")
METRIC_SIDES = ("auto", "left", "right", "other", "mean", "max", "min")
WHEN = ("always", "during_rep", "at_start", "at_target", "during_hold", "rep_end")
AGGREGATES = ("min", "max", "range", "mean", "median", "lead")
DURING = ("rep", "target")
SEVERITIES = ("info", "warning", "error")
#: How a side view tells which way the person faces: "feet" (toes ahead of heels, else nose ahead of
#: ears; standing work) or "head" (the hip->shoulder line points forward; prone, all fours, plank).
FACING_FROM = ("feet", "head")
METRIC_KINDS = ("angle", "inclination", "elevation", "distance", "offset", "asymmetry", "range", "back_curvature")
OTHER_PREFIX = "other_"
#: Validation limits (docs/spec_format.md): every number is finite and within these.
MAX_MAGNITUDE = 1e6  # thresholds (degrees, ratios, torso lengths)
MAX_SECONDS = 3600.0  # any duration
MAX_COUNT = 10_000  # sets, reps, frames
MAX_SPEC_BYTES = 1_000_000

_SINGLE_LANDMARKS = frozenset(n for n in landmark_names() if not n.startswith(("left_", "right_")))
_SIDED_NAMES = frozenset(n for n in landmark_names() if n.startswith(("left_", "right_")))


# ---- spec objects ------------------------------------------------------------------------------


def _default(cls: Any, name: str) -> Any:
    """A dataclass field's default: defaults live on the dataclasses, the parser reads them there."""
    return cls.__dataclass_fields__[name].default


@dataclass(frozen=True, slots=True)
class SidePick:
    """Label-agnostic side choice: take the side whose metric `by` is the max/min this frame."""

    pick: str  # "max" | "min"
    by: str  # metric name (evaluated per side)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One named measurement. `points` are landmark names as written in the spec."""

    name: str
    kind: str
    points: tuple[str, ...] = ()
    reference: str = "vertical"  # inclination: vertical | horizontal
    axis: str = "y"  # offset: x | y | forward
    facing: str = "feet"  # offset forward / back_curvature: which way the person faces, from the feet or the head
    normalize: bool = True  # distance/offset: divide by torso length
    of: str | None = None  # asymmetry/range: the metric it is computed from
    window_s: float | None = None  # range: sliding window length
    over: str | None = None  # range: "rep" | "hold" instead of a window
    side: str | SidePick = "auto"
    baseline_metric: str | None = None  # back_curvature: metric that says "upright"
    baseline_max: float | None = None  # back_curvature: upright when baseline_metric <= this
    baseline_frames: int = 15  # back_curvature: upright frames averaged for the baseline
    baseline_keep: str = "latest"  # back_curvature: "latest" frames (rolling) or the "first" ones (set-up)
    baseline_max_spread: float | None = None  # back_curvature: not judged while the upright outline wobbles more (IQR)
    smooth_frames: int = 1  # running median over this many frames (noisy metrics such as masks)
    space: str = "image"  # angle/inclination: "image" (pixels) or "world" (MediaPipe's metric 3-D landmarks)
    unit: str = "deg"
    display_name: str = ""  # what people read ("Trunk lean"); empty: the name with spaces

    @property
    def label(self) -> str:
        """Human name for screens and reports."""
        return self.display_name or self.name.replace("_", " ").capitalize()

    @property
    def sided(self) -> bool:
        """True when the points include unsided part names that the side policy resolves."""
        return any(_strip_other(p) in SIDED_PARTS for p in self.points)


@dataclass(frozen=True, slots=True)
class Condition:
    """`min <= metric <= max` (either bound optional)."""

    metric: str
    min: float | None = None
    max: float | None = None
    label: str | None = None  # human words for what broke, e.g. "legs lowered"

    def holds(self, value: float) -> bool | None:
        """True/False, or None when the value is NaN (cannot be judged)."""
        if value != value:  # NaN
            return None
        return not ((self.min is not None and value < self.min) or (self.max is not None and value > self.max))


@dataclass(frozen=True, slots=True)
class CueSpec:
    """A form rule: when it applies, what good looks like, what to say when it is broken."""

    id: str
    say: str
    when: str
    condition: Condition
    severity: str = "warning"
    aggregate: str | None = None  # for when=rep_end: min | max | range | mean | median over the rep
    during: str = "rep"  # for when=rep_end: aggregate over the whole rep, or only its frames in the target zone
    against: str | None = None  # for of=lead: the metric that `condition.metric` must not run ahead of
    persist_s: float = 0.2  # a violation must last this long to count (noise guard)
    views: tuple[str, ...] = ()  # empty = the spec's views
    short: str = ""  # spoken form (<= 2 s); empty: `say` is spoken
    template: tuple[str, str] = ("", "")  # `say` and `short` as written, with {placeholders} (see render_texts)


@dataclass(frozen=True, slots=True)
class RepFallback:
    """A second metric that drives the reps while the rep metric cannot be measured.

    Its own `start`/`target` map it onto the rep metric's range (progress 0 at start, 1 at target),
    e.g. a squat counted on the hip angle while the ankles are out of the picture.
    """

    metric: str
    start: float
    target: float

    def progress(self, value: float) -> float:
        return (value - self.start) / (self.target - self.start)


@dataclass(frozen=True, slots=True)
class RepsSpec:
    rule: RepRule
    start_requires: tuple[Condition, ...] = ()  # the start zone also needs these (e.g. arms straight)
    fallback: RepFallback | None = None  # used on frames where the rep metric is not measurable


@dataclass(frozen=True, slots=True)
class HoldSpec:
    rule: HoldRule
    posture: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Defaults:
    """The article's prescription."""

    sets: int = 1
    reps: int | None = None
    hold_s: float | None = None
    rest_s: float = 60.0
    per_side: bool = False


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    id: str
    name: str
    source: str
    path: str
    views: tuple[str, ...]
    side: str
    metrics: Mapping[str, MetricSpec]
    cues: tuple[CueSpec, ...]
    reps: RepsSpec | None
    hold: HoldSpec | None
    defaults: Defaults
    description: str = ""
    camera: str = ""
    tips: tuple[str, ...] = ()
    levels: Mapping[str, Defaults] = field(default_factory=dict)
    #: rep and hold rule cue id -> (say, short) as written; `spoken` holds them rendered (cue id -> words)
    templates: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    spoken: Mapping[str, str] = field(default_factory=dict)
    display: tuple[str, ...] = ()  # metrics the overlay shows (1–3)
    level: str | None = None  # the level applied by `at_level` (reports say which targets were in force)

    def with_hold_target(self, target_s: float) -> ExerciseSpec:
        """The same exercise with another hold target (a level or a routine's dose); texts that say the
        target ({hold_s}) are rendered again, so screen and voice name the target in force."""
        if self.hold is None:
            return self
        rule = dataclasses.replace(self.hold.rule, target_s=float(target_s))
        return render_texts(dataclasses.replace(self, hold=dataclasses.replace(self.hold, rule=rule)))

    def at_level(self, level: str | None) -> ExerciseSpec:
        """The exercise as prescribed for a level (`levels:` in the spec): its hold target.

        Raises SpecError naming the levels the spec has.
        """
        if level is None:
            return self
        if level not in self.levels:
            known = ", ".join(self.levels) or "none"
            raise SpecError(f"{self.path}: no level {level!r} for {self.id} (levels: {known})")
        dose = self.levels[level]
        spec = self.with_hold_target(dose.hold_s) if dose.hold_s is not None else self
        return dataclasses.replace(spec, level=level)

    @property
    def needs_segmentation(self) -> bool:
        return any(m.kind == "back_curvature" for m in self.metrics.values())

    @property
    def primary_metric(self) -> str | None:
        if self.reps is not None:
            return self.reps.rule.metric
        if self.hold is not None and self.hold.posture:
            return self.hold.posture[0].metric
        return self.display[0] if self.display else None


# ---- validation helpers -------------------------------------------------------------------------


def _strip_other(point: str) -> str:
    return point[len(OTHER_PREFIX):] if point.startswith(OTHER_PREFIX) else point


def _valid_point(point: str) -> bool:
    if point.startswith(MIDPOINT_PREFIX):
        return point[len(MIDPOINT_PREFIX):] in SIDED_PARTS
    base = _strip_other(point)
    return base in SIDED_PARTS or (point == base and (point in _SINGLE_LANDMARKS or point in _SIDED_NAMES))


class Reader:
    """Typed access to one YAML mapping with file/key-path error messages."""

    def __init__(self, path: str, data: Any, keypath: str) -> None:
        self.path, self.keypath = path, keypath
        if not isinstance(data, dict):
            self.fail(f"expected a mapping, found {describe(data)}")
        for key in data:
            if not isinstance(key, str):
                self.fail(f"keys must be names (text), found {describe(key)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        where = f"{self.keypath}.{key}" if key and self.keypath else (key or self.keypath or "(top level)")
        raise SpecError(f"{self.path}: {where}: {message}")

    def child(self, key: str, value: Any) -> Reader:
        return Reader(self.path, value, f"{self.keypath}.{key}" if self.keypath else key)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                self.fail("missing required key", key)
            return default
        return self.data[key]

    def str(self, key: str, default: Any = ..., choices: tuple[str, ...] | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        if not isinstance(value, str) or not value.strip():
            self.fail(f"expected a non-empty string, found {describe(value)}", key)
        if choices is not None and value not in choices:
            self.fail(f"expected one of {', '.join(choices)}, found {value!r}{did_you_mean(value, choices)}", key)
        return value

    def num(self, key: builtins.str, default: Any = ..., positive: bool = False, minimum: float | None = None,
            maximum: float = MAX_MAGNITUDE) -> Any:
        """A finite number within [minimum (or -maximum), maximum]; `positive`: above 0."""
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        number = finite_number(value)
        if number is None:
            finite = "" if isinstance(value, bool) or not isinstance(value, (int, float)) else "finite "
            self.fail(f"expected a {finite}number, found {describe(value)}", key)
        if positive and number <= 0:
            self.fail(f"expected a positive number, found {value}", key)
        low = -maximum if minimum is None else minimum
        if not low <= number <= maximum:
            self.fail(f"expected a number from {low:g} to {maximum:g}, found {number:g}", key)
        return number

    def seconds(self, key: builtins.str, default: Any = ..., positive: bool = False) -> Any:
        """A duration: 0 (above 0 if `positive`) to MAX_SECONDS."""
        return self.num(key, default, positive=positive, minimum=0.0, maximum=MAX_SECONDS)

    def int(self, key: builtins.str, default: Any = ..., minimum: int = 0) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
            self.fail(f"expected a whole number from {minimum} to {MAX_COUNT}, found {describe(value)}", key)
        return value

    def flag(self, key: builtins.str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            self.fail(f"expected true or false, found {describe(value)}", key)
        return value

    def names(self, key: builtins.str, allowed: Any, what: builtins.str) -> list[builtins.str]:  # `str` is a method here
        """A list of names, each in `allowed`."""
        value = self.raw(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
            self.fail(f"expected a list of {what} from {', '.join(allowed)}, found {describe(value)}", key)
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            key = str(unknown[0])
            self.fail(f"unknown key{did_you_mean(key, tuple(self.used))} (allowed: {', '.join(sorted(self.used))})", key)


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({type(value).__name__})"


def finite_number(value: Any) -> float | None:
    """`value` as a finite float, or None (booleans, text, NaN, inf, integers too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def did_you_mean(value: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---- parsing ------------------------------------------------------------------------------------


def _parse_metric(r: Reader, name: str) -> MetricSpec:
    kinds = [k for k in METRIC_KINDS if r.has(k)]
    if len(kinds) != 1:
        found = "none" if not kinds else ", ".join(kinds)
        r.fail(f"expected exactly one metric kind ({', '.join(METRIC_KINDS)}), found {found}")
    kind = kinds[0]
    fields: dict[str, Any] = {"name": name, "kind": kind}
    arity = {"angle": 3, "inclination": 2, "elevation": 2, "distance": 2, "offset": 2, "back_curvature": 2}
    if kind in arity:
        points = r.raw(kind)
        if not isinstance(points, list) or len(points) != arity[kind] or not all(isinstance(p, str) for p in points):
            r.fail(f"expected a list of {arity[kind]} landmark names, found {describe(points)}", kind)
        for p in points:
            if not _valid_point(p):
                r.fail(
                    f"unknown landmark {p!r}{did_you_mean(p, sorted(SIDED_PARTS | _SINGLE_LANDMARKS))}; use a part "
                    "name resolved by the side policy (hip, knee, ...), a sided name (left_hip), nose, mid_hip, other_knee",
                    kind,
                )
        fields["points"] = tuple(points)
    else:
        fields["of"] = r.str(kind)
    if kind == "inclination":
        fields["reference"] = r.str("from", "vertical", choices=("vertical", "horizontal"))
    if kind in ("angle", "inclination"):
        fields["space"] = r.str("space", "image", choices=("image", "world"))
    if kind in ("distance", "offset"):
        fields["normalize"] = r.str("normalize", "torso", choices=("torso", "none")) == "torso"
        fields["unit"] = "torso" if fields["normalize"] else "px"
    if kind == "offset":
        fields["axis"] = r.str("axis", "y", choices=("x", "y", "forward"))
    if kind == "range":
        window = r.seconds("window_s", None, positive=True)
        over = r.str("over", None, choices=("rep", "hold"))
        if (window is None) == (over is None):
            r.fail("a range needs exactly one of window_s (seconds) or over (rep | hold)")
        fields["window_s"], fields["over"] = window, over
    if kind in ("offset", "back_curvature"):
        fields["facing"] = r.str("facing", "feet", choices=FACING_FROM)
    if kind == "back_curvature":
        if r.has("baseline"):
            base = r.child("baseline", r.raw("baseline"))
            fields["baseline_metric"] = base.str("metric")
            fields["baseline_max"] = base.num("max")
            fields["baseline_frames"] = base.int("frames", 15, minimum=1)
            fields["baseline_keep"] = base.str("keep", "latest", choices=("latest", "first"))
            fields["baseline_max_spread"] = base.num("max_spread", None, positive=True)
            base.done()
        fields["unit"] = "ratio"
    fields["smooth_frames"] = r.int("smooth_frames", 1, minimum=1)
    fields["display_name"] = r.str("display_name", "")
    side = r.raw("side", "auto")
    if isinstance(side, dict):
        sr = r.child("side", side)
        fields["side"] = SidePick(pick=sr.str("pick", choices=("max", "min")), by=sr.str("by"))
        sr.done()
    elif not isinstance(side, str) or side not in METRIC_SIDES:
        r.fail(f"expected one of {', '.join(METRIC_SIDES)} or {{pick: max|min, by: METRIC}}, found {side!r}", "side")
    else:
        fields["side"] = side
    r.done()
    return MetricSpec(**fields)


def _parse_condition(r: Reader, metrics: Mapping[str, MetricSpec], default_metric: str | None = None) -> Condition:
    metric = r.str("metric") if default_metric is None or r.has("metric") else default_metric
    if metric not in metrics:
        r.fail(f"unknown metric {metric!r}{did_you_mean(metric, tuple(metrics))} (defined: {', '.join(metrics)})", "metric")
    low, high = r.num("min", None), r.num("max", None)
    if r.has("range"):
        rng = r.raw("range")
        bounds = [finite_number(v) for v in rng] if isinstance(rng, list) else []
        if len(bounds) != 2 or any(v is None or abs(v) > MAX_MAGNITUDE for v in bounds):
            r.fail(f"expected [low, high] (two finite numbers), found {describe(rng)}", "range")
        low, high = bounds
    if low is None and high is None:
        r.fail("needs min, max or range: what the metric must stay within")
    if low is not None and high is not None and low > high:
        r.fail(f"min {low} is above max {high}")
    label = r.str("label", None)
    return Condition(metric=metric, min=low, max=high, label=label)


def _parse_cue(r: Reader, metrics: Mapping[str, MetricSpec], views: tuple[str, ...]) -> CueSpec:
    cue_id = r.str("id")
    when = r.str("when", choices=WHEN)
    aggregate = r.str("of", None, choices=AGGREGATES)
    if aggregate is not None and when != "rep_end":
        r.fail("'of' (an aggregate over the rep) only applies with when: rep_end", "of")
    during = r.str("during", "rep", choices=DURING)
    if r.has("during") and when != "rep_end":
        r.fail("'during' only applies with when: rep_end", "during")
    against = r.str("against", None)
    if (aggregate == "lead") != (against is not None):
        r.fail("'of: lead' and 'against: METRIC' go together (how far the metric runs ahead of the other on "
               "the way back)", "against" if against is not None else "of")
    if against is not None and against not in metrics:
        r.fail(f"unknown metric {against!r}{did_you_mean(against, tuple(metrics))} (defined: {', '.join(metrics)})", "against")
    cue_views = r.names("views", VIEWS, "views")
    condition = _parse_condition(r, metrics)
    cue = CueSpec(
        id=cue_id,
        say=_text(r, "say"),
        short=_text(r, "short", ""),
        when=when,
        condition=condition,
        severity=r.str("severity", "warning", choices=SEVERITIES),
        aggregate=aggregate,
        during=during,
        against=against,
        persist_s=r.seconds("persist_s", 0.2),
        views=tuple(cue_views) or views,
    )
    cue = dataclasses.replace(cue, template=(cue.say, cue.short))
    r.done()
    return cue


#: Placeholders a cue's text may use: numbers from the spec and level in force, never written by hand.
PLACEHOLDERS = ("hold_s", "target", "start", "min", "max")


def _text(r: Reader, key: str, default: Any = ...) -> Any:
    """A say/short text; its {placeholders} must be known names."""
    import re

    text = r.str(key, default)
    for name in re.findall(r"\{([^{}]*)\}", text or ""):
        if name not in PLACEHOLDERS:
            r.fail(f"unknown placeholder {{{name}}}{did_you_mean(name, PLACEHOLDERS)} "
                   f"(use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})", key)
    return text


class _Values(dict):
    def __missing__(self, key: str) -> str:
        raise SpecError(f"{{{key}}} has no value in this spec")


def fill(template: str, values: Mapping[str, float | None]) -> str:
    """'{hold_s} seconds' -> '15 seconds' (numbers as the spec writes them)."""
    return template.format_map(_Values({k: f"{v:g}" for k, v in values.items() if v is not None}))


def render_texts(spec: ExerciseSpec) -> ExerciseSpec:
    """The spec with every message and spoken form rendered from its templates and the targets in force.

    Raises SpecError naming the file when a template needs a value the spec does not have.
    """
    rule = spec.reps.rule if spec.reps is not None else None
    base = {"hold_s": spec.hold.rule.target_s if spec.hold is not None else spec.defaults.hold_s,
            "target": rule.target if rule else None, "start": rule.start if rule else None}
    try:
        cues = tuple(dataclasses.replace(
            c, say=fill(c.template[0] or c.say, {**base, "min": c.condition.min, "max": c.condition.max}),
            short=fill(c.template[1], {**base, "min": c.condition.min, "max": c.condition.max}) if c.template[1] else c.short,
        ) for c in spec.cues)
        text = {cue: (fill(say, base), fill(short or say, base)) for cue, (say, short) in spec.templates.items()}
    except SpecError as exc:
        raise SpecError(f"{spec.path}: {exc}") from None
    spoken = {c.id: c.short or c.say for c in cues} | {cue: short for cue, (_, short) in text.items()}
    reps, hold = spec.reps, spec.hold
    if rule is not None and reps is not None:
        rule = dataclasses.replace(
            rule, partial_message=text.get(rule.partial_cue, (rule.partial_message,))[0],
            incomplete_return_message=text.get(rule.incomplete_return_cue or "", (rule.incomplete_return_message,))[0])
        reps = dataclasses.replace(reps, rule=rule)
    if hold is not None:
        h = hold.rule
        hold = dataclasses.replace(hold, rule=dataclasses.replace(h, short_message=text.get(h.short_cue, (h.short_message,))[0]))
    return dataclasses.replace(spec, cues=cues, reps=reps, hold=hold, spoken=spoken)


def _parse_defaults(r: Reader) -> Defaults:
    d = Defaults(
        sets=r.int("sets", 1, minimum=1),
        reps=r.int("reps", None, minimum=1),
        hold_s=r.seconds("hold_s", None, positive=True),
        rest_s=r.seconds("rest_s", 60.0),
        per_side=r.flag("per_side", False),
    )
    r.done()
    return d


def parse_spec(data: Any, path: str = "<spec>") -> ExerciseSpec:
    """Validate a parsed YAML document and build the spec. Raises SpecError."""
    r = Reader(path, data, "")
    spec_id = r.str("id")
    stem = Path(path).stem
    if path != "<spec>" and stem != spec_id:
        r.fail(f"id {spec_id!r} must match the file name {stem!r}", "id")
    view = r.raw("view")
    views = tuple(view) if isinstance(view, list) else (view,)
    if not views or any(not isinstance(v, str) or v not in VIEWS for v in views):
        r.fail(f"expected one of {', '.join(VIEWS)} or a list of them, found {view!r}", "view")

    raw_metrics = r.raw("metrics")
    mr = r.child("metrics", raw_metrics)
    if not mr.data:
        mr.fail("define at least one metric")
    metrics: dict[str, MetricSpec] = {}
    for name, body in mr.data.items():
        mr.used.add(name)
        metrics[str(name)] = _parse_metric(mr.child(str(name), body), str(name))
    for m in metrics.values():
        refs = [m.of] if m.of else []
        refs += [m.baseline_metric] if m.baseline_metric else []
        refs += [m.side.by] if isinstance(m.side, SidePick) else []
        for ref in refs:
            if ref not in metrics:
                mr.fail(f"refers to unknown metric {ref!r}{did_you_mean(ref, tuple(metrics))}", m.name)
            if ref == m.name and not isinstance(m.side, SidePick):
                mr.fail("a metric cannot be computed from itself", m.name)
    _check_acyclic(mr, metrics)

    reps = None
    templates: dict[str, tuple[str, str]] = {}  # rep/hold rule cue -> (say, short) as written
    if r.has("reps"):
        rr = r.child("reps", r.raw("reps"))
        metric = rr.str("metric")
        if metric not in metrics:
            rr.fail(f"unknown metric {metric!r}{did_you_mean(metric, tuple(metrics))} (defined: {', '.join(metrics)})", "metric")
        start, target = rr.num("start"), rr.num("target")
        if start == target:
            rr.fail("start and target must differ (they are the two thresholds of the dead band)", "target")
        partial_cue, partial_say = "too_shallow", "Go further"
        if rr.has("partial"):
            pr = rr.child("partial", rr.raw("partial"))
            partial_cue, partial_say = pr.str("cue"), _text(pr, "say")
            templates[partial_cue] = (partial_say, _text(pr, "short", ""))
            partial_after = pr.num("after", None)
            partial_at_end = pr.flag("at_end", _default(RepRule, "partial_at_end"))
            pr.done()
        else:
            partial_after, partial_at_end = None, _default(RepRule, "partial_at_end")
        ret_cue, ret_say = None, ""
        if rr.has("incomplete_return"):
            ir = rr.child("incomplete_return", rr.raw("incomplete_return"))
            ret_cue, ret_say = ir.str("cue"), _text(ir, "say")
            templates[ret_cue] = (ret_say, _text(ir, "short", ""))
            ir.done()
        if partial_after is not None and not (min(start, target) < partial_after < max(start, target)):
            rr.fail(f"partial.after {partial_after} must lie between start {start} and target {target}", "partial")
        start_requires = []
        requires = rr.raw("start_requires", [])
        if not isinstance(requires, list):
            rr.fail(f"expected a list of conditions ({{metric, min/max}}), found {describe(requires)}", "start_requires")
        for i, item in enumerate(requires):
            cr = rr.child(f"start_requires[{i}]", item)
            start_requires.append(_parse_condition(cr, metrics))
            cr.done()
        rule = RepRule(
            metric=metric,
            start=start,
            target=target,
            min_duration_s=rr.seconds("min_duration_s", _default(RepRule, "min_duration_s"), positive=True),
            partial_after=partial_after,
            partial_cue=partial_cue,
            partial_message=partial_say,
            partial_at_end=partial_at_end,
            incomplete_return_cue=ret_cue,
            incomplete_return_message=ret_say,
            max_gap_s=rr.seconds("max_gap_s", _default(RepRule, "max_gap_s"), positive=True),
            bridge_gap_s=rr.seconds("bridge_gap_s", _default(RepRule, "bridge_gap_s")),
            adapt_start=rr.num("adapt_start", _default(RepRule, "adapt_start"), minimum=0.0, maximum=0.5),
        )
        fallback = None
        if rr.has("fallback"):
            fr = rr.child("fallback", rr.raw("fallback"))
            fb_metric = fr.str("metric")
            if fb_metric not in metrics or fb_metric == metric:
                fr.fail(f"expected another metric of this spec ({', '.join(m for m in metrics if m != metric)}), "
                        f"found {fb_metric!r}", "metric")
            fallback = RepFallback(metric=fb_metric, start=fr.num("start"), target=fr.num("target"))
            if fallback.start == fallback.target:
                fr.fail("start and target must differ", "target")
            fr.done()
        rr.done()
        reps = RepsSpec(rule=rule, start_requires=tuple(start_requires), fallback=fallback)

    hold = None
    if r.has("hold"):
        hr = r.child("hold", r.raw("hold"))
        posture_raw = hr.raw("posture")
        if not isinstance(posture_raw, list) or not posture_raw:
            hr.fail(f"expected a list of conditions ({{metric, min/max}}), found {describe(posture_raw)}", "posture")
        posture = []
        for i, item in enumerate(posture_raw):
            cr = hr.child(f"posture[{i}]", item)
            posture.append(_parse_condition(cr, metrics))
            cr.done()
        short_cue, short_say = "hold_short", "Hold it longer"
        if hr.has("short"):
            sr = hr.child("short", hr.raw("short"))
            short_cue, short_say = sr.str("cue"), _text(sr, "say")
            templates[short_cue] = (short_say, _text(sr, "short", ""))
            sr.done()
        hold_rule = HoldRule(
            target_s=hr.seconds("target_s", positive=True),
            grace_s=hr.seconds("grace_s", 0.5),
            min_s=hr.seconds("min_s", 1.0),
            short_cue=short_cue,
            short_message=short_say,
        )
        hr.done()
        hold = HoldSpec(rule=hold_rule, posture=tuple(posture))

    if reps is None and hold is None:
        r.fail("a spec needs reps, hold, or both: otherwise nothing is counted or timed")

    cues_raw = r.raw("cues", [])
    if not isinstance(cues_raw, list):
        r.fail(f"expected a list of cues, found {describe(cues_raw)}", "cues")
    cues = tuple(_parse_cue(r.child(f"cues[{i}]", c), metrics, views) for i, c in enumerate(cues_raw))
    _check_cue_ids(r, cues)
    for i, cue in enumerate(cues):
        if cue.when in ("during_rep", "at_start", "at_target", "rep_end") and reps is None:
            r.fail(f"when: {cue.when} needs a reps block", f"cues[{i}].when")
        if cue.when == "during_hold" and hold is None:
            r.fail("when: during_hold needs a hold block", f"cues[{i}].when")

    display = r.names("display", tuple(metrics), "metric names")
    tips = r.raw("tips", [])
    if not isinstance(tips, list) or not all(isinstance(t, str) for t in tips):
        r.fail(f"expected a list of strings, found {describe(tips)}", "tips")
    defaults = _parse_defaults(r.child("defaults", r.raw("defaults")))
    levels: dict[str, Defaults] = {}
    if r.has("levels"):
        lr = r.child("levels", r.raw("levels"))
        for level, body in lr.data.items():
            lr.used.add(level)
            levels[str(level)] = _parse_defaults(lr.child(str(level), body))

    spec = ExerciseSpec(
        id=spec_id,
        name=r.str("name"),
        source=r.str("source"),
        path=path,
        views=views,
        side=r.str("side", "auto", choices=SIDE_POLICIES),
        metrics=metrics,
        cues=cues,
        reps=reps,
        hold=hold,
        defaults=defaults,
        description=r.str("description", ""),
        camera=r.str("camera", ""),
        tips=tuple(tips),
        levels=levels,
        display=tuple(display),
        templates=templates,
    )
    r.done()
    return render_texts(spec)


def _check_acyclic(r: Reader, metrics: Mapping[str, MetricSpec]) -> None:
    def deps(m: MetricSpec) -> list[str]:
        out = [m.of] if m.of else []
        out += [m.baseline_metric] if m.baseline_metric else []
        if isinstance(m.side, SidePick) and m.side.by != m.name:
            out.append(m.side.by)
        return out

    for start in metrics:
        seen: set[str] = set()
        stack = [start]
        while stack:
            name = stack.pop()
            for d in deps(metrics[name]):
                if d == start:
                    r.fail(f"metrics refer to each other in a circle through {d!r}", start)
                if d not in seen:
                    seen.add(d)
                    stack.append(d)


def _check_cue_ids(r: Reader, cues: tuple[CueSpec, ...]) -> None:
    """Cue ids are unique, except that one id may have view-specific variants with disjoint views."""
    by_id: dict[str, list[CueSpec]] = {}
    for cue in cues:
        by_id.setdefault(cue.id, []).append(cue)
    for cue_id, group in by_id.items():
        if len(group) > 1:
            seen: set[str] = set()
            for cue in group:
                if seen & set(cue.views):
                    r.fail(f"cue id {cue_id!r} is used twice for the same view; variants of one cue need disjoint views", "cues")
                seen |= set(cue.views)


# ---- loading ------------------------------------------------------------------------------------


def default_spec_dir() -> Path:
    """The shipped spec folder (package data `formcoach.exercise_specs`)."""
    return shipped_dir(DataKind.SPECS)


def load_spec_file(path: str | Path) -> ExerciseSpec:
    """Read and validate one YAML spec file. Raises SpecError (and nothing else) for any content."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise SpecError(f"{path}: permission denied (the spec file cannot be read by this user)") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read spec file ({exc.strerror or exc})") from None
    return load_spec_text(raw, str(path))


def load_spec_text(raw: bytes | str, path: str = "<spec>") -> ExerciseSpec:
    """Validate a spec given as bytes (UTF-8) or text; `path` names it in errors."""
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: {len(raw)} bytes is too big for a spec (at most {MAX_SPEC_BYTES})")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
                            "save the file as UTF-8") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise SpecError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a spec") from None
    try:
        return parse_spec(data, path)
    except RecursionError:
        raise SpecError(f"{path}: nested too deeply to be a spec") from None
    except ValueError as exc:  # a rule's own invariant (reps.py, holds.py) that the checks above did not name
        raise SpecError(f"{path}: {exc}") from None


def load_catalog(spec_dir: str | Path | None = None) -> dict[str, ExerciseSpec]:
    """Load the shipped specs and those in `spec_dir` (else `$FORMCOACH_SPECS`), keyed by id (sorted).

    A user spec file with the same name as a shipped one replaces it. Raises the first SpecError;
    `scan_catalog` skips bad files instead.
    """
    specs = [load_spec_file(p) for p in yaml_files(DataKind.SPECS, spec_dir).values()]
    return {s.id: s for s in specs}


def scan_catalog(spec_dir: str | Path | None = None) -> tuple[dict[str, ExerciseSpec], list[SpecError]]:
    """The catalog without its bad files, and one SpecError per bad file (or empty user folder).

    Raises:
        SpecError: a user folder that does not exist, or no valid spec at all.
    """
    problems: list[SpecError] = []
    for folder in user_dirs(DataKind.SPECS, spec_dir):
        if not any(folder.glob("*.yaml")):
            problems.append(SpecError(f"{folder}: no exercise specs (*.yaml files) in this folder"))
    catalog: dict[str, ExerciseSpec] = {}
    for path in yaml_files(DataKind.SPECS, spec_dir).values():
        try:
            spec = load_spec_file(path)
        except SpecError as exc:
            problems.append(exc)
            continue
        catalog[spec.id] = spec
    if not catalog:
        folders = ", ".join(str(f) for f in search_dirs(DataKind.SPECS, spec_dir))
        raise SpecError(f"no valid exercise spec in {folders}" + (f" (first problem: {problems[0]})" if problems else ""))
    return catalog, problems


def get_spec(exercise_id: str, spec_dir: str | Path | None = None) -> ExerciseSpec:
    """Load one exercise by id; the error lists the valid ids."""
    files = yaml_files(DataKind.SPECS, spec_dir)
    path = files.get(exercise_id)
    if path is None:
        known = list(files)
        raise SpecError(f"unknown exercise {exercise_id!r}{did_you_mean(exercise_id, known)} (known: {', '.join(known)})")
    return load_spec_file(path)
