"""Reports from a SessionRecord: report.json (stable schema, see docs/report_format.md), CSV, text summary.

Consumes data only; never analyses. No cv2, no mediapipe.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcoach.core import UNCHECKED_MIN_S, Fault, Hold, Rep
from formcoach.errors import FormcoachError, OutputError
from formcoach.report_common import _fault_unit, unchecked_cues, value_text
from formcoach.session import SessionRecord

if TYPE_CHECKING:
    from formcoach.journal import Journal
    from formcoach.specs import ExerciseSpec

SCHEMA_VERSION = 1


def _num(value: float, digits: int = 3) -> float | None:
    """JSON-safe rounded number (NaN → null)."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def rep_dict(rep: Rep) -> dict[str, Any]:
    return {
        "index": rep.index,
        "start_s": _num(rep.start_s),
        "end_s": _num(rep.end_s),
        "bottom_s": _num(rep.bottom_s),
        "min": _num(rep.min, 2),
        "max": _num(rep.max, 2),
        "tempo": {"down_s": _num(rep.tempo.down_s), "pause_s": _num(rep.tempo.pause_s), "up_s": _num(rep.tempo.up_s)},
        "faults": list(rep.faults),
        **({"partial_cue": rep.partial_cue} if rep.partial_cue else {}),
        **({"unseen_s": _num(rep.unseen_s)} if rep.unseen_s > 0 else {}),
        **({"too_close_to_call": list(rep.too_close)} if rep.too_close else {}),
    }


def hold_dict(hold: Hold) -> dict[str, Any]:
    return {
        "index": hold.index,
        "start_s": _num(hold.start_s),
        "end_s": _num(hold.end_s),
        "duration_s": _num(hold.duration_s),
        "target_s": _num(hold.target_s),
        "completed": hold.completed,
        "broke_because": hold.broke_because if not hold.completed else None,
    }


def _limits(c: Any) -> dict[str, Any]:
    return {"metric": c.metric, "min": c.min, "max": c.max, **({"label": c.label} if c.label else {})}


def spec_summary(spec: ExerciseSpec) -> dict[str, Any]:
    """The spec's targets and limits in force (level applied) and human metric names: what the HTML
    report draws as target lines and bands, so report.json alone can rebuild the page."""
    from formcoach.landmarks import model_version

    rule = spec.reps.rule if spec.reps is not None else None
    return {
        "settings": {"level": spec.level, "spec_file": Path(spec.path).name, "pose_model": model_version(),
                     "hold_target_s": spec.hold.rule.target_s if spec.hold is not None else None},
        "labels": {name: m.label for name, m in spec.metrics.items()},
        "reps": None if rule is None else {"metric": rule.metric, "start": rule.start, "target": rule.target,
                                           "partial_cue": rule.partial_cue, "return_cue": rule.incomplete_return_cue},
        "hold": None if spec.hold is None else {
            "target_s": spec.hold.rule.target_s, "short_cue": spec.hold.rule.short_cue,
            "posture": [_limits(c) for c in spec.hold.posture]},
        "cues": [{"id": c.id, "when": c.when, "aggregate": c.aggregate, "severity": c.severity, **_limits(c.condition)}
                 for c in spec.cues],
    }


def fault_dict(f: Fault) -> dict[str, Any]:
    return {
        "cue": f.cue, "message": f.message, "t_s": _num(f.t_s), "value": _num(f.value, 3),
        "severity": f.severity.value, "rep": f.rep, "hold": f.hold,
    }


def not_judged_list(record: SessionRecord) -> list[dict[str, Any]]:
    return [{"cue": n.cue, "reason": n.reason, "seconds": _num(n.seconds, 2)} for n in record.not_judged if n.seconds > 0]


def timeline_dict(record: SessionRecord) -> dict[str, Any]:
    """Per-frame series for plots and re-rendering: t, rep count, every spec metric (null = not measurable)."""
    return _timeline(spec_head(record.spec), record.t, record.rep_counts, record.series)


def _timeline(head: dict[str, Any], t: list[float], counts: list[int], series: dict[str, list]) -> dict[str, Any]:
    units: dict[str, Any] = head["units"] if isinstance(head.get("units"), dict) else {}
    return {
        "t": [round(x, 3) for x in t],
        "rep_count": list(counts),
        "metrics": {name: [_num(v, 3) for v in values] for name, values in series.items()},
        "units": {name: units.get(name, "") for name in series},
        "primary": head.get("primary"),
    }


