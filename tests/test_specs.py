"""Every shipped spec loads; broken specs fail with errors naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from formcoach.errors import SpecError
from formcoach.specs import default_spec_dir, documented_defaults, get_spec, load_catalog, load_spec_file, parse_spec

SPEC_FILES = sorted(default_spec_dir().glob("*.yaml"))
HEADLINE = ("hip_hinge", "wall_squat", "pull_up", "superman")
#: The catalog's contract (issue 4): these ids must exist.
CATALOG_IDS = (
    "hip_hinge", "seated_hip_hinge", "wall_squat", "pull_up", "superman", "aquaman", "reverse_arm_swing", "cobra",
    "bird_dog", "prone_back_extension", "prone_leg_raise", "bent_over_reverse_fly", "dumbbell_row",
    "romanian_deadlift", "deadlift", "bent_over_row", "chest_supported_row", "inverted_row", "seated_band_row",
    "band_pull_apart", "seated_lean_back", "twist_toe_touch", "dead_hang", "cat_cow", "shrug", "arm_circles",
    "squat", "plank",
)


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_shipped_spec_loads(path: Path):
    spec = load_spec_file(path)
    assert spec.id == path.stem
    assert spec.source and any(s in spec.source for s in ("000_", "001_", "002_", "003_", "004_")), "source must name a seed file"
    assert spec.reps is not None or spec.hold is not None
    assert spec.defaults.reps or spec.defaults.hold_s, "the article's prescription (reps or hold seconds) is the default"


def test_catalog_has_every_promised_exercise():
    assert set(HEADLINE) <= set(CATALOG_IDS)
    assert sorted(set(CATALOG_IDS) - set(load_catalog())) == []


def test_unknown_exercise_lists_choices():
    with pytest.raises(SpecError, match=r"unknown exercise 'wal_squat' \(did you mean 'wall_squat'\?\)"):
        get_spec("wal_squat")


def _base() -> dict:
    """The shipped wall squat's structure, with its rep thresholds pinned so retuning them breaks nothing here."""
    doc = yaml.safe_load((default_spec_dir() / "wall_squat.yaml").read_text())
    doc["reps"].update(start=155, target=105)
    return doc


def _mutate(path_keys: list, value, delete: bool = False) -> dict:
    doc = _base()
    node = doc
    for k in path_keys[:-1]:
        node = node[k]
    if delete:
        del node[path_keys[-1]]
    else:
        node[path_keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    "keys, value, delete, message",
    [
        (["reps", "metric"], "kne", False, r"x\.yaml: reps\.metric: unknown metric 'kne' \(did you mean 'knee'\?\) \(defined: knee, trunk, shin\)"),
        (["metrics", "knee"], {"angle": ["hip", "kne", "ankle"]}, False, r"metrics\.knee\.angle: unknown landmark 'kne'"),
        (["metrics", "knee"], {"angle": ["hip", "knee"]}, False, r"metrics\.knee\.angle: expected a list of 3 landmark names"),
        (["metrics", "knee"], {"angel": ["hip", "knee", "ankle"]}, False, r"metrics\.knee: expected exactly one metric kind"),
        (["reps", "strat"], 150, False, r"reps\.strat: unknown key \(did you mean 'start'\?\)"),
        (["reps", "start"], None, True, r"reps\.start: missing required key"),
        (["reps", "target"], 155, False, r"reps\.target: start and target must differ"),
        (["hold", "target_s"], -5, False, r"hold\.target_s: expected a positive number, found -5"),
        (["cues", 0, "when"], "sometimes", False, r"cues\[0\]\.when: expected one of always, during_rep"),
        (["cues", 0, "min"], "seventy", False, r"cues\[0\]\.min: expected a number, found 'seventy'"),
        (["view"], "top", False, r"view: expected one of side, front, oblique"),
        (["id"], "wall_sit", False, r"id: id 'wall_sit' must match the file name 'x'"),
        (["defaults"], None, True, r"defaults: missing required key"),
    ],
)
def test_broken_specs_name_file_key_and_fix(keys, value, delete, message):
    doc = _mutate(keys, value, delete)
    if keys == ["id"]:
        path = "x.yaml"
    else:
        doc["id"] = "x"
        path = "x.yaml"
    with pytest.raises(SpecError, match=message):
        parse_spec(doc, path)


def test_spec_without_reps_or_hold_is_rejected():
    doc = _base()
    doc["id"] = "x"
    del doc["reps"], doc["hold"]
    doc["cues"] = []
    with pytest.raises(SpecError, match="needs reps, hold, or both"):
        parse_spec(doc, "x.yaml")


