"""Exercise specs: YAML → validated, frozen spec objects (spec_types.py). The schema lives here, in
the metric kinds (metric_kinds.py, back_curvature.py) and in the defaults on the spec objects.

Every error names the file, the key path, what was expected and what was found. Unknown keys
are errors (they are usually typos). Imports neither cv2 nor mediapipe.
See docs/spec_format.md for the format with examples.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from formcoach.core import Severity, View
from formcoach.errors import SpecError
from formcoach.holds import HoldRule
from formcoach.back_curvature import BaselineRule, SteadyRule
from formcoach.metric_kinds import KINDS, MetricSpec, check_references, parse_metric, with_units
from formcoach.points import SPEC_SIDES, SideRule
from formcoach.reps import DEFAULT_PARTIAL_FRACTION, RepRule
from formcoach.resources import DataKind, search_dirs, shipped_dir, user_dirs, yaml_files
from formcoach.spec_reader import MAX_MAGNITUDE, MAX_SPEC_BYTES, Reader, default_of, describe, did_you_mean, finite_number
from formcoach.spec_types import (
    DEFAULT_AGGREGATE, PLACEHOLDERS, Aggregate, Condition, CueSpec, CueTiming, Defaults, During, ExerciseSpec, HoldSpec, RepFallback, RepsSpec,
    render_texts,
)

__all__ = [
    "Condition", "CueSpec", "Defaults", "ExerciseSpec", "HoldSpec", "MetricSpec", "RepFallback", "RepsSpec",
    "default_spec_dir", "get_spec", "load_catalog", "load_spec_file", "load_spec_text", "parse_spec", "scan_catalog",
]

_CONDITIONS = "expected a list of conditions ({metric, min/max}), found"


# ---- the whole spec -----------------------------------------------------------------------------


def parse_spec(data: Any, path: str = "<spec>") -> ExerciseSpec:
    """Validate a parsed YAML document and build the spec. Raises SpecError."""
    r = Reader(path, data, "")
    spec_id = r.str("id")
    stem = Path(path).stem
    if path != "<spec>" and stem != spec_id:
        r.fail(f"id {spec_id!r} must match the file name {stem!r}", "id")
    views = _parse_views(r)
    metrics = _parse_metrics(r.child("metrics", r.raw("metrics")))
    templates: dict[str, tuple[str, str]] = {}  # rep/hold rule cue -> (say, short) as written
    reps = _parse_reps(r.child("reps", r.raw("reps")), metrics, templates) if r.has("reps") else None
    hold = _parse_hold(r.child("hold", r.raw("hold")), metrics, templates) if r.has("hold") else None
    if reps is None and hold is None:
        r.fail("a spec needs reps, hold, or both: otherwise nothing is counted or timed")
    cues = _parse_cues(r, metrics, views, reps, hold)
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
        id=spec_id, name=r.str("name"), source=r.str("source"), path=path, views=views,
        side=r.choice("side", SideRule, default_of(ExerciseSpec, "side"), allowed=SPEC_SIDES),
        symmetric=r.flag("symmetric", default_of(ExerciseSpec, "symmetric")),
        metrics=metrics, cues=cues, reps=reps, hold=hold, defaults=defaults,
        description=r.str("description", default_of(ExerciseSpec, "description")),
        camera=r.str("camera", default_of(ExerciseSpec, "camera")),
        tips=tuple(tips), levels=levels, display=tuple(display), templates=templates,
    )
    r.done()
    return render_texts(spec)


def _parse_views(r: Reader) -> tuple[View, ...]:
    view = r.raw("view")
    views = tuple(view) if isinstance(view, list) else (view,)
    if not views or any(not isinstance(v, str) or v not in tuple(View) for v in views):
        r.fail(f"expected one of {', '.join(View)} or a list of them, found {view!r}", "view")
    return tuple(View(v) for v in views)


def _parse_metrics(mr: Reader) -> dict[str, MetricSpec]:
    if not mr.data:
        mr.fail("define at least one metric")
    metrics: dict[str, MetricSpec] = {}
    for name, body in mr.data.items():
        mr.used.add(name)
        metrics[str(name)] = parse_metric(mr.child(str(name), body), str(name))
    check_references(mr, metrics)
    return with_units(metrics)


def _metric(r: Reader, metrics: Mapping[str, MetricSpec], key: str = "metric") -> str:
    """A key naming one of the spec's metrics."""
    metric = r.str(key)
    if metric not in metrics:
        r.fail(f"unknown metric {metric!r}{did_you_mean(metric, tuple(metrics))} (defined: {', '.join(metrics)})", key)
    return metric


