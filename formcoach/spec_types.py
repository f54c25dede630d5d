"""The spec objects a parsed exercise spec is made of (frozen dataclasses and enums), and the rendering
of their texts from templates. Parsing and loading: specs.py. Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from formcoach.core import Choice, Severity, View
from formcoach.errors import SpecError
from formcoach.holds import HoldRule
from formcoach.metric_kinds import MetricSpec
from formcoach.points import SideRule
from formcoach.reps import RepRule


class CueTiming(Choice):
    """When a cue rule is judged (`when:`)."""

    ALWAYS = "always"
    DURING_REP = "during_rep"  # from leaving the start zone until back in it
    AT_START = "at_start"  # in the start zone, between reps
    AT_TARGET = "at_target"  # in the target zone
    DURING_HOLD = "during_hold"
    REP_END = "rep_end"  # once per rep, on an aggregate of the rep's values

    @property
    def needs_reps(self) -> bool:
        return self in (CueTiming.DURING_REP, CueTiming.AT_START, CueTiming.AT_TARGET, CueTiming.REP_END)


class Aggregate(Choice):
    """What a `rep_end` rule judges of a metric over the rep (`of:`)."""

    MIN = "min"
    MAX = "max"
    RANGE = "range"
    MEAN = "mean"
    MEDIAN = "median"
    LEAD = "lead"  # how far the metric runs ahead of `against` on the way back, on average (cues.lead_series)

    def of(self, values: np.ndarray) -> float:
        """The aggregate of (N,) finite values, N >= 1 (for LEAD, the per-frame leads)."""
        reduce = {"min": np.min, "max": np.max, "mean": np.mean, "median": np.median, "range": np.ptp, "lead": np.mean}[self.value]
        return float(reduce(values))  # type: ignore[operator]  # numpy reducer overloads


#: What a `rep_end` rule without `of:` judges over the rep.
DEFAULT_AGGREGATE = Aggregate.MAX


class During(Choice):
    """Which frames of a rep a `rep_end` rule aggregates."""

    REP = "rep"
    TARGET = "target"  # only those in the target zone


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
    when: CueTiming
    condition: Condition
    severity: Severity = Severity.WARNING
    aggregate: Aggregate | None = None  # for when=rep_end: over the rep (None: `reduce`, the maximum)
    during: During = During.REP  # for when=rep_end: aggregate over the whole rep, or only its frames in the target zone
    against: str | None = None  # for of=lead: the metric that `condition.metric` must not run ahead of
    persist_s: float = 0.2  # a violation must last this long to count (noise guard)
    views: tuple[View, ...] = ()  # empty = the spec's views
    short: str = ""  # spoken form (<= 2 s); empty: `say` is spoken
    template: tuple[str, str] = ("", "")  # `say` and `short` as written, with {placeholders} (see render_texts)
    # for when=rep_end: values between this and the rule's bound are not called either way (good and faulty
    # form both measure there); None: every value inside the bound is good
    unsure_from: float | None = None

    @property
    def reduce(self) -> Aggregate:
        """What a `rep_end` rule judges over the rep: `of`, else the maximum."""
        return self.aggregate or DEFAULT_AGGREGATE

    def undecided(self, value: float) -> bool:
        """Whether a value that keeps the rule is too close to its bound to call (past `unsure_from`)."""
        edge, c = self.unsure_from, self.condition
        if edge is None or not c.holds(value):
            return False
        return value > edge if c.max is not None else value < edge


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
    views: tuple[View, ...]
    metrics: Mapping[str, MetricSpec]
    cues: tuple[CueSpec, ...]
    reps: RepsSpec | None
    hold: HoldSpec | None
    defaults: Defaults
    side: SideRule = SideRule.AUTO  # auto, left or right: which side unsided landmark names mean
    #: both sides of the body do the same movement: with `side: auto`, a metric whose near-side joints
    #: are not seen is measured on the far side
    symmetric: bool = False
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
        return any(m.kind.needs_mask for m in self.metrics.values())

    @property
    def counting_metrics(self) -> frozenset[str]:
        """The metrics reps and holds are measured on (the rep metric, its fallback, the conditions of its
        start zone, the hold posture), with those they are computed from."""
        names: list[str] = []
        if self.reps is not None:
            names += [self.reps.rule.metric, *([self.reps.fallback.metric] if self.reps.fallback else [])]
            names += [c.metric for c in self.reps.start_requires]
        if self.hold is not None:
            names += [c.metric for c in self.hold.posture]
        found: set[str] = set()
        while names:
            name = names.pop()
            if name not in found:
                found.add(name)
                names += list(self.metrics[name].kind.refs)
        return frozenset(found)

    @property
    def counts_in_any_view(self) -> bool:
        """Reps and holds are measured in 3-D only (world landmarks), so the camera's angle does not change
        them; the view only decides which cues are judged."""
        used = self.counting_metrics
        return bool(used) and all(self.metrics[m].kind.three_d for m in used)

    @property
    def primary_metric(self) -> str | None:
        if self.reps is not None:
            return self.reps.rule.metric
        if self.hold is not None and self.hold.posture:
            return self.hold.posture[0].metric
        return self.display[0] if self.display else None


#: Placeholders a cue's text may use: numbers from the spec and level in force, never written by hand.
PLACEHOLDERS = ("hold_s", "target", "start", "min", "max")


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