def spec_head(spec: ExerciseSpec) -> dict[str, Any]:
    """What a report needs to know of the spec (kept in the journal, so a report can be rebuilt without it)."""
    d = spec.defaults
    return {
        "id": spec.id, "name": spec.name, "views": list(spec.views), "primary": spec.primary_metric,
        "units": {name: m.unit for name, m in spec.metrics.items()},
        "defaults": {"sets": d.sets, "reps": d.reps, "hold_s": d.hold_s, "rest_s": d.rest_s},
        "summary": spec_summary(spec),
    }


def confidence_dict(record: SessionRecord) -> dict[str, Any] | None:
    """How far to trust the rep count (None for hold-only exercises): level, the second count, why."""
    conf = record.count_confidence
    if conf is None:
        return None
    return {"level": conf.level.value, "rhythm_cycles": conf.cycles, "reasons": list(conf.reasons)}


def report_dict(record: SessionRecord) -> dict[str, Any]:
    """The report.json document."""
    doc = assemble_report(
        spec_head(record.spec),
        source=record.source, fps=record.fps, duration_s=record.duration_s, ended_by=record.ended_text,
        frames={"total": record.frames_total, "with_pose": record.frames_with_pose, "dropped": record.frames_dropped},
        views=record.views,
        reps=[rep_dict(r) for r in record.reps],
        partial_reps=[rep_dict(r) for r in record.partial_reps],
        holds=[hold_dict(h) for h in record.holds],
        faults=[fault_dict(f) for f in record.faults],
        not_judged=not_judged_list(record),
        timeline={"t": record.t, "rep_count": record.rep_counts, "metrics": record.series},
        warnings=list(record.warnings),
    )
    doc["count_confidence"] = confidence_dict(record)
    return doc


def assemble_report(head: dict[str, Any], *, source: str, fps: float, duration_s: float, ended_by: str,
                    frames: dict[str, int], views: dict[str, int], reps: list[dict], partial_reps: list[dict],
                    holds: list[dict], faults: list[dict], not_judged: list[dict], timeline: dict[str, Any],
                    warnings: list[str]) -> dict[str, Any]:
    """The report.json document from plain data: one builder for a finished session and a rebuilt journal."""
    main_view = max(views, key=lambda v: views[v]) if views else None
    return {
        "schema_version": SCHEMA_VERSION,
        "exercise": head.get("id"),
        "exercise_name": head.get("name"),
        "source": source,
        "duration_s": _num(duration_s),
        "fps": _num(fps, 2),
        "ended_by": ended_by,
        "frames": frames,
        "view": main_view,
        "view_ok": main_view is None or main_view in head.get("views", ()),  # False: counts and checks may be unreliable
        "rep_count": len(reps),
        "reps": reps,
        "partial_reps": partial_reps,
        "holds": holds,
        "faults": faults,
        "not_judged": not_judged,
        "warnings": list(warnings),
        "timeline": _timeline(head, timeline["t"], timeline["rep_count"], timeline["metrics"]),
        "defaults": dict(head.get("defaults") or {}),
        "spec_summary": head.get("summary") or {},
    }


def stamp(out_dir: Path) -> dict[str, Any]:
    """When the session was written (ISO 8601, local time with offset), by which formcoach, and its
    annotated video (H.264 MP4, which browsers play) when one was written beside the report."""
    import datetime

    from formcoach import __version__
    from formcoach.video_out import VIDEO_CODEC, VIDEO_NAME

    doc: dict[str, Any] = {"session_date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                           "formcoach_version": __version__}
    if (out_dir / VIDEO_NAME).is_file():
        doc["video"] = {"file": VIDEO_NAME, "codec": VIDEO_CODEC, "container": "mp4"}
    return doc


def write_json(record: SessionRecord, path: str | Path) -> Path:
    """report.json for a session, written atomically (see `write_report`)."""
    return write_report(report_dict(record), path)


def write_session_reports(record: SessionRecord, out_dir: Path, journal: Journal | None = None) -> tuple[Path, Path]:
    """The end of a session: the journal's end line, report.json (atomically), then report.html and
    metrics.csv from report.json alone. Returns (report.json, report.html).

    Raises:
        OutputError: a report cannot be written (saying whether the journal still holds the session).
    """
    from formcoach.report_html import regenerate

    if journal is not None:
        journal.finish(record)
    keep = f"; the session is kept in {journal.path}: `formcoach report {out_dir}` rebuilds the report" if journal else ""
    if journal is not None and journal.error is not None:
        keep = f"; the journal {journal.path} is incomplete too ({journal.error.strerror or journal.error})"
    try:
        report = write_json(record, out_dir / "report.json")
        html = regenerate(report)  # report.html + metrics.csv, from report.json alone
    except OutputError as exc:
        raise OutputError(f"{exc}{keep}") from None
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write report.html/metrics.csv ({exc.strerror or exc}); "
                          f"report.json is written") from None
    return report, html