def test_cue_ids_may_repeat_only_for_disjoint_views():
    doc = yaml.safe_load((default_spec_dir() / "pull_up.yaml").read_text())
    doc["id"] = "x"
    doc["cues"][1]["views"] = ["side"]
    with pytest.raises(SpecError, match="used twice for the same view"):
        parse_spec(doc, "x.yaml")


def test_circular_metrics_are_rejected():
    doc = _base()
    doc["id"] = "x"
    doc["metrics"]["a"] = {"range": "b", "window_s": 1}
    doc["metrics"]["b"] = {"range": "a", "window_s": 1}
    with pytest.raises(SpecError, match="in a circle"):
        parse_spec(doc, "x.yaml")


def test_invalid_yaml_names_the_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nmetrics: [unclosed\n")
    with pytest.raises(SpecError, match=r"bad\.yaml: line \d+: not valid YAML"):
        load_spec_file(bad)


def test_missing_spec_file(tmp_path: Path):
    with pytest.raises(SpecError, match="cannot read spec file"):
        load_spec_file(tmp_path / "nope.yaml")


def test_segmentation_only_when_a_mask_metric_is_used():
    assert get_spec("hip_hinge").needs_segmentation
    assert not get_spec("wall_squat").needs_segmentation


@pytest.mark.parametrize("extra, message", [
    ({"of": "lead"}, r"cues\[0\]\.of: 'of: lead' and 'against: METRIC' go together"),
    ({"of": "max", "against": "trunk"}, r"cues\[0\]\.against: 'of: lead' and 'against: METRIC' go together"),
    ({"of": "lead", "against": "trunkk"}, r"cues\[0\]\.against: unknown metric 'trunkk' \(did you mean 'trunk'\?\)"),
])
def test_lead_rule_needs_its_other_metric(extra, message):
    doc = _base()
    doc["id"] = "x"
    doc["cues"][0] = {"id": "knees_first", "when": "rep_end", "metric": "knee", "max": 0.3, "say": "Together", **extra}
    with pytest.raises(SpecError, match=message):
        parse_spec(doc, "x.yaml")
    doc["cues"][0].update(of="lead", against="trunk")
    assert parse_spec(doc, "x.yaml").cues[0].against == "trunk"


def test_a_spec_that_leaves_keys_out_gets_the_documented_defaults():
    """docs/spec_format.md's table (generated from `documented_defaults`) is what the loader fills in."""
    spec = parse_spec({
        "id": "x", "name": "X", "source": "test", "view": "side",
        "metrics": {"knee": {"angle": ["hip", "knee", "ankle"]}, "trunk": {"inclination": ["hip", "shoulder"]},
                    "gap": {"distance": ["left_wrist", "right_wrist"]}, "chin": {"offset": ["mid_wrist", "nose"]},
                    "back": {"back_curvature": ["hip", "shoulder"], "baseline": {"metric": "trunk", "max": 20}, "steady": {"max_iqr": 0.02}}},
        "reps": {"metric": "knee", "start": 160, "target": 100},
        "hold": {"target_s": 5, "posture": [{"metric": "trunk", "max": 20}]},
        "cues": [{"id": "c", "when": "rep_end", "metric": "knee", "max": 170, "say": "x"}],
        "defaults": {"reps": 5},
    }, "x.yaml")
    m, rule, hold, cue = spec.metrics, spec.reps.rule, spec.hold.rule, spec.cues[0]
    back = m["back"].kind.baseline
    got = {
        "side": spec.side, "symmetric": spec.symmetric, "metrics.*.side": m["knee"].side, "metrics.*.smooth_frames": m["knee"].smooth_frames,
        "metrics.*.space angle": m["knee"].kind.space, "metrics.*.from inclination": m["trunk"].kind.reference,
        "metrics.*.space inclination": m["trunk"].kind.space, "metrics.*.normalize distance": m["gap"].kind.normalize,
        "metrics.*.axis offset": m["chin"].kind.axis, "metrics.*.normalize offset": m["chin"].kind.normalize,
        "metrics.*.facing offset": m["chin"].kind.facing, "metrics.*.facing back_curvature": m["back"].kind.facing,
        "metrics.*.baseline.seconds back_curvature": back.seconds, "metrics.*.baseline.keep back_curvature": back.keep,
        "metrics.*.baseline.ask back_curvature": back.ask,
        "metrics.*.baseline.max_spread back_curvature: no limit": back.max_spread,
        "metrics.*.steady.seconds back_curvature, with `steady`": m["back"].kind.steady.seconds,
        "reps.min_duration_s": rule.min_duration_s, "reps.max_gap_s": rule.max_gap_s, "reps.bridge_gap_s": rule.bridge_gap_s,
        "reps.adapt_start": rule.adapt_start, "reps.start_above_picture": rule.start_above_picture,
        "reps.partial.cue without a `partial` block": rule.partial_cue,
        "reps.partial.say without a `partial` block": rule.partial_message,
        "reps.partial.after 0.3 of the way from start to target": rule.partial_after, "reps.partial.at_end": rule.partial_at_end,
        "hold.grace_s": hold.grace_s, "hold.min_s": hold.min_s, "hold.still_within no stillness asked": hold.still_within,
        "hold.short.cue without a `short` block": hold.short_cue,
        "hold.short.say without a `short` block": hold.short_message, "cues[].severity": cue.severity,
        "cues[].persist_s": cue.persist_s, "cues[].during": cue.during, "cues[].of rep_end rules": cue.reduce,
        "cues[].unsure_from rep_end rules: every value inside the bound is good": cue.unsure_from,
        **{f"defaults.{k} also in `levels`": getattr(spec.defaults, k) for k in ("sets", "rest_s", "per_side")},
    }
    documented = {f"{key} {note}".strip(): value for key, value, note in documented_defaults()}
    assert got == documented


@pytest.mark.parametrize("metric, message", [
    ({"angle": ["hip", "knee", "ankle"], "side": {"pick": "max", "by": "sway"}},
     r"metrics\.x: 'sway' is a range metric, which has no value per side \(use a metric of kind angle, inclination"),
    ({"asymmetry": "sway"}, r"metrics\.x: 'sway' is a range metric, which has no value per side"),
    ({"asymmetry": "x"}, r"metrics\.x: a metric cannot be computed from itself"),
    ({"range": "kne", "window_s": 1}, r"metrics\.x: refers to unknown metric 'kne' \(did you mean 'knee'\?\) \(defined: "),
    ({"offset": ["hip", "nose"], "axis": "z"}, r"metrics\.x\.axis: expected one of x, y, forward, found 'z'"),
    ({"angle": ["hip", "knee", "ankle"], "side": "near"}, r"metrics\.x\.side: expected one of auto, left, right, other, mean"),
])
def test_metric_references_and_options_are_checked_at_load(metric, message):
    """A metric that would fail while analysing (a side pick by a metric with no sides) fails at load instead."""
    doc = _base()
    doc["id"] = "x"
    doc["metrics"]["sway"] = {"range": "knee", "window_s": 2}
    doc["metrics"]["x"] = metric
    with pytest.raises(SpecError, match=message):
        parse_spec(doc, "x.yaml")


def test_every_metric_kind_is_documented():
    from formcoach.metric_kinds import KINDS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "spec_format.md").read_text()
    assert [k for k in KINDS if f"| `{k}` |" not in doc] == []


