"""The workout log: a real SQLite file, versioned, transactional, shared by several writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from readonly import read_only_folder

from pyengine import PoseClassifier, default_samples
from pyengine.cli import main
from pyengine.demo import run_demo
from pyengine.errors import WorkoutLogError
from pyengine.report import build_report
from pyengine.synthetic import WorkoutPlan
from pyengine.workout_log import (
    APPLICATION_ID,
    CSV_COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    WorkoutLog,
    WorkoutSession,
    default_log_path,
    session_from_report,
)

T0 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def _session(i: int = 0, source: str = "upload") -> WorkoutSession:
    return WorkoutSession(
        started_at=T0 + timedelta(minutes=i),
        source=source,
        name=f"clip{i}.mp4",
        duration_s=12.5,
        frames=375,
        counts={"squats_down": 2, "pushups_down": 0},
        repetitions={"squats_down": [(1.0, 2.5), (4.0, 5.25)], "pushups_down": []},
        report={"counts": {"squats_down": 2}, "i": i},
    )


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_saved_session_reads_back_whole(tmp_path):
    log = WorkoutLog(tmp_path / "log.sqlite")
    assert log.sessions() == []  # no file yet: an empty log, nothing created
    assert not log.path.exists()
    session_id = log.add_session(_session())
    (saved,) = log.sessions()
    assert saved.id == session_id
    assert saved.started_at == T0
    assert (saved.source, saved.name, saved.duration_s, saved.frames) == (
        "upload",
        "clip0.mp4",
        12.5,
        375,
    )
    assert saved.counts == {"squats_down": 2, "pushups_down": 0}
    assert saved.repetitions == {"squats_down": [(1.0, 2.5), (4.0, 5.25)]}
    assert saved.report is None  # reports only on request
    assert log.session(session_id).report == {"counts": {"squats_down": 2}, "i": 0}
    with pytest.raises(KeyError):
        log.session(session_id + 1)


def test_the_file_is_a_versioned_wal_database_marked_as_a_pyengine_log(tmp_path):
    log = WorkoutLog(tmp_path / "log.sqlite")
    log.add_session(_session())
    assert _rows(log.path, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(log.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _rows(log.path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert _rows(log.path, "PRAGMA integrity_check") == [("ok",)]


def test_an_older_log_is_migrated_and_keeps_its_sessions(tmp_path):
    path = tmp_path / "log.sqlite"
    WorkoutLog(path).add_session(_session(0))
    added = ("ALTER TABLE sessions ADD COLUMN note TEXT NOT NULL DEFAULT ''",)
    newer = WorkoutLog(path, migrations=(*MIGRATIONS, added))
    assert [s.name for s in newer.sessions()] == ["clip0.mp4"]
    assert _rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert _rows(path, "SELECT note FROM sessions") == [("",)]
    newer.add_session(_session(1))
    # The older code refuses the newer log instead of misreading it.
    with pytest.raises(WorkoutLogError, match="newer than this pyengine's"):
        WorkoutLog(path).sessions()
    with pytest.raises(WorkoutLogError, match="newer than this pyengine's"):
        WorkoutLog(path).add_session(_session(2))
    assert len(newer.sessions()) == 2


def test_a_failed_migration_step_leaves_the_log_as_it_was(tmp_path):
    path = tmp_path / "log.sqlite"
    WorkoutLog(path).add_session(_session(0))
    broken = (*MIGRATIONS, ("ALTER TABLE sessions ADD COLUMN ok TEXT", "NOT SQL AT ALL"))
    with pytest.raises(WorkoutLogError, match="syntax error"):
        WorkoutLog(path, migrations=broken).sessions()
    assert _rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    columns = [row[1] for row in _rows(path, "PRAGMA table_info(sessions)")]
    assert "ok" not in columns
    assert len(WorkoutLog(path).sessions()) == 1


def test_a_session_is_saved_whole_or_not_at_all(tmp_path):
    log = WorkoutLog(tmp_path / "log.sqlite")
    log.add_session(_session(0))
    conn = sqlite3.connect(log.path)
    # A real failure half-way through the insert: the second repetition row aborts.
    conn.execute(
        "CREATE TRIGGER fail_second BEFORE INSERT ON repetitions WHEN NEW.number = 2 "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(WorkoutLogError, match="disk says no"):
        log.add_session(_session(1))
    assert [s.name for s in log.sessions()] == ["clip0.mp4"]
    assert _rows(log.path, "SELECT count(*) FROM exercises") == [(2,)]
    assert _rows(log.path, "SELECT count(*) FROM repetitions") == [(2,)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "phone"}, "unknown session source"),
        ({"duration_s": -1.0}, "invalid session duration"),
        ({"started_at": datetime(2024, 1, 1)}, "needs a time zone"),
        ({"repetitions": {"squats_down": [(3.0, 2.0)]}}, "invalid repetition times"),
    ],
)
def test_invalid_sessions_are_refused_before_writing(tmp_path, change, message):
    log = WorkoutLog(tmp_path / "log.sqlite")
    fields = {**_session().__dict__, **change}
    with pytest.raises(WorkoutLogError, match=message):
        log.add_session(WorkoutSession(**fields))
    assert not log.path.exists()


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from pyengine.workout_log import WorkoutLog, WorkoutSession

    log = WorkoutLog(sys.argv[1])
    for i in range(int(sys.argv[3])):
        log.add_session(WorkoutSession(
            started_at=datetime.now(timezone.utc), source="count",
            name=f"{sys.argv[2]}-{i}", duration_s=1.0, frames=30,
            counts={"squats_down": i % 4},
            repetitions={"squats_down": [(0.1 * k, 0.1 * k + 0.05) for k in range(i % 4)]},
        ))
    """
)


