"""The spec loader and `formcoach report` as contracts (issue 13, case 11): any input gives a
valid spec / a rebuilt page, or one FormcoachError line — never another exception.

Hypothesis mutates the shipped specs (a value replaced, a key dropped or renamed, a list nested,
bytes garbled) and a real report.json; each fuzz test is bounded to well under a minute.
"""

from __future__ import annotations

import copy
import json
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcoach.cli import main
from formcoach.errors import FormcoachError, SpecError
from formcoach.report import read_report
from formcoach.specs import default_spec_dir, load_spec_text, scan_catalog

SPEC_FILES = sorted(default_spec_dir().glob("*.yaml"))
SPECS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SPEC_FILES}
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# Values a careless editor (or a fuzzer) puts anywhere.
WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["knee", "hip", "side", "auto", "rep_end", "no", "", "1.0e+400", ".inf"]),
    st.lists(st.integers(), max_size=3), st.just([["knee"]]), st.just({"metric": "knee"}), st.just({1: 2, "a": 3}),
)


def _paths(node, prefix=()):
    """Every key path into a parsed YAML document."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@st.composite
def mutated_spec(draw):
    name = draw(st.sampled_from(sorted(SPECS)))
    doc = copy.deepcopy(SPECS[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "rename", "wrap"]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if action == "replace":
            _set(doc, path, copy.deepcopy(draw(WEIRD)))  # st.just hands out one shared object
        elif action == "delete":
            del parent[path[-1]]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.one_of(st.text(max_size=6), st.integers(), st.booleans()))] = parent.pop(path[-1])
        elif action == "wrap":
            _set(doc, path, [parent[path[-1]]])
    return name, doc


def _dump(doc) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:  # e.g. a key yaml cannot write: the repr is garbage YAML, also a fine input
        return repr(doc)


@FUZZ
@given(mutated_spec())
def fuzz_mutated_specs(case):
    name, doc = case
    try:
        load_spec_text(_dump(doc), f"{name}.yaml")
    except SpecError:
        pass


@FUZZ
@given(st.sampled_from(sorted(SPECS)), st.binary(min_size=1, max_size=8), st.floats(0, 1))
def fuzz_garbled_bytes(name, junk, where):
    raw = (default_spec_dir() / f"{name}.yaml").read_bytes()
    at = int(where * len(raw))
    try:
        load_spec_text(raw[:at] + junk + raw[at + len(junk):], f"{name}.yaml")
    except SpecError:
        pass


@pytest.mark.slow
@pytest.mark.one_python  # the spec loader is pure Python: fuzzed once, on CI's main Python
def test_fuzzed_specs_raise_only_spec_error_within_a_minute():
    """Both fuzzers above (mutated specs, garbled bytes), run once and timed together: the issue's budget.

    One test rather than two plus a timing test that ran both again: same examples (derandomized), same
    budget, half the time. The budget is this process's CPU time: on a machine shared with other work the
    wall clock measures the neighbours too (92 s for this test under a load of 8 on 2 cores).
    """
    start = time.process_time()
    fuzz_mutated_specs()
    fuzz_garbled_bytes()
    assert time.process_time() - start < 60


WALL = SPECS["wall_squat"]


def _with(path: tuple, value) -> str:
    doc = copy.deepcopy(WALL)
    _set(doc, path, value)
    return yaml.safe_dump(doc)


@pytest.mark.parametrize(
    "text, message",
    [
        (_with(("reps", "start"), 10**400), r"reps\.start: expected a finite number, found a 401-digit number"),
        (_with(("reps", "start"), float("inf")), r"reps\.start: expected a finite number"),
        (_with(("reps", "start"), float("nan")), r"reps\.start: expected a finite number"),
        (_with(("hold", "grace_s"), -1), r"hold\.grace_s: expected a number from 0 to 3600, found -1"),
        (_with(("hold", "min_s"), float("inf")), r"hold\.min_s: expected a finite number"),
        (_with(("cues", 0, "persist_s"), -0.5), r"cues\[0\]\.persist_s: expected a number from 0"),
        (_with(("cues", 0, "max"), float("nan")), r"cues\[0\]\.max: expected a finite number"),
        (_with(("defaults", "per_side"), "no"), r"defaults\.per_side: expected true or false, found 'no'"),
        (_with(("defaults", "sets"), 0), r"defaults\.sets: expected a whole number from 1"),
        (_with(("display",), [["knee"]]), r"display: expected a list of metric names"),
        (_with(("reps", "start_requires"), 5), r"reps\.start_requires: expected a list of conditions"),
        (_with(("cues", 0, "views"), [["side"]]), r"cues\[0\]\.views: expected a list of views"),
        (_with(("hold", "posture", 0, "range"), [True, 200]), r"posture\[0\]\.range: expected \[low, high\]"),
        ("id: wall_squat\n1: x\n", r"keys must be names \(text\), found 1"),
        ("[" * 5000 + "]" * 5000, r"nested too deeply|not valid YAML|expected a mapping"),
        ("x: " + "[" * 5000, r"nested too deeply|not valid YAML"),
    ],
)
def test_fuzz_findings_are_spec_errors_that_say_what_is_wrong(text, message):
    with pytest.raises(SpecError, match=message):
        load_spec_text(text, "wall_squat.yaml")


def test_binary_and_latin1_files_are_named_as_not_utf8():
    with pytest.raises(SpecError, match=r"not UTF-8 text \(byte 0xe9 at offset 9\)"):
        load_spec_text("name: Caf\u00e9".encode("latin-1"), "x.yaml")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec_text(bytes(range(128, 256)), "x.yaml")


def test_one_bad_file_does_not_break_the_catalog(tmp_path, capsys):
    (tmp_path / "broken.yaml").write_text("id: broken\nview: side\n")
    (tmp_path / "latin.yaml").write_bytes("name: Caf\u00e9".encode("latin-1"))
    catalog, problems = scan_catalog(tmp_path)
    assert "wall_squat" in catalog and len(problems) == 2
    assert main(["--specs", str(tmp_path), "exercises"]) == 0
    out, err = capsys.readouterr()
    assert "wall_squat" in out
    assert sorted(line.split(":")[2].strip().split("/")[-1] for line in err.splitlines()) == ["broken.yaml", "latin.yaml"]


def test_empty_spec_folder_is_one_clear_line(tmp_path, capsys):
    assert main(["--specs", str(tmp_path), "exercises"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"formcoach: warning: skipped {tmp_path}: no exercise specs (*.yaml files) in this folder"]


def test_negative_rest_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["workout", "home", "--rest", "-5", "--plan"])
    assert exc.value.code == 2
    assert "--rest: expected seconds between 0 and 3600, found -5" in capsys.readouterr().err


# ---- `formcoach report` on hand-edited report.json ------------------------------------------------------


@pytest.fixture(scope="module")
def report_doc(tmp_path_factory) -> dict:
    """A real report.json (from the synthetic session of test_reliability, no model)."""
    from test_reliability import Scripted, squat_frames

    from formcoach.report import report_dict
    from formcoach.session import run_session
    from formcoach.specs import get_spec

    frames = squat_frames(2)
    record = run_session(((None, t) for t, _ in frames), Scripted(frames), get_spec("wall_squat"), fps=30.0)
    return json.loads(json.dumps(report_dict(record)))


def _thin(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    tl = doc["timeline"]
    keep = slice(0, 40)
    tl["t"], tl["rep_count"] = tl["t"][keep], tl["rep_count"][keep]
    tl["metrics"] = {k: v[keep] for k, v in tl["metrics"].items()}
    return doc


@pytest.mark.one_python  # reads JSON and writes text, pure Python: fuzzed once, on CI's main Python
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.data())
def test_report_on_mutated_report_json_is_a_page_or_one_error(report_doc, tmp_path_factory, data):
    doc = _thin(report_doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = data.draw(st.sampled_from(paths))
        _set(doc, path, copy.deepcopy(data.draw(WEIRD)))
    folder = tmp_path_factory.mktemp("r")
    (folder / "report.json").write_text(json.dumps(doc, default=str))
    try:
        read_report(folder / "report.json")
    except FormcoachError:
        return
    assert main(["report", str(folder / "report.json")]) == 0
