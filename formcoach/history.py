"""Session history: one row per session (analyze, live, workout set) in a local SQLite database.

The database lives in the user's data folder (platformdirs: `~/.local/share/formcoach` on Linux,
`~/Library/Application Support/formcoach` on macOS, `%LOCALAPPDATA%\\formcoach` on Windows);
`$FORMCOACH_HISTORY` names another file. The schema is versioned (`PRAGMA user_version`) and
migrated forward on open. Every database problem is one `HistoryError` line; a session's own
report.json is written before the history is touched, so it is never lost. No cv2, no mediapipe.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from formcoach.errors import FormcoachError

DB_NAME = "history.sqlite3"
ENV = "FORMCOACH_HISTORY"
BUSY_TIMEOUT_S = 3.0


class HistoryError(FormcoachError):
    """The history database cannot be opened, read or written (corrupt, locked, newer, no permission)."""


#: Schema migrations: entry k takes a database from version k to k + 1. Append only, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,              -- ISO 8601 with offset
        kind TEXT NOT NULL,              -- analyze | live | workout
        exercise TEXT NOT NULL,
        source TEXT NOT NULL,
        report TEXT NOT NULL,            -- the session's report.json (absolute path)
        duration_s REAL,
        reps INTEGER NOT NULL,
        partial_reps INTEGER NOT NULL,
        holds INTEGER NOT NULL,
        hold_best_s REAL,
        hold_total_s REAL NOT NULL,
        faults INTEGER NOT NULL,
        fault_rate REAL,                 -- faulty attempts (reps with a fault, partials, short holds) / attempts
        rom REAL,                        -- mean range of motion of the counted reps, in the rep metric's unit
        version TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE sessions ADD COLUMN workout TEXT;   -- the routine id when the session was a workout set
    CREATE INDEX sessions_by_exercise ON sessions (exercise, date);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = ("date", "kind", "exercise", "source", "report", "duration_s", "reps", "partial_reps", "holds",
            "hold_best_s", "hold_total_s", "faults", "fault_rate", "rom", "version", "workout")


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One recorded session. `rom` is in the unit of the exercise's rep metric (usually degrees)."""

    date: str
    kind: str
    exercise: str
    source: str
    report: str
    duration_s: float | None
    reps: int
    partial_reps: int
    holds: int
    hold_best_s: float | None
    hold_total_s: float
    faults: int
    fault_rate: float | None
    rom: float | None
    version: str
    workout: str | None = None
    id: int | None = None


def default_path() -> Path:
    """`$FORMCOACH_HISTORY` (a file, or a folder to hold history.sqlite3), else the user data folder."""
    env = os.environ.get(ENV)
    if env:
        path = Path(env).expanduser()
        return path / DB_NAME if path.is_dir() else path
    from platformdirs import user_data_path

    return user_data_path("formcoach", appauthor=False) / DB_NAME


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def row_from_report(doc: Mapping[str, Any], report_path: Path, kind: str, workout: str | None = None) -> SessionRow:
    """The history row of one session report (report.json as a dict)."""
    from formcoach import __version__

    reps, partials, holds = doc.get("reps") or [], doc.get("partial_reps") or [], doc.get("holds") or []
    durations = [h["duration_s"] for h in holds if _num(h.get("duration_s")) is not None]
    ranges = [r["max"] - r["min"] for r in reps if _num(r.get("max")) is not None and _num(r.get("min")) is not None]
    attempts = len(reps) + len(partials) + len(holds)
    faulty = sum(bool(r.get("faults")) for r in reps) + len(partials) + sum(not h.get("completed") for h in holds)
    return SessionRow(
        date=str(doc.get("session_date") or _now()), kind=kind, exercise=str(doc.get("exercise")),
        source=str(doc.get("source") or ""), report=str(Path(report_path).absolute()),
        duration_s=_num(doc.get("duration_s")), reps=len(reps), partial_reps=len(partials), holds=len(holds),
        hold_best_s=max(durations) if durations else None, hold_total_s=float(sum(durations)),
        faults=len(doc.get("faults") or ()), fault_rate=faulty / attempts if attempts else None,
        rom=sum(ranges) / len(ranges) if ranges else None,
        version=str(doc.get("formcoach_version") or __version__), workout=workout,
    )