def test_a_metric_computed_from_another_has_its_unit():
    """A range or asymmetry is in the unit of the metric it is computed from (it read "deg" for any)."""
    doc = _base()
    doc["id"] = "x"
    doc["metrics"] |= {"reach": {"offset": ["hip", "wrist"], "axis": "x"}, "sway": {"range": "reach", "window_s": 2},
                       "uneven": {"asymmetry": "reach"}, "knee_sway": {"range": "knee", "over": "rep"}}
    m = parse_spec(doc, "x.yaml").metrics
    assert (m["reach"].unit, m["sway"].unit, m["uneven"].unit, m["knee_sway"].unit) == ("torso", "torso", "torso", "deg")


@pytest.mark.parametrize("cue, error", [
    ({"when": "during_rep", "max": 0.02, "unsure_from": 0.01}, "only applies with when: rep_end"),
    ({"when": "rep_end", "max": 0.02, "unsure_from": 0.03}, "must be below max"),
    ({"when": "rep_end", "min": 0.02, "unsure_from": 0.01}, "must be above min"),
    ({"when": "rep_end", "range": [0.0, 0.02], "unsure_from": 0.01}, "one bound"),
])
def test_unsure_from_is_checked_against_its_rule(cue, error):
    from formcoach.errors import SpecError
    from formcoach.specs import parse_spec

    raw = {
        "id": "x", "name": "X", "source": "test", "description": "test", "view": "side", "camera": "side",
        "metrics": {"knee": {"angle": ["hip", "knee", "ankle"]}},
        "reps": {"metric": "knee", "start": 150, "target": 110},
        "cues": [{"id": "c", "metric": "knee", "say": "s", **cue}],
        "defaults": {"sets": 1, "reps": 3, "rest_s": 30},
    }
    with pytest.raises(SpecError, match=error):
        parse_spec(raw)
