"""Routines: routine files (YAML → validated `Routine`) and the set plan they resolve to.

A routine lists exercises with sets × reps or hold seconds and rest; whatever an entry leaves out
comes from the exercise spec (`levels`, then `defaults`). Imports neither cv2 nor mediapipe.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from formcoach.core import FrameResult
from formcoach.errors import SpecError
from formcoach.resources import DataKind, search_dirs, shipped_dir, yaml_files
from formcoach.spec_reader import Reader, describe, did_you_mean  # same validation style as specs
from formcoach.specs import Defaults, ExerciseSpec
from formcoach.voice import number_words

DOSE_KEYS = ("sets", "reps", "hold_s", "rest_s")


# ---- routine files ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dose:
    """What a routine entry prescribes; None = not given here (taken from the next layer)."""

    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    rest_s: float | None = None


@dataclass(frozen=True, slots=True)
class RoutineEntry:
    """One exercise of a routine: its own dose and per-level overrides (level name → Dose)."""

    exercise: str
    dose: Dose
    levels: Mapping[str, Dose] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Routine:
    id: str
    name: str
    source: str
    path: str
    exercises: tuple[RoutineEntry, ...]
    levels: tuple[str, ...] = ()
    description: str = ""


def _parse_dose(r: Reader, exercise: str | None, catalog: Mapping[str, ExerciseSpec]) -> Dose:
    sets, reps = r.int("sets", None), r.int("reps", None)
    for key, value in (("sets", sets), ("reps", reps)):
        if value == 0:
            r.fail("expected at least 1, found 0", key)
    dose = Dose(sets=sets, reps=reps, hold_s=r.num("hold_s", None, positive=True), rest_s=r.num("rest_s", None))
    if dose.rest_s is not None and dose.rest_s < 0:
        r.fail(f"expected seconds >= 0, found {dose.rest_s:g}", "rest_s")
    spec = catalog.get(exercise or "")
    if spec is not None:
        if dose.reps is not None and spec.reps is None:
            r.fail(f"{spec.id} is timed, not counted (it has no reps block): give hold_s instead", "reps")
        if dose.hold_s is not None and spec.hold is None:
            r.fail(f"{spec.id} has no hold to time: give reps instead", "hold_s")
    return dose


def parse_routine(data: Any, path: str, catalog: Mapping[str, ExerciseSpec]) -> Routine:
    """Validate a parsed routine YAML document against the exercise catalog. Raises SpecError."""
    r = Reader(path, data, "")
    routine_id = r.str("id")
    stem = Path(path).stem
    if path != "<routine>" and stem != routine_id:
        r.fail(f"id {routine_id!r} must match the file name {stem!r}", "id")
    levels_raw = r.raw("levels", [])
    if not isinstance(levels_raw, list) or not all(isinstance(v, str) and v for v in levels_raw) or len(set(levels_raw)) != len(levels_raw):
        r.fail(f"expected a list of distinct level names, e.g. [beginner, standard], found {describe(levels_raw)}", "levels")
    clash = [lv for lv in levels_raw if lv in DOSE_KEYS or lv == "exercise"]
    if clash:
        r.fail(f"level name {clash[0]!r} clashes with an entry key ({', '.join(('exercise',) + DOSE_KEYS)})", "levels")
    levels = tuple(levels_raw)
    items = r.raw("exercises")
    if not isinstance(items, list) or not items:
        r.fail(f"expected a list of exercises ({{exercise: ID, sets: N, reps: N | hold_s: S, rest_s: S}}), found {describe(items)}", "exercises")
    entries = []
    for i, item in enumerate(items):
        er = r.child(f"exercises[{i}]", item)
        exercise = er.str("exercise")
        if exercise not in catalog:
            known = sorted(catalog)
            er.fail(f"unknown exercise {exercise!r}{did_you_mean(exercise, known)} (known: {', '.join(known)})", "exercise")
        dose = _parse_dose(er, exercise, catalog)
        per_level: dict[str, Dose] = {}
        for level in levels:
            if er.has(level):
                lr = er.child(level, er.raw(level))
                per_level[level] = _parse_dose(lr, exercise, catalog)
                lr.done()
        for key, value in er.data.items():
            if isinstance(value, dict) and key not in levels:
                declared = f"declared: {', '.join(levels)}" if levels else "none declared"
                er.fail(f"level block for an undeclared level ({declared}); list it at the top: levels: [{key}, ...]", str(key))
        er.done()
        entries.append(RoutineEntry(exercise=exercise, dose=dose, levels=per_level))
    routine = Routine(
        id=routine_id, name=r.str("name"), source=r.str("source"), path=path, exercises=tuple(entries), levels=levels,
        description=r.str("description", ""),
    )
    r.done()
    plan_workout(routine, catalog, None)  # every level must resolve to a full plan: fail at load, not mid-workout
    for level in levels:
        plan_workout(routine, catalog, level)
    return routine


def default_routine_dir() -> Path:
    """The shipped routine folder (package data `formcoach.routines`)."""
    return shipped_dir(DataKind.ROUTINES)


def load_routine(path_or_id: str | Path, catalog: Mapping[str, ExerciseSpec], routine_dir: str | Path | None = None) -> Routine:
    """Read and validate a routine: a YAML file path, or an id among the shipped routines and those in
    `routine_dir` (else `$FORMCOACH_ROUTINES`)."""
    path = Path(path_or_id)
    if not path.is_file():
        by_id = yaml_files(DataKind.ROUTINES, routine_dir)
        if path.suffix in (".yaml", ".yml") or str(path_or_id) not in by_id:
            known = list(by_id)
            folders = ", ".join(str(f) for f in search_dirs(DataKind.ROUTINES, routine_dir))
            raise SpecError(f"{path_or_id}: no such routine file or id{did_you_mean(str(path_or_id), known)} "
                            f"(routines in {folders}: {', '.join(known) or 'none'})")
        path = by_id[str(path_or_id)]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read routine file ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise SpecError(f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_routine(data, str(path), catalog)


# ---- the plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedSet:
    """One set of the workout, fully resolved.

    Attributes:
        index: 1-based position in the workout.
        entry: 0-based index of the routine entry it comes from.
        spec: the exercise spec, its hold target set to `hold_s` when the set has a hold.
        set_no, sets: "set 2 of 3".
        reps: reps to count (exercises with a reps block), else None.
        hold_s: hold target, seconds: the set's target for hold-only exercises, the hold at the
            bottom of each rep for exercises with both; None without a hold.
        rest_s: rest after this set, seconds (0 after the last set of the workout).
    """

    index: int
    entry: int
    spec: ExerciseSpec
    set_no: int
    sets: int
    reps: int | None
    hold_s: float | None
    rest_s: float

    def target_reached(self, result: FrameResult) -> bool:
        """The set is done: `reps` counted, or (hold-only) the current hold has lasted `hold_s`."""
        if self.reps is not None:
            return result.rep_count >= self.reps
        return result.hold_elapsed_s is not None and result.hold_elapsed_s >= (self.hold_s or 0.0) - 1e-9

    @property
    def dose_words(self) -> str:
        """"three reps" / "hold fifteen seconds" / "five reps, hold five seconds each"."""
        hold = f"hold {seconds_words(self.hold_s)}" if self.hold_s is not None else ""
        if self.reps is None:
            return hold
        reps = f"{number_words(self.reps)} {'rep' if self.reps == 1 else 'reps'}"
        return f"{reps}, {hold} each" if hold else reps

    @property
    def announcement(self) -> str:
        """"Next: superman hold, set 1 of 3, hold fifteen seconds" (no "set 1 of 1" for a single set)."""
        which = f", set {self.set_no} of {self.sets}" if self.sets > 1 else ""
        return f"Next: {spoken_name(self.spec)}{which}, {self.dose_words}"


def spoken_name(spec: ExerciseSpec) -> str:
    """The exercise name as said in a sentence: no parenthesis, lower-case first letter."""
    name = re.sub(r"\s*\([^)]*\)", "", spec.name).strip() or spec.id.replace("_", " ")
    return name[0].lower() + name[1:]


def seconds_words(seconds: float | None) -> str:
    n = int(round(seconds or 0.0))
    return f"{number_words(n)} {'second' if n == 1 else 'seconds'}"


def plan_workout(routine: Routine, catalog: Mapping[str, ExerciseSpec], level: str | None = None) -> tuple[PlannedSet, ...]:
    """Every set of the workout in order. Raises SpecError (unknown level, a set without a target).

    Each value comes from the first layer that gives it: the entry's `level` block, the entry,
    the spec's `levels[level]`, the spec's `defaults`. `level=None` skips both level layers.
    """
    if level is not None and routine.levels and level not in routine.levels:
        raise SpecError(f"{routine.path}: levels: unknown level {level!r}{did_you_mean(level, routine.levels)} "
                        f"(this routine has: {', '.join(routine.levels)})")
    out: list[PlannedSet] = []
    for i, entry in enumerate(routine.exercises):
        spec = catalog[entry.exercise]
        spec_layer: Defaults = spec.levels.get(level, spec.defaults) if level is not None else spec.defaults
        layers: list[Any] = [entry.levels.get(level) if level is not None else None, entry.dose, spec_layer]

        def pick(key: str) -> Any:
            return next((getattr(x, key) for x in layers if x is not None and getattr(x, key) is not None), None)  # noqa: B023 (called in this iteration)

        sets, rest_s = pick("sets") or 1, float(pick("rest_s") or 0.0)
        reps = pick("reps") if spec.reps is not None else None
        hold_s = pick("hold_s") if spec.hold is not None else None
        where = f"{routine.path}: exercises[{i}] ({entry.exercise}{', level ' + level if level else ''})"
        if spec.reps is not None and reps is None:
            raise SpecError(f"{where}: no reps given and the spec has no default reps: add reps: N")
        if spec.hold is not None:
            if hold_s is None:
                hold_s = spec.hold.rule.target_s
            spec = spec.with_hold_target(hold_s)
        for s in range(1, sets + 1):
            out.append(PlannedSet(index=len(out) + 1, entry=i, spec=spec, set_no=s, sets=sets, reps=reps,
                                  hold_s=float(hold_s) if hold_s is not None else None, rest_s=rest_s))
    if out:
        out[-1] = dataclasses.replace(out[-1], rest_s=0.0)
    return tuple(out)


def describe_plan(plan: Sequence[PlannedSet]) -> str:
    """The plan as lines for the terminal: one per exercise."""
    lines: list[str] = []
    for p in plan:
        if p.set_no == 1:
            dose = f"{p.reps} reps" if p.reps is not None else f"{p.hold_s:g} s hold"
            if p.reps is not None and p.hold_s is not None:
                dose += f" ({p.hold_s:g} s hold each)"
            rest = f", rest {p.rest_s:g} s" if p.rest_s > 0 else ""
            lines.append(f"  {p.spec.name}: {p.sets} x {dose}{rest}  [{'/'.join(p.spec.views)} view]")
    return "\n".join(lines)


def needs_segmentation(plan: Sequence[PlannedSet]) -> bool:
    """Whether the pose backend must produce segmentation masks for some set."""
    return any(p.spec.needs_segmentation for p in plan)