def _now() -> str:
    import datetime

    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


class History:
    """The history database; use as a context manager. Opening creates or migrates it."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> History:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise self._error(exc) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise HistoryError(f"{self.path}: the history database is not open (use History as a context manager)")
        return self._db

    def _error(self, exc: BaseException) -> HistoryError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            why = f"is locked by another program (waited {BUSY_TIMEOUT_S:g} s)"
        elif "not a database" in text or "malformed" in text:
            why = f"is damaged ({text}); move it away and a new one is started"
        else:
            why = f"cannot be used ({getattr(exc, 'strerror', None) or text})"
        return HistoryError(f"{self.path}: the history database {why}")

    def _migrate(self) -> None:
        db = self._connection()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path}: the history database has schema {version}, made by a newer formcoach "
                               f"(this one reads up to {SCHEMA_VERSION}); upgrade formcoach or set {ENV}")
        for step in range(version, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {step + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def add(self, row: SessionRow) -> int:
        """Record one session; returns its id."""
        values = [getattr(row, c) for c in _COLUMNS]
        try:
            cur = self._connection().execute(f"INSERT INTO sessions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", values)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return int(cur.lastrowid or 0)

    def sessions(self, exercise: str | None = None, limit: int | None = None) -> list[SessionRow]:
        """Sessions oldest first (the last `limit` of them), of one exercise or all."""
        where, args = ("WHERE exercise = ?", [exercise]) if exercise else ("", [])
        sql = f"SELECT id, {', '.join(_COLUMNS)} FROM sessions {where} ORDER BY date DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        try:
            rows = self._connection().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return [SessionRow(**dict(zip(_COLUMNS, r[1:])), id=r[0]) for r in reversed(rows)]


def record_report(report_json: Path, kind: str, path: Path | None = None, workout: str | None = None) -> int:
    """Add the session in `report_json` to the history; returns its id. Raises HistoryError."""
    doc = json.loads(Path(report_json).read_text(encoding="utf-8"))
    with History(path) as history:
        return history.add(row_from_report(doc, report_json, kind, workout))


def record_workout(workout_json: Path, path: Path | None = None) -> list[int]:
    """Add every set of a workout (workout.json) as a session of its exercise."""
    workout_json = Path(workout_json)
    doc = json.loads(workout_json.read_text(encoding="utf-8"))
    date = _now()
    with History(path) as history:
        return [history.add(row_from_report({"session_date": date, **s["report"]},
                                            workout_json.parent / s["report_dir"] / "report.json", "workout",
                                            str(doc.get("routine") or doc.get("id") or "")))
                for s in doc.get("sets") or ()]


def remember(report: Path, kind: str) -> str | None:
    """Add a finished session (report.json) or every set of a workout (workout.json) to the history.

    Returns a warning line when that failed: the report is written already, so a history problem
    never loses a session.
    """
    try:
        if report.name == "workout.json":
            record_workout(report)
        else:
            record_report(report, kind)
    except (HistoryError, OSError, ValueError, KeyError) as exc:
        return f"session not added to the history: {exc}"
    return None


def history_text(rows: Iterable[SessionRow]) -> str:
    """`formcoach history`: one line per session, newest last."""
    lines = [f"{'#':>4}  {'date':19s}  {'kind':8s}  {'exercise':22s}  {'reps':>4}  {'holds':>5}  {'faults':>6}  source"]
    for r in rows:
        lines.append(f"{r.id:>4}  {r.date[:19].replace('T', ' '):19s}  {r.kind:8s}  {r.exercise:22s}  {r.reps:>4}  "
                     f"{r.holds:>5}  {r.faults:>6}  {r.source}")
    return "\n".join(lines)