def write_report(doc: dict[str, Any], path: str | Path) -> Path:
    """Write a report document atomically: a temporary file in the same folder, fsync, rename.

    A full disk or a kill mid-write leaves the previous report (or none), never a truncated one.

    Raises:
        OutputError: the folder or the file cannot be written (one line, with the reason).
    """
    path = Path(path)
    doc = {**stamp(path.parent), **doc}  # a rebuilt report keeps its own date and version
    text = json.dumps(doc, indent=2) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
    return path


def read_report(path: str | Path) -> dict[str, Any]:
    """A report.json document, checked enough that the HTML and CSV builders can trust its shape.

    Raises:
        FormcoachError: missing, unreadable (the reason: permission is not corruption), not JSON,
            not a formcoach report, or a key with the wrong kind of value (named by its path).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FormcoachError(f"{path}: no such report file") from None
    except PermissionError:
        raise FormcoachError(f"{path}: permission denied (the report cannot be read by this user)") from None
    except IsADirectoryError:
        raise FormcoachError(f"{path}: is a folder, expected a report.json") from None
    except OSError as exc:
        raise FormcoachError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormcoachError(f"{path}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}): "
                             "not a report.json") from None
    except RecursionError:
        raise FormcoachError(f"{path}: nested too deeply to be a report.json") from None
    except ValueError as exc:
        raise FormcoachError(f"{path}: not valid JSON ({exc}): damaged or cut short") from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "faults" not in doc:
        raise FormcoachError(f"{path}: not a formcoach report.json (no schema_version/faults)")
    problem = report_problem(doc)
    if problem:
        raise FormcoachError(f"{path}: {problem}")
    return doc


_NUM = (int, float)
MAX_REPORT_NUMBER = 1e9  # no time, count or measurement is bigger; larger ones overflow the plots
_OPT_NUM = (int, float, type(None))
_OPT_STR = (str, type(None))
#: The shape of what the builders read: key -> allowed types (a dict value: a nested mapping).
_TOP: dict[str, Any] = {"schema_version": (int, str), "exercise": _OPT_STR, "exercise_name": _OPT_STR, "source": _OPT_STR,
        "duration_s": _OPT_NUM, "fps": _OPT_NUM, "ended_by": _OPT_STR, "view": _OPT_STR, "rep_count": _OPT_NUM,
        "frames": dict, "reps": list, "partial_reps": list, "holds": list, "faults": list, "not_judged": list,
        "warnings": list, "timeline": (dict, type(None)), "defaults": (dict, type(None)),
        "spec_summary": (dict, type(None)), "video": (dict, type(None)), "session_date": _OPT_STR,
        "formcoach_version": _OPT_STR}
_LIMIT = {"metric": str, "min": _OPT_NUM, "max": _OPT_NUM, "label": _OPT_STR}
#: spec_summary (what the page draws as targets and limits): section -> item fields.
_SUMMARY: dict[str, Any] = {
    "settings": {"level": _OPT_STR, "spec_file": _OPT_STR, "pose_model": _OPT_STR, "hold_target_s": _OPT_NUM},
    "reps": {"metric": str, "start": _NUM, "target": _NUM, "partial_cue": _OPT_STR, "return_cue": _OPT_STR},
    "hold": {"target_s": _NUM, "short_cue": _OPT_STR, "posture": list},
}
_CUE = {"id": str, "when": _OPT_STR, "aggregate": _OPT_STR, "severity": _OPT_STR, **_LIMIT}
_ITEM: dict[str, dict[str, Any]] = {
    "reps": {"index": _OPT_NUM, "start_s": _OPT_NUM, "end_s": _OPT_NUM, "bottom_s": _OPT_NUM, "min": _OPT_NUM,
             "max": _OPT_NUM, "tempo": (dict, type(None)), "faults": list, "partial_cue": _OPT_STR,
             "too_close_to_call": (list, type(None))},
    "holds": {"index": _OPT_NUM, "start_s": _OPT_NUM, "end_s": _OPT_NUM, "duration_s": _OPT_NUM, "target_s": _OPT_NUM,
              "completed": (bool, type(None)), "broke_because": _OPT_STR},
    "faults": {"cue": _OPT_STR, "message": _OPT_STR, "t_s": _OPT_NUM, "value": _OPT_NUM, "severity": _OPT_STR,
               "rep": _OPT_NUM, "hold": _OPT_NUM},
    "not_judged": {"cue": _OPT_STR, "reason": _OPT_STR, "seconds": _OPT_NUM},
}
_ITEM["partial_reps"] = _ITEM["reps"]


def _kind(types: tuple | type) -> str:
    names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
    return " or ".join("null" if n == "NoneType" else n for n in names)


def _bad(key: str, value: Any, types: tuple | type) -> str | None:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        return f"{key}: expected {_kind(types)}, found {value!r}"
    if not isinstance(value, types):
        return f"{key}: expected {_kind(types)}, found {type(value).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key}: expected a finite number, found {value}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_REPORT_NUMBER:
        return f"{key}: expected a number of at most {MAX_REPORT_NUMBER:g} in size, found one of {len(str(int(value)))} digits"
    return None


def report_problem(doc: dict[str, Any]) -> str | None:
    """What is wrong with a report document's shape (key path, expected, found), or None."""
    for key, types in _TOP.items():
        if key in doc and (problem := _bad(key, doc[key], types)):
            return problem
    for section, fields in _ITEM.items():
        for i, item in enumerate(doc.get(section) or []):
            if not isinstance(item, dict):
                return f"{section}[{i}]: expected an object, found {type(item).__name__}"
            for key, types in fields.items():
                if key in item and (problem := _bad(f"{section}[{i}].{key}", item[key], types)):
                    return problem
            for key in ("tempo",):
                for sub, value in (item.get(key) or {}).items():
                    if problem := _bad(f"{section}[{i}].{key}.{sub}", value, _OPT_NUM):
                        return problem
            if any(not isinstance(f, str) for f in item.get("faults") or []):
                return f"{section}[{i}].faults: expected a list of cue names"
    for key, types in (("frames", _NUM), ("defaults", _OPT_NUM)):
        for sub, value in (doc.get(key) or {}).items():
            if problem := _bad(f"{key}.{sub}", value, types):
                return problem
    if any(not isinstance(w, str) for w in doc.get("warnings") or []):
        return "warnings: expected a list of strings"
    return _summary_problem(doc.get("spec_summary")) or _timeline_problem(doc.get("timeline"))


