"""Session history: rows from reports, schema migration, corrupt/locked databases, progress text and page."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from formcoach.cli import main
from formcoach.history import MIGRATIONS, SCHEMA_VERSION, History, HistoryError, default_path, record_report, row_from_report
from formcoach.progress import progress_text, write_progress_html


@pytest.fixture(autouse=True)
def history_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "db" / "history.sqlite3"
    monkeypatch.setenv("FORMCOACH_HISTORY", str(path))
    return path


def _report(tmp_path: Path, name: str, date: str, reps: list[tuple[float, float, list]], holds: list[float],
            partials: int = 0, exercise: str = "wall_squat") -> Path:
    doc = {
        "schema_version": 1, "session_date": date, "formcoach_version": "0.1.0", "exercise": exercise,
        "source": f"{name}.mp4", "duration_s": 30.0, "rep_count": len(reps),
        "reps": [{"index": i, "min": lo, "max": hi, "faults": f} for i, (lo, hi, f) in enumerate(reps)],
        "partial_reps": [{"index": i, "min": 120, "max": 170, "faults": []} for i in range(partials)],
        "holds": [{"index": i, "duration_s": d, "completed": d >= 5.0} for i, d in enumerate(holds)],
        "faults": [{"cue": "knees_90"}] * sum(bool(f) for _, _, f in reps),
    }
    path = tmp_path / name / "report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    (path.parent / "report.html").write_text("<html></html>")
    return path


def test_default_path_follows_the_env_var(history_db, monkeypatch, tmp_path):
    assert default_path() == history_db
    monkeypatch.setenv("FORMCOACH_HISTORY", str(tmp_path))  # a folder: the database goes inside it
    assert default_path() == tmp_path / "history.sqlite3"


def test_row_from_report_counts_reps_holds_fault_rate_and_range(tmp_path):
    path = _report(tmp_path, "a", "2026-01-02T10:00:00+00:00", [(90, 170, []), (80, 170, ["knees_90"])], [6.0, 4.0], partials=2)
    row = row_from_report(json.loads(path.read_text()), path, "analyze")
    assert (row.reps, row.partial_reps, row.holds, row.faults) == (2, 2, 2, 1)
    assert row.fault_rate == pytest.approx(4 / 6)  # a faulty rep, two partials and a short hold of six attempts
    assert row.rom == pytest.approx(85.0)
    assert (row.hold_best_s, row.hold_total_s) == (6.0, 10.0)


def test_hold_only_fault_rate_is_the_share_of_short_holds(tmp_path):
    path = _report(tmp_path, "p", "2026-01-02T10:00:00+00:00", [], [20.0, 3.0, 12.0], exercise="plank")
    row = row_from_report(json.loads(path.read_text()), path, "live")
    assert row.fault_rate == pytest.approx(1 / 3) and row.rom is None


def test_three_sessions_show_in_history_and_progress_text_and_html(tmp_path, capsys):
    for name, date, reps, holds in (("s1", "2026-01-01T09:00:00+00:00", [(120, 170, ["knees_90"])], [2.0]),
                                    ("s2", "2026-01-08T09:00:00+00:00", [(100, 170, []), (100, 170, ["knees_90"])], [4.0, 5.0]),
                                    ("s3", "2026-01-15T09:00:00+00:00", [(90, 170, [])] * 3, [6.0, 6.0, 6.5])):
        record_report(_report(tmp_path, name, date, reps, holds), "analyze")
    record_report(_report(tmp_path, "other", "2026-01-03T09:00:00+00:00", [], [30.0], exercise="plank"), "analyze")

    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert out.count("wall_squat") == 3 and out.count("plank") == 1

    page = tmp_path / "progress.html"
    assert main(["progress", "wall_squat", "--out", str(page)]) == 0
    out = capsys.readouterr().out
    for date in ("2026-01-01", "2026-01-08", "2026-01-15"):
        assert date in out
    assert "reps counted 1.0 -> 3.0" in out and "longest hold 2.0 -> 6.5 s" in out
    text = page.read_text()
    assert text.count("<svg") == 4 and text.count("<circle") == 3 * 4  # three sessions on every plot
    assert text.count('href="s1/report.html"') == 1


def test_progress_of_an_unknown_exercise_is_one_line_exit_2(capsys):
    assert main(["progress", "wal_squat"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'wall_squat'" in err


def test_progress_without_sessions_says_so(capsys):
    assert main(["progress", "wall_squat"]) == 0
    assert "no wall_squat sessions" in capsys.readouterr().out


def test_a_version_1_database_is_migrated_and_keeps_its_rows(history_db):
    history_db.parent.mkdir(parents=True)
    db = sqlite3.connect(history_db)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO sessions (date, kind, exercise, source, report, reps, partial_reps, holds, hold_total_s, "
               "faults, version) VALUES ('2025-12-01T08:00:00+00:00', 'analyze', 'plank', 'a.mp4', '/r.json', 0, 0, 1, 30, 0, '0.0.9')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with History() as h:
        rows = h.sessions()
    assert [(r.exercise, r.version, r.workout) for r in rows] == [("plank", "0.0.9", None)]
    assert sqlite3.connect(history_db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_database_is_refused(history_db):
    history_db.parent.mkdir(parents=True)
    sqlite3.connect(history_db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer formcoach"):
        History().__enter__()


def test_a_corrupt_database_is_one_line_and_the_report_is_kept(history_db, tmp_path, capsys):
    history_db.parent.mkdir(parents=True)
    history_db.write_bytes(b"this is not sqlite " * 200)
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err

    from formcoach.cli import _remember, build_parser

    args = build_parser().parse_args(["analyze", "x.mp4"])
    report = _report(tmp_path, "kept", "2026-01-01T09:00:00+00:00", [(90, 170, [])], [])
    assert _remember(args, report, 0) == 0  # the session's exit code is unchanged
    assert "not added to the history" in capsys.readouterr().err
    assert json.loads(report.read_text())["rep_count"] == 1


def test_a_locked_database_is_one_clear_error(history_db, tmp_path, monkeypatch):
    import formcoach.history as history

    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)
    with History():
        pass  # created
    blocker = sqlite3.connect(history_db)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked"):
            record_report(_report(tmp_path, "l", "2026-01-01T09:00:00+00:00", [], [6.0]), "analyze")
    finally:
        blocker.rollback()
        blocker.close()


def test_no_history_flag_records_nothing(history_db, tmp_path):
    from formcoach.cli import _remember, build_parser

    report = _report(tmp_path, "n", "2026-01-01T09:00:00+00:00", [(90, 170, [])], [])
    _remember(build_parser().parse_args(["--no-history", "analyze", "x.mp4"]), report, 0)
    assert not history_db.exists()
    _remember(build_parser().parse_args(["analyze", "x.mp4"]), report, 0)
    with History() as h:
        assert len(h.sessions()) == 1


def test_progress_text_and_page_for_one_session(tmp_path):
    path = _report(tmp_path, "one", "2026-02-01T09:00:00+00:00", [(90, 170, [])], [5.5])
    rows = [row_from_report(json.loads(path.read_text()), path, "analyze")]
    assert "1 session" in progress_text("wall_squat", rows)
    assert write_progress_html("wall_squat", rows, tmp_path / "p.html").read_text().count("<circle") == 4