# ---- reps and hold ------------------------------------------------------------------------------


def _parse_reps(rr: Reader, metrics: Mapping[str, MetricSpec], templates: dict[str, tuple[str, str]]) -> RepsSpec:
    metric = _metric(rr, metrics)
    start, target = rr.num("start"), rr.num("target")
    if start == target:
        rr.fail("start and target must differ (they are the two thresholds of the dead band)", "target")
    partial = _parse_partial(rr, templates)
    ret_cue, ret_say = default_of(RepRule, "incomplete_return_cue"), default_of(RepRule, "incomplete_return_message")
    if rr.has("incomplete_return"):
        ir = rr.child("incomplete_return", rr.raw("incomplete_return"))
        ret_cue, ret_say = _rule_cue(ir, templates)
        ir.done()
    if partial["partial_after"] is not None and not (min(start, target) < partial["partial_after"] < max(start, target)):
        rr.fail(f"partial.after {partial['partial_after']} must lie between start {start} and target {target}", "partial")
    start_requires = _parse_conditions(rr, "start_requires", metrics, required=False)
    rule = RepRule(
        metric=metric, start=start, target=target, **partial,
        min_duration_s=rr.seconds("min_duration_s", default_of(RepRule, "min_duration_s"), positive=True),
        incomplete_return_cue=ret_cue, incomplete_return_message=ret_say,
        max_gap_s=rr.seconds("max_gap_s", default_of(RepRule, "max_gap_s"), positive=True),
        bridge_gap_s=rr.seconds("bridge_gap_s", default_of(RepRule, "bridge_gap_s")),
        adapt_start=rr.num("adapt_start", default_of(RepRule, "adapt_start"), minimum=0.0, maximum=0.5),
        start_above_picture=rr.flag("start_above_picture", default_of(RepRule, "start_above_picture")),
    )
    fallback = _parse_fallback(rr.child("fallback", rr.raw("fallback")), metrics, metric) if rr.has("fallback") else None
    rr.done()
    return RepsSpec(rule=rule, start_requires=start_requires, fallback=fallback)