def _fields_problem(where: str, item: Any, fields: dict[str, Any]) -> str | None:
    if not isinstance(item, dict):
        return f"{where}: expected an object, found {type(item).__name__}"
    for key, types in fields.items():
        if key in item and (problem := _bad(f"{where}.{key}", item[key], types)):
            return problem
    return None


def _summary_problem(summary: dict[str, Any] | None) -> str | None:
    """spec_summary: labels, rep thresholds, hold posture limits and cue limits, type-checked."""
    if not summary:
        return None
    labels = summary.get("labels")
    if labels is not None and (not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values())):
        return "spec_summary.labels: expected an object of metric -> name"
    for section, fields in _SUMMARY.items():
        if summary.get(section) is not None and (problem := _fields_problem(f"spec_summary.{section}", summary[section], fields)):
            return problem
    for i, cond in enumerate((summary.get("hold") or {}).get("posture") or []):
        if problem := _fields_problem(f"spec_summary.hold.posture[{i}]", cond, _LIMIT):
            return problem
    cues = summary.get("cues")
    if cues is not None and not isinstance(cues, list):
        return f"spec_summary.cues: expected a list, found {type(cues).__name__}"
    for i, cue in enumerate(cues or []):
        if problem := _fields_problem(f"spec_summary.cues[{i}]", cue, _CUE):
            return problem
    return None


