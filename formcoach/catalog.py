"""The exercise catalog in words: the `exercises` listing, one exercise's detail, the JSON catalog.

Reads validated specs only; no cv2, no mediapipe.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Mapping

from formcoach.specs import Condition, ExerciseSpec


def catalog_lines(catalog: Mapping[str, ExerciseSpec]) -> str:
    """`exercises`: one line per exercise (id, name, views, what it counts)."""
    id_w = max(len(s.id) for s in catalog.values())
    name_w = max(len(s.name) for s in catalog.values())
    lines = []
    for spec in catalog.values():
        kind = " + ".join(k for k, v in (("reps", spec.reps), ("hold", spec.hold)) if v is not None)
        lines.append(f"{spec.id:{id_w}s}  {spec.name:{name_w}s}  {'/'.join(spec.views):10s}  {kind}")
    return "\n".join(lines)


def exercise_dict(spec: ExerciseSpec) -> dict[str, Any]:
    """One exercise of `exercises --json`: what it counts, what it checks and says, its doses."""
    return {
        "id": spec.id, "name": spec.name, "views": list(spec.views),
        "counts": [k for k, v in (("reps", spec.reps), ("hold", spec.hold)) if v is not None],
        "metrics": [{"id": n, "name": m.label, "unit": m.unit} for n, m in spec.metrics.items()],
        "cues": [{"id": c.id, "when": c.when, "metric": c.condition.metric, "min": c.condition.min,
                  "max": c.condition.max, "severity": c.severity, "message": c.say, "spoken": spec.spoken.get(c.id, c.say)}
                 for c in spec.cues],
        "defaults": asdict(spec.defaults), "levels": {k: asdict(v) for k, v in spec.levels.items()},
    }


def describe_spec(spec: ExerciseSpec) -> str:
    """`exercises --detail`: what the exercise counts and checks, its camera set-up and dose."""
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