def test_concurrent_writers_lose_nothing_and_do_not_corrupt_the_file(tmp_path):
    path = tmp_path / "shared.sqlite"
    per_writer = 60
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), f"w{k}", str(per_writer)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    log = WorkoutLog(path)
    for i in range(per_writer):  # a fourth writer in this process, at the same time
        log.add_session(_session(i))
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    sessions = log.sessions()
    assert len(sessions) == 4 * per_writer
    names = {s.name for s in sessions}
    for k in range(3):
        assert {f"w{k}-{i}" for i in range(per_writer)} <= names
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]
    expected_reps = 3 * sum(i % 4 for i in range(per_writer)) + 2 * per_writer
    assert _rows(path, "SELECT count(*) FROM repetitions") == [(expected_reps,)]


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("my training notes\n", encoding="utf-8")
    log = WorkoutLog(path)
    for action in (log.sessions, log.check_writable, lambda: log.add_session(_session())):
        with pytest.raises(WorkoutLogError, match="is not a SQLite database"):
            action()
    assert log.problem() is not None and "notes.sqlite" in log.problem()
    assert path.read_text(encoding="utf-8") == "my training notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]


def test_another_programs_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(WorkoutLogError, match="another program"):
        WorkoutLog(path).add_session(_session())
    assert path.read_bytes() == before


def test_a_missing_folder_is_a_clear_error(tmp_path):
    log = WorkoutLog(tmp_path / "nowhere" / "log.sqlite")
    with pytest.raises(WorkoutLogError, match=r"folder .*nowhere does not exist"):
        log.check_writable()