def _timeline_problem(tl: dict[str, Any] | None) -> str | None:
    if not tl:
        return None
    for key, types in (("t", list), ("rep_count", list), ("metrics", dict), ("units", dict), ("primary", _OPT_STR)):
        if key in tl and (problem := _bad(f"timeline.{key}", tl[key], types)):
            return problem
    t = tl.get("t") or []
    series = {"rep_count": tl.get("rep_count") or [], **{f"metrics.{k}": v for k, v in (tl.get("metrics") or {}).items()}}
    for name, values in series.items():
        if not isinstance(values, list) or (values and len(values) != len(t)):
            return f"timeline.{name}: expected a list as long as timeline.t ({len(t)})"
    for name, values in (("t", t), *series.items()):
        for i, v in enumerate(values):
            if problem := _bad(f"timeline.{name}[{i}]", v, _NUM if name in ("t", "rep_count") else _OPT_NUM):
                return problem
    for k, v in (tl.get("units") or {}).items():
        if not isinstance(v, str):
            return f"timeline.units.{k}: expected a string"
    return None


def write_csv(record: SessionRecord, path: str | Path) -> Path:
    """Per-frame metrics CSV (see `write_timeline_csv`)."""
    return write_timeline_csv(timeline_dict(record), path)


def write_timeline_csv(timeline: dict[str, Any], path: str | Path) -> Path:
    """metrics.csv from a report timeline: t_s, rep_count, one column per metric (empty = not measurable)."""
    names = list(timeline.get("metrics", {}))
    columns = [timeline["metrics"][n] for n in names]
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["t_s", "rep_count", *names])
        for i, t in enumerate(timeline.get("t", [])):
            values = (c[i] for c in columns)
            writer.writerow([f"{t:.3f}", timeline["rep_count"][i], *("" if v is None else f"{v:.3f}" for v in values)])
    return Path(path)


def summary_text(record: SessionRecord) -> str:
    """A short human summary for the terminal."""
    doc = report_dict(record)
    lines = [f"{record.spec.name}: {record.source} ({doc['duration_s']:.1f} s, {record.ended_text})"]
    detected = record.frames_with_pose / record.frames_total if record.frames_total else 0.0
    lines.append(f"  person detected in {detected:.0%} of {record.frames_total} analysed frames")
    if record.frames_dropped:  # a live source skipped frames the analysis could not keep up with
        offered = record.frames_total + record.frames_dropped
        share = record.frames_dropped / offered
        rate = record.frames_total / record.duration_s if record.duration_s > 0 else 0.0
        lines.append(f"  analysed {rate:.0f} frames per second; {record.frames_dropped} of the camera's {offered} frames "
                     f"({share:.0%}) were dropped")  # the live command warns when that is too many
    if record.frames_total and record.frames_with_pose == 0:
        lines.append("  nobody was seen: check that your whole body is in the picture and the room is lit")
    if not doc["view_ok"]:
        wanted = " or ".join(record.spec.views)
        if record.spec.counts_in_any_view:  # 3-D counts: only the cues that need the view are affected, each listed below
            lines.append(f"  note: the camera saw you mostly from the {doc['view']}: reps and holds are measured from any "
                         f"angle, but the checks that need the {wanted} view were not judged")
        else:
            lines.append(f"  warning: the camera saw you mostly from the {doc['view']}; {record.spec.name} is checked from the "
                         f"{wanted}: counts and checks may be wrong")
    if record.spec.reps is not None:
        lines.append(f"  reps: {len(record.reps)}" + (f"  (+{len(record.partial_reps)} partial, not counted)" if record.partial_reps else ""))
        conf = record.count_confidence
        if conf is not None and conf.reasons:
            lines.append(f"  count confidence: {conf.level.value} ({'; '.join(conf.reasons)})")
    for h in record.holds:
        status = "done" if h.completed else f"short: {h.broke_because or 'broke early'}"
        lines.append(f"  hold {h.index}: {h.duration_s:.1f} s of {h.target_s:.0f} s ({status})")
    if record.faults:
        lines.append("  faults:")
        for f in record.faults:
            where = f" rep {f.rep}" if f.rep else (f" hold {f.hold}" if f.hold else "")
            lines.append(f"    {f.t_s:6.1f} s{where}: {f.cue} — {f.message} (measured {value_text(f.value, _fault_unit(doc, f.cue))})")
    elif unchecked_cues(doc):  # as the report page says it: a cue's not-judged time summed over its reasons
        lines.append("  no form faults seen, but not every check could be made:")
    else:
        lines.append("  no form faults seen")
    for n in record.not_judged:
        if n.seconds >= UNCHECKED_MIN_S:
            lines.append(f"  not judged: {n.cue} for {n.seconds:.0f} s ({n.reason})")
    return "\n".join(lines)
