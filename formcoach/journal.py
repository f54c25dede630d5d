"""The session journal: `journal.jsonl` in the output folder, one JSON line per fact, flushed as it happens.

A crash, a kill or a full disk at the end still leaves the journal; `report_from_journal`
rebuilds the report.json document from it alone. Consumes session data only; no cv2, no mediapipe.

Lines (`"k"` says which): `head` (spec facts, source, fps), `metrics` (names), `frame` (t, rep
count, pose seen, view, metric values), `rep`, `partial`, `hold`, `fault` (as in report.json),
`end` (how the session ended, not-judged totals, dropped frames, warnings).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from formcoach.consumer import Consumer
from formcoach.core import FrameResult, HoldEnded, PartialRep, RepCompleted, fault_of
from formcoach.errors import FormcoachError

if TYPE_CHECKING:
    from formcoach.session import SessionRecord

JOURNAL_NAME = "journal.jsonl"
#: The report of a journal without an `end` line (the process died before it could write one).
UNFINISHED = "unfinished (rebuilt from the journal)"


def _clean(value: float | None) -> float | None:
    """JSON-safe float: NaN/inf → null (the report's convention for "not measurable")."""
    return None if value is None or not math.isfinite(value) else float(value)


class Journal(Consumer):
    """A session consumer appending JSON Lines to `path`; every line is flushed at once.

    Writing problems (full disk, folder removed) do not stop the session: the journal stops,
    `error` says why, and the report is still attempted from memory at the end.
    """

    def __init__(self, path: str | Path, head: dict[str, Any]) -> None:
        self.path = Path(path)
        self.error: OSError | None = None
        self._metric_names: list[str] | None = None
        try:
            self._fh: IO[str] | None = self.path.open("w", encoding="utf-8")  # a new session (an old report needs --force)
        except OSError as exc:
            self._fh, self.error = None, exc
        self._write({"k": "head", **head})

    def _write(self, line: dict[str, Any]) -> None:
        if self._fh is None:
            return
        try:
            self._fh.write(json.dumps(line, separators=(",", ":"), allow_nan=False) + "\n")
            self._fh.flush()
        except OSError as exc:
            self.error = exc
            self._fh = None  # keep what is on disk; a half line at the end is skipped when read

    def on_frame(self, image: np.ndarray | None, result: FrameResult) -> None:
        if self._metric_names is None:
            self._metric_names = list(result.metrics)
            self._write({"k": "metrics", "names": self._metric_names})
        self._write({
            "k": "frame", "t": _clean(result.t), "n": result.rep_count, "pose": result.pose is not None,
            "view": result.view, "m": [_clean(result.metrics.get(n, math.nan)) for n in self._metric_names],
        })
        self.on_events(result.events)

    def on_events(self, events: Iterable[Any]) -> None:
        from formcoach.report import (  # report imports nothing of ours back
            fault_dict,
            hold_dict,
            rep_dict,
        )

        for ev in events:
            if isinstance(ev, RepCompleted):
                self._write({"k": "rep", **rep_dict(ev.rep), "attempt": ev.attempt})
            elif isinstance(ev, PartialRep):
                self._write({"k": "partial", **rep_dict(ev.rep), "partial_cue": ev.cue})
            elif isinstance(ev, HoldEnded):
                self._write({"k": "hold", **hold_dict(ev.hold)})
            fault = fault_of(ev)
            if fault is not None:
                self._write({"k": "fault", **fault_dict(fault), "attempt": fault.attempt})

    def finish(self, record: SessionRecord) -> None:
        """The `end` line (how the session ended, what only the end knows), then the file is closed."""
        from formcoach.report import not_judged_list

        self._write({
            "k": "end", "ended_by": record.ended_text, "duration_s": _clean(record.duration_s),
            "dropped": record.frames_dropped, "not_judged": not_judged_list(record),
            "warnings": list(record.warnings),
        })
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError as exc:
                self.error = exc
            self._fh = None

    def close(self) -> None:
        """End of the frames (the session closes its consumers); `finish` still writes the end line."""
        if self._fh is not None:
            try:
                self._fh.flush()
            except OSError as exc:
                self.error = exc
                self._fh = None


def read_journal(path: str | Path) -> Iterator[dict[str, Any]]:
    """The journal's lines as dicts; a torn last line (killed mid-write, disk full) is skipped."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            for raw in fh:
                try:
                    line = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    continue
                if isinstance(line, dict) and isinstance(line.get("k"), str):
                    yield line
    except FileNotFoundError:
        raise FormcoachError(f"{path}: no session journal here") from None
    except PermissionError:
        raise FormcoachError(f"{path}: permission denied reading the session journal") from None
    except OSError as exc:
        raise FormcoachError(f"{path}: cannot read the session journal ({exc.strerror or exc})") from None


class _Rebuild:
    """Collects journal lines into the pieces of a report document."""

    def __init__(self) -> None:
        self.head: dict[str, Any] | None = None
        self.names: list[str] = []
        self.t: list[float] = []
        self.counts: list[int] = []
        self.series: dict[str, list[float | None]] = {}
        self.with_pose = 0
        self.views: dict[str, int] = {}
        self.reps: list[dict] = []
        self.partials: list[dict] = []
        self.holds: list[dict] = []
        self.faults: list[dict] = []  # a fault seen during a rep attempt: the rep is filled in by `faults_with_reps`
        self.rep_of_attempt: dict[Any, Any] = {}
        self.end: dict[str, Any] | None = None

    def add(self, line: dict[str, Any]) -> None:
        kind = line.pop("k")
        if kind == "head":  # a journal holds one session; were there two, the last one counts
            self.__init__()  # type: ignore[misc]  # start over: this class has no subclasses
            self.head = line
        elif kind == "metrics" and isinstance(line.get("names"), list):
            self.names = [str(n) for n in line["names"]]
            self.series = {n: [] for n in self.names}
        elif kind == "frame":
            self._frame(line)
        elif kind == "rep":
            self.rep_of_attempt[line.pop("attempt", None)] = line.get("index")
            self.reps.append(line)
        elif kind == "partial":
            self.partials.append(line)
        elif kind == "hold":
            self.holds.append(line)
        elif kind == "fault":
            self.faults.append(line)
        elif kind == "end":
            self.end = line

    def faults_with_reps(self) -> list[dict]:
        """The faults, each seen during a rep attempt given the rep its attempt became (None: a partial)."""
        out = []
        for fault in self.faults:
            attempt = fault.pop("attempt", None)
            if fault.get("rep") is None and attempt is not None:
                fault = {**fault, "rep": self.rep_of_attempt.get(attempt)}
            out.append(fault)
        return out

    def _frame(self, line: dict[str, Any]) -> None:
        values: list[Any] = line["m"] if isinstance(line.get("m"), list) else []
        if not isinstance(line.get("t"), (int, float)) or len(values) != len(self.names):
            return
        self.t.append(float(line["t"]))
        self.counts.append(int(line.get("n") or 0))
        self.with_pose += bool(line.get("pose"))
        for name, value in zip(self.names, values):
            self.series[name].append(value if isinstance(value, (int, float)) else None)
        if isinstance(line.get("view"), str):
            self.views[line["view"]] = self.views.get(line["view"], 0) + 1


def report_from_journal(path: str | Path) -> dict[str, Any]:
    """The report.json document rebuilt from a journal (the same builder as a finished session).

    Raises:
        FormcoachError: no journal, or one without its `head` line.
    """
    from formcoach.report import assemble_report

    rebuilt = _Rebuild()
    for line in read_journal(path):
        rebuilt.add(line)
    head = rebuilt.head
    if head is None or not isinstance(head.get("spec"), dict):
        raise FormcoachError(f"{path}: not a formcoach session journal (no head line)")
    end = rebuilt.end or {}
    fps = float(head["fps"]) if isinstance(head.get("fps"), (int, float)) else 30.0
    duration = end.get("duration_s")
    if not isinstance(duration, (int, float)):
        duration = (rebuilt.t[-1] - rebuilt.t[0] + 1.0 / fps) if rebuilt.t else 0.0
    return assemble_report(
        head["spec"],
        source=str(head.get("source", "")),
        fps=fps,
        duration_s=duration,
        ended_by=str(end.get("ended_by", UNFINISHED)),
        frames={"total": len(rebuilt.t), "with_pose": rebuilt.with_pose, "dropped": int(end.get("dropped") or 0)},
        views=rebuilt.views,
        reps=rebuilt.reps,
        partial_reps=rebuilt.partials,
        holds=rebuilt.holds,
        faults=rebuilt.faults_with_reps(),
        not_judged=end["not_judged"] if isinstance(end.get("not_judged"), list) else [],
        timeline={"t": rebuilt.t, "rep_count": rebuilt.counts, "metrics": rebuilt.series},
        warnings=[str(w) for w in end.get("warnings", [])] if isinstance(end.get("warnings"), list) else [],
    )


def open_session_journal(spec: Any, out_dir: Path, source: str, fps: float) -> Journal:
    """The journal of a new session in `out_dir`, its head line saying what is analysed and when."""
    import time

    from formcoach import __version__
    from formcoach.report import spec_head

    head = {"formcoach": __version__, "spec": spec_head(spec), "source": source, "fps": fps,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return Journal(out_dir / JOURNAL_NAME, head)


def salvage(journal: Journal | None, out_dir: Path) -> str:
    """After a crash: the report rebuilt from what the journal holds; says where it is ("" without a journal)."""
    from formcoach.report import write_report

    if journal is None or not journal.path.exists():
        return ""
    try:
        return f"; the report so far: {write_report(report_from_journal(journal.path), out_dir / 'report.json')}"
    except FormcoachError:
        return f"; what was analysed is in {journal.path} (`formcoach report {out_dir}` rebuilds the report)"


def repair_report(path: Path) -> str | None:
    """Check a report.json; rebuild it from the journal beside it when it is missing or broken.

    Returns a note when it was rebuilt (None: it was fine). Raises the report's error when there is
    no journal to rebuild from (or the problem is an output one).
    """
    from formcoach.errors import OutputError
    from formcoach.report import read_report, write_report

    journal = path.with_name(JOURNAL_NAME)
    try:
        read_report(path)
    except FormcoachError as exc:
        if not journal.is_file() or isinstance(exc, OutputError):
            raise
        write_report(report_from_journal(journal), path)
        return f"{path} rebuilt from the session journal ({exc})"
    return None