def _parse_partial(rr: Reader, templates: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """The RepRule fields of `partial:` (its cue, message, depth and whether the end of the video makes one)."""
    out = {name: default_of(RepRule, name) for name in ("partial_cue", "partial_message", "partial_after", "partial_at_end")}
    if rr.has("partial"):
        pr = rr.child("partial", rr.raw("partial"))
        out["partial_cue"], out["partial_message"] = _rule_cue(pr, templates)
        out["partial_after"] = pr.num("after", None)
        out["partial_at_end"] = pr.flag("at_end", out["partial_at_end"])
        pr.done()
    return out


def _rule_cue(r: Reader, templates: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """The cue a rep or hold rule raises (`cue`, `say`, `short`): its id and message; its texts as
    written go to `templates` (rendered per level later)."""
    cue, say = r.str("cue"), _text(r, "say")
    templates[cue] = (say, _text(r, "short", ""))
    return cue, say


def _parse_fallback(fr: Reader, metrics: Mapping[str, MetricSpec], rep_metric: str) -> RepFallback:
    fb_metric = fr.str("metric")
    if fb_metric not in metrics or fb_metric == rep_metric:
        fr.fail(f"expected another metric of this spec ({', '.join(m for m in metrics if m != rep_metric)}), "
                f"found {fb_metric!r}", "metric")
    fallback = RepFallback(metric=fb_metric, start=fr.num("start"), target=fr.num("target"))
    if fallback.start == fallback.target:
        fr.fail("start and target must differ", "target")
    fr.done()
    return fallback


def _parse_hold(hr: Reader, metrics: Mapping[str, MetricSpec], templates: dict[str, tuple[str, str]]) -> HoldSpec:
    posture = _parse_conditions(hr, "posture", metrics, required=True)
    short_cue, short_say = default_of(HoldRule, "short_cue"), default_of(HoldRule, "short_message")
    if hr.has("short"):
        sr = hr.child("short", hr.raw("short"))
        short_cue, short_say = _rule_cue(sr, templates)
        sr.done()
    rule = HoldRule(
        target_s=hr.seconds("target_s", positive=True),
        grace_s=hr.seconds("grace_s", default_of(HoldRule, "grace_s")),
        min_s=hr.seconds("min_s", default_of(HoldRule, "min_s")),
        still_within=hr.num("still_within", None, positive=True),
        short_cue=short_cue,
        short_message=short_say,
    )
    hr.done()
    return HoldSpec(rule=rule, posture=posture)


def _parse_conditions(r: Reader, key: str, metrics: Mapping[str, MetricSpec], required: bool) -> tuple[Condition, ...]:
    """A list of {metric, min/max/range} under `key` (`required`: at least one)."""
    items = r.raw(key) if required else r.raw(key, [])
    if not isinstance(items, list) or (required and not items):
        r.fail(f"{_CONDITIONS} {describe(items)}", key)
    out = []
    for i, item in enumerate(items):
        cr = r.child(f"{key}[{i}]", item)
        out.append(_parse_condition(cr, metrics))
        cr.done()
    return tuple(out)


# ---- cues ---------------------------------------------------------------------------------------


def _parse_cues(r: Reader, metrics: Mapping[str, MetricSpec], views: tuple[View, ...], reps: RepsSpec | None,
                hold: HoldSpec | None) -> tuple[CueSpec, ...]:
    cues_raw = r.raw("cues", [])
    if not isinstance(cues_raw, list):
        r.fail(f"expected a list of cues, found {describe(cues_raw)}", "cues")
    cues = tuple(_parse_cue(r.child(f"cues[{i}]", c), metrics, views) for i, c in enumerate(cues_raw))
    _check_cue_ids(r, cues)
    for i, cue in enumerate(cues):
        if cue.when.needs_reps and reps is None:
            r.fail(f"when: {cue.when} needs a reps block", f"cues[{i}].when")
        if cue.when is CueTiming.DURING_HOLD and hold is None:
            r.fail("when: during_hold needs a hold block", f"cues[{i}].when")
    return cues


def _parse_cue(r: Reader, metrics: Mapping[str, MetricSpec], views: tuple[View, ...]) -> CueSpec:
    cue_id = r.str("id")
    when = r.choice("when", CueTiming)
    aggregate = r.choice("of", Aggregate, None)
    if aggregate is not None and when is not CueTiming.REP_END:
        r.fail("'of' (an aggregate over the rep) only applies with when: rep_end", "of")
    during = r.choice("during", During, default_of(CueSpec, "during"))
    if r.has("during") and when is not CueTiming.REP_END:
        r.fail("'during' only applies with when: rep_end", "during")
    against = r.str("against", default_of(CueSpec, "against"))
    if (aggregate is Aggregate.LEAD) != (against is not None):
        r.fail("'of: lead' and 'against: METRIC' go together (how far the metric runs ahead of the other on "
               "the way back)", "against" if against is not None else "of")
    if against is not None:
        _metric(r, metrics, "against")
    cue_views = r.names("views", tuple(View), "views")
    condition = _parse_condition(r, metrics)
    say, short = _text(r, "say"), _text(r, "short", default_of(CueSpec, "short"))
    unsure_from = _unsure_from(r, when, condition)
    cue = CueSpec(
        id=cue_id, say=say, short=short, when=when, condition=condition,
        severity=r.choice("severity", Severity, default_of(CueSpec, "severity")),
        aggregate=aggregate, during=during, against=against,
        persist_s=r.seconds("persist_s", default_of(CueSpec, "persist_s")),
        views=tuple(View(v) for v in cue_views) or views,
        template=(say, short), unsure_from=unsure_from,
    )
    r.done()
    return cue


def _unsure_from(r: Reader, when: CueTiming, condition: Condition) -> float | None:
    """`unsure_from`: where a rep-end rule's values stop being clearly good, inside its one bound."""
    edge = r.num("unsure_from", default_of(CueSpec, "unsure_from"))
    if edge is None:
        return None
    if when is not CueTiming.REP_END:
        r.fail("'unsure_from' only applies with when: rep_end (a rep that is too close to call is not judged)", "unsure_from")
    if (condition.min is None) == (condition.max is None):
        r.fail("'unsure_from' needs a rule with one bound, min or max", "unsure_from")
    if condition.max is not None and not edge < condition.max:
        r.fail(f"'unsure_from' {edge:g} must be below max {condition.max:g} (the values up to max are the unsure ones)", "unsure_from")
    if condition.min is not None and not edge > condition.min:
        r.fail(f"'unsure_from' {edge:g} must be above min {condition.min:g} (the values down to min are the unsure ones)", "unsure_from")
    return edge


def _parse_condition(r: Reader, metrics: Mapping[str, MetricSpec]) -> Condition:
    metric = _metric(r, metrics)
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



def _text(r: Reader, key: str, default: Any = ...) -> Any:
    """A say/short text; its {placeholders} must be known names."""
    text = r.str(key, default)
    for name in re.findall(r"\{([^{}]*)\}", text or ""):
        if name not in PLACEHOLDERS:
            r.fail(f"unknown placeholder {{{name}}}{did_you_mean(name, PLACEHOLDERS)} "
                   f"(use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})", key)
    return text



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



def _parse_defaults(r: Reader) -> Defaults:
    d = Defaults(
        sets=r.int("sets", default_of(Defaults, "sets"), minimum=1),
        reps=r.int("reps", default_of(Defaults, "reps"), minimum=1),
        hold_s=r.seconds("hold_s", default_of(Defaults, "hold_s"), positive=True),
        rest_s=r.seconds("rest_s", default_of(Defaults, "rest_s")),
        per_side=r.flag("per_side", default_of(Defaults, "per_side")),
    )
    r.done()
    return d


# ---- defaults -----------------------------------------------------------------------------------


def documented_defaults() -> list[tuple[str, Any, str]]:
    """(key path, default, note) for every optional key with a fixed default, read from the spec objects
    that hold the defaults; docs/spec_format.md's table is generated from it (tools/gen_exercise_docs.py)."""
    rows: list[tuple[str, Any, str]] = [("side", default_of(ExerciseSpec, "side"), ""),
                                        ("symmetric", default_of(ExerciseSpec, "symmetric"), "")]
    rows += [(f"metrics.*.{key}", default_of(MetricSpec, key), "") for key in ("side", "smooth_frames")]
    for kind in KINDS.values():
        rows += [(f"metrics.*.{key}", default_of(kind, name), kind.key) for key, name in kind.options.items()]
    rows += [(f"metrics.*.baseline.{key}", default_of(BaselineRule, key), "back_curvature") for key in ("seconds", "keep", "ask")]
    rows += [("metrics.*.baseline.max_spread", default_of(BaselineRule, "max_spread"), "back_curvature: no limit")]
    rows += [("metrics.*.steady.seconds", default_of(SteadyRule, "seconds"), "back_curvature, with `steady`")]
    rows += [(f"reps.{key}", default_of(RepRule, key), "") for key in ("min_duration_s", "max_gap_s", "bridge_gap_s", "adapt_start",
                                                                       "start_above_picture")]
    rows += [(f"reps.partial.{key}", default_of(RepRule, name), "without a `partial` block") for key, name in
             (("cue", "partial_cue"), ("say", "partial_message"))]
    rows += [("reps.partial.after", default_of(RepRule, "partial_after"), f"{DEFAULT_PARTIAL_FRACTION:g} of the way from start to target"),
             ("reps.partial.at_end", default_of(RepRule, "partial_at_end"), "")]
    rows += [(f"hold.{key}", default_of(HoldRule, key), "") for key in ("grace_s", "min_s")]
    rows += [("hold.still_within", default_of(HoldRule, "still_within"), "no stillness asked")]
    rows += [(f"hold.short.{key}", default_of(HoldRule, name), "without a `short` block") for key, name in
             (("cue", "short_cue"), ("say", "short_message"))]
    rows += [(f"cues[].{key}", default_of(CueSpec, key), "") for key in ("severity", "persist_s", "during")]
    rows += [("cues[].of", DEFAULT_AGGREGATE, "rep_end rules")]
    rows += [("cues[].unsure_from", default_of(CueSpec, "unsure_from"), "rep_end rules: every value inside the bound is good")]
    rows += [(f"defaults.{key}", default_of(Defaults, key), "also in `levels`") for key in ("sets", "rest_s", "per_side")]
    return rows


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