def test_the_default_path_is_documented_and_overridable(tmp_path, monkeypatch):
    monkeypatch.delenv("PYENGINE_LOG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if sys.platform.startswith("linux"):
        assert default_log_path() == tmp_path / "data" / "pyengine" / "workouts.sqlite"
    monkeypatch.setenv("PYENGINE_LOG", str(tmp_path / "mine.sqlite"))
    assert default_log_path() == tmp_path / "mine.sqlite"
    monkeypatch.setenv("PYENGINE_LOG", str(tmp_path / "new" / "folder" / "log.sqlite"))
    log = WorkoutLog()
    log.add_session(_session())  # the default location's folder is created
    assert len(WorkoutLog().sessions()) == 1


_READ_ONLY_CLIENT = textwrap.dedent(
    """
    import sys
    from pyengine.workout_log import WorkoutLog, WorkoutSession
    from pyengine.errors import WorkoutLogError

    log = WorkoutLog(sys.argv[1])
    print("sessions", len(log.sessions()))
    print("problem", log.problem())
    try:
        log.add_session(log.sessions()[0])
    except WorkoutLogError as exc:
        print("error", exc)
    """
)


def test_a_read_only_log_is_read_but_not_written(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "log.sqlite"
    log = WorkoutLog(path)
    log.add_session(_session(0))
    log.add_session(_session(1))
    with read_only_folder(folder) as wrap:
        argv = wrap([sys.executable, "-c", _READ_ONLY_CLIENT, str(path)])
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "sessions 2"
    assert lines[1].startswith(f"problem {path}: the workout log is read-only")
    assert lines[2].startswith(f"error {path}: the workout log is read-only")
    assert len(log.sessions()) == 2


def test_csv_export_has_one_row_per_session_and_exercise(tmp_path):
    log = WorkoutLog(tmp_path / "log.sqlite")
    log.add_session(_session(0))
    risky = WorkoutSession(**{**_session(1).__dict__, "name": "=HYPERLINK(1)"})
    log.add_session(risky)
    lines = log.export_csv().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert lines[1] == (
        "1,2024-05-06T07:08:09.000+00:00,upload,clip0.mp4,12.500,squats_down,2,"
        "1.000;4.000,2.500;5.250"
    )
    assert lines[2].endswith("pushups_down,0,,")
    assert ",'=HYPERLINK(1)," in lines[3]
    assert len(lines) == 5


def _demo_report():
    classifier = PoseClassifier(default_samples())
    plan = WorkoutPlan(reps={"squats_down": 3, "pushups_down": 2}, seed=1)
    workout, result, counting = run_demo(classifier, plan)
    report = build_report(result, counting, samples_source="bundled")
    return workout, report


def test_a_session_from_a_report_keeps_its_counts_repetitions_and_report(tmp_path):
    workout, report = _demo_report()
    session = session_from_report(report, source="count", name="demo", started_at=T0)
    assert session.counts == report["counts"] == workout.truth_counts
    assert session.duration_s == pytest.approx(
        report["input"]["frames_processed"] / report["input"]["fps"]
    )
    log = WorkoutLog(tmp_path / "log.sqlite")
    session_id = log.add_session(session)
    saved = log.session(session_id)
    assert saved.report == json.loads(json.dumps(report))
    for name, reps in report["repetitions"].items():
        assert saved.repetitions.get(name, []) == [(r["start_s"], r["end_s"]) for r in reps]


def test_count_log_saves_the_session_and_checks_the_log_first(tmp_path, capsys):
    _, report = _demo_report()
    landmarks = tmp_path / "demo.npz"
    # A landmark file of the synthetic workout, counted by `count --landmarks --log`.
    from pyengine.synthetic import synthesise_workout
    from pyengine.video.landmark_file import save_landmarks

    plan = WorkoutPlan(reps={"squats_down": 3, "pushups_down": 2}, seed=1)
    save_landmarks(synthesise_workout(default_samples(), plan).track, landmarks)
    db = tmp_path / "log.sqlite"
    argv = ["count", "--landmarks", str(landmarks), "--log", "--db", str(db)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"saved to the workout log {db} as session 1" in out
    (saved,) = WorkoutLog(db).sessions()
    assert (saved.source, saved.name) == ("count", "demo.npz")
    assert saved.counts == report["counts"]

    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database", encoding="utf-8")
    argv = ["count", "--landmarks", str(landmarks), "--quiet", "--log", "--db", str(bad)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before counting anything
    assert "is not a SQLite database" in captured.err
    assert main(["count", "--landmarks", str(landmarks), "--db", str(db)]) == 2
    assert "--db needs --log" in capsys.readouterr().err


def test_live_log_saves_the_window_session_with_its_report(tmp_path, capsys):
    # `live --log` cannot open a camera here; this is the code it runs after the loop,
    # fed the frames of the synthetic workout as the camera loop would feed them.
    import argparse

    from pyengine.cli.capture_commands import _save_live_session
    from pyengine.counting import CountingStage
    from pyengine.synthetic import synthesise_workout
    from pyengine.timing import StageClock
    from pyengine.video.pipeline import stage_result

    plan = WorkoutPlan(reps={"squats_down": 2, "pushups_down": 1}, seed=3)
    workout = synthesise_workout(default_samples(), plan)
    counting = CountingStage(PoseClassifier(default_samples()), ["squats_down", "pushups_down"])
    track = workout.track
    for i in range(len(track)):
        counting(i, float(track.times[i]), track.landmarks[i] if track.valid[i] else None)
    wall_s = float(track.times[-1])
    run = stage_result(track.info, len(track), counting, StageClock(), wall_s, "replay")
    log = WorkoutLog(tmp_path / "log.sqlite")
    args = argparse.Namespace(samples=None, camera=0)
    _save_live_session(log, args, run, counting, T0)
    assert "saved to the workout log" in capsys.readouterr().out
    (saved,) = log.sessions(with_reports=True)
    assert (saved.source, saved.name, saved.duration_s) == ("live", "camera 0", wall_s)
    assert saved.counts == workout.truth_counts
    assert saved.report is not None and saved.report["settings"]["model"] == "replay"
