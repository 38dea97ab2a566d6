"""The workout log: every counted session (live, upload or ``count``) in one SQLite file.

The log is written by ``pyengine count --log``, ``pyengine live --log`` and ``pyengine
serve`` (each session the web app counts). It uses the standard library's :mod:`sqlite3`:

- **where**: :func:`default_log_path` (``$XDG_DATA_HOME/pyengine/workouts.sqlite``, i.e.
  ``~/.local/share/pyengine/workouts.sqlite`` on Linux; ``PYENGINE_LOG`` overrides it;
  ``--db`` overrides both);
- **schema**: versioned with ``PRAGMA user_version`` and migrated step by step
  (:data:`MIGRATIONS`), each step in its own transaction; the file is marked as a
  pyengine log with ``PRAGMA application_id`` so another program's database is refused;
- **writes**: one ``BEGIN IMMEDIATE`` transaction per session (a session is saved whole
  or not at all); WAL journal mode and a busy timeout, so several writers (a batch of
  ``count --log`` runs and the server) wait for each other instead of failing or
  corrupting the file.

Imports nothing from pyengine but :mod:`pyengine.errors`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import WorkoutLogError

#: ``PRAGMA application_id`` of a pyengine workout log ("PYWL").
APPLICATION_ID = 0x5059574C
#: Seconds a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 30.0
#: Where a session came from.
SOURCES = ("live", "upload", "count")
_SQLITE_HEADER = b"SQLite format 3\x00"

#: Schema migrations: step ``i`` takes a log from version ``i`` to ``i + 1``. Append new
#: steps; never edit a released one (logs in the field were made by it).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('live', 'upload', 'count')),
            name TEXT NOT NULL,
            duration_s REAL NOT NULL CHECK (duration_s >= 0),
            frames INTEGER NOT NULL CHECK (frames >= 0),
            report TEXT
        )""",
        "CREATE INDEX sessions_by_start ON sessions (started_at)",
        """CREATE TABLE exercises (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            exercise TEXT NOT NULL,
            repetitions INTEGER NOT NULL CHECK (repetitions >= 0),
            PRIMARY KEY (session_id, exercise)
        )""",
        """CREATE TABLE repetitions (
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            exercise TEXT NOT NULL,
            number INTEGER NOT NULL CHECK (number >= 1),
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            PRIMARY KEY (session_id, exercise, number)
        )""",
    ),
)
#: The schema version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of :meth:`WorkoutLog.export_csv`, one row per session and exercise.
CSV_COLUMNS = (
    "session_id",
    "started_at",
    "source",
    "name",
    "duration_s",
    "exercise",
    "repetitions",
    "rep_start_s",
    "rep_end_s",
)


@dataclass(frozen=True)
class WorkoutSession:
    """One counted session.

    Attributes
    ----------
    started_at : datetime
        When it started (timezone-aware; stored in UTC).
    source : str
        ``"live"``, ``"upload"`` or ``"count"``.
    name : str
        What was counted, for people (a file name, "camera").
    duration_s : float
        Length of the counted footage in seconds.
    frames : int
        Frames counted.
    counts : dict of str to int
        Repetitions per exercise (counted class).
    repetitions : dict of str to list of (start_s, end_s)
        Every repetition's start and end, in seconds from the start of the session.
    report : dict, optional
        The full count report (``docs/report_format.md``), kept as it was.
    id : int, optional
        The log's id of the session (None until saved).
    """

    started_at: datetime
    source: str
    name: str
    duration_s: float
    frames: int
    counts: dict[str, int]
    repetitions: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``GET /api/sessions`` returns per session)."""
        return {
            "id": self.id,
            "started_at": _iso(self.started_at),
            "source": self.source,
            "name": self.name,
            "duration_s": self.duration_s,
            "frames": self.frames,
            "counts": dict(self.counts),
            "repetitions": {
                name: [{"start_s": a, "end_s": b} for a, b in reps]
                for name, reps in self.repetitions.items()
            },
        }


def session_from_report(
    report: Mapping[str, Any],
    *,
    source: str,
    name: str,
    started_at: datetime | None = None,
    duration_s: float | None = None,
) -> WorkoutSession:
    """The session a count report describes (its counts and repetitions, and the report).

    Parameters
    ----------
    report : mapping
        A report from :func:`pyengine.report.build_report`.
    source, name : str
        See :class:`WorkoutSession`.
    started_at : datetime, optional
        Default: now.
    duration_s : float, optional
        Default: the frames processed over the frame rate.
    """
    frames = int(report["input"]["frames_processed"])
    if duration_s is None:
        fps = float(report["input"]["fps"] or 0.0)
        duration_s = frames / fps if fps > 0 else 0.0
    return WorkoutSession(
        started_at=started_at or datetime.now(timezone.utc),
        source=source,
        name=name,
        duration_s=duration_s,
        frames=frames,
        counts={str(k): int(v) for k, v in report["counts"].items()},
        repetitions={
            str(k): [(float(r["start_s"]), float(r["end_s"])) for r in reps]
            for k, reps in report.get("repetitions", {}).items()
        },
        report=dict(report),
    )


def default_log_path() -> Path:
    """Where the log lives unless ``--db`` says otherwise.

    ``PYENGINE_LOG`` if set; else ``%LOCALAPPDATA%\\pyengine`` on Windows,
    ``~/Library/Application Support/pyengine`` on macOS, and
    ``$XDG_DATA_HOME/pyengine`` (default ``~/.local/share/pyengine``) elsewhere, each
    with the file name ``workouts.sqlite``.
    """
    override = os.environ.get("PYENGINE_LOG")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "pyengine" / "workouts.sqlite"


class WorkoutLog:
    """A workout log file; every method opens its own connection (safe across threads).

    Parameters
    ----------
    path : str or os.PathLike, optional
        The SQLite file (created on the first write). Default: :func:`default_log_path`,
        whose folder is created when missing; a given path's folder must exist.
    migrations : sequence of sequences of str
        The schema steps (tests pass their own to exercise migration).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
    ) -> None:
        self.is_default = path is None
        self.path = default_log_path() if path is None else Path(path).expanduser()
        self.migrations = tuple(tuple(step) for step in migrations)

    def __repr__(self) -> str:
        return f"WorkoutLog({os.fspath(self.path)!r})"

    # ------------------------------------------------------------ checks

    def check_writable(self) -> None:
        """Make sure a session can be saved: create or migrate the file now.

        Call it before a long run, so a bad log fails before the work, not after.

        Raises
        ------
        WorkoutLogError
            The folder is missing, the file is not a SQLite database (or is another
            program's), is read-only, or was made by a newer pyengine.
        """
        with self._connection(write=True):
            pass

    def problem(self) -> str | None:
        """Why sessions cannot be saved right now, or None when they can."""
        try:
            self.check_writable()
        except WorkoutLogError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------ writing

    def add_session(self, session: WorkoutSession) -> int:
        """Save ``session`` in one transaction; return its id.

        Raises
        ------
        WorkoutLogError
            As :meth:`check_writable`, or the session is invalid (unknown source,
            negative duration, a repetition that ends before it starts).
        """
        _validate(session)
        with self._connection(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                session_id = self._insert(conn, session)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return session_id

    @staticmethod
    def _insert(conn: sqlite3.Connection, session: WorkoutSession) -> int:
        report = None
        if session.report is not None:
            report = json.dumps(session.report, allow_nan=False, separators=(",", ":"))
        cursor = conn.execute(
            "INSERT INTO sessions (started_at, source, name, duration_s, frames, report) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                _iso(session.started_at),
                session.source,
                session.name,
                float(session.duration_s),
                int(session.frames),
                report,
            ),
        )
        session_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO exercises (session_id, exercise, repetitions) VALUES (?, ?, ?)",
            [(session_id, name, int(n)) for name, n in session.counts.items()],
        )
        conn.executemany(
            "INSERT INTO repetitions (session_id, exercise, number, start_s, end_s) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (session_id, name, number, float(a), float(b))
                for name, reps in session.repetitions.items()
                for number, (a, b) in enumerate(reps, start=1)
            ],
        )
        return session_id

    # ------------------------------------------------------------ reading

    def sessions(self, *, with_reports: bool = False) -> list[WorkoutSession]:
        """Every saved session, oldest first (empty when the file does not exist yet).

        Raises
        ------
        WorkoutLogError
            The file is not a readable pyengine log.
        """
        if not self.path.exists():
            return []
        # A writable log is opened for writing, so an older schema is migrated first.
        with self._connection(write=os.access(self.path, os.W_OK)) as conn:
            columns = "id, started_at, source, name, duration_s, frames"
            if with_reports:
                columns += ", report"
            rows = conn.execute(f"SELECT {columns} FROM sessions ORDER BY started_at, id")
            sessions = {row[0]: row for row in rows}
            counts: dict[int, dict[str, int]] = {i: {} for i in sessions}
            for sid, name, n in conn.execute(
                "SELECT session_id, exercise, repetitions FROM exercises ORDER BY rowid"
            ):
                counts[sid][name] = n
            reps: dict[int, dict[str, list[tuple[float, float]]]] = {i: {} for i in sessions}
            for sid, name, a, b in conn.execute(
                "SELECT session_id, exercise, start_s, end_s FROM repetitions "
                "ORDER BY session_id, exercise, number"
            ):
                reps[sid].setdefault(name, []).append((a, b))
        return [
            WorkoutSession(
                started_at=datetime.fromisoformat(row[1]),
                source=row[2],
                name=row[3],
                duration_s=row[4],
                frames=row[5],
                counts=counts[sid],
                repetitions=reps[sid],
                report=json.loads(row[6]) if with_reports and row[6] else None,
                id=sid,
            )
            for sid, row in sessions.items()
        ]

    def session(self, session_id: int) -> WorkoutSession:
        """One session with its report.

        Raises
        ------
        KeyError
            No session has that id.
        """
        for found in self.sessions(with_reports=True):
            if found.id == session_id:
                return found
        raise KeyError(session_id)

    def export_csv(self) -> str:
        """The log as CSV text: one row per session and exercise (:data:`CSV_COLUMNS`).

        Repetition times are ``;``-separated seconds from the session start. Text cells
        that a spreadsheet would run as a formula get a leading ``'``.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for s in self.sessions():
            for exercise, count in s.counts.items():
                reps = s.repetitions.get(exercise, [])
                writer.writerow(
                    [
                        s.id,
                        _iso(s.started_at),
                        s.source,
                        _spreadsheet_safe(s.name),
                        f"{s.duration_s:.3f}",
                        _spreadsheet_safe(exercise),
                        count,
                        ";".join(f"{a:.3f}" for a, _ in reps),
                        ";".join(f"{b:.3f}" for _, b in reps),
                    ]
                )
        return out.getvalue()

    # ------------------------------------------------------------ connections

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        path = self.path
        if write:
            self._prepare_folder()
        _require_sqlite_file(path)
        try:
            conn = self._connect(write)
        except sqlite3.Error as exc:
            raise _log_error(path, exc) from None
        try:
            _require_ours(conn, path, _version(conn))  # before anything writes to it
            if write:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(conn, write)
            yield conn
        except sqlite3.Error as exc:
            raise _log_error(path, exc) from None
        finally:
            conn.close()

    def _prepare_folder(self) -> None:
        folder = self.path.parent
        if self.is_default:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WorkoutLogError(f"{self.path}: cannot create its folder: {exc}") from None
        elif not folder.is_dir():
            raise WorkoutLogError(f"{self.path}: folder {folder} does not exist")
        if self.path.is_dir():
            raise WorkoutLogError(f"{self.path}: is a folder, not a workout log file")
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise WorkoutLogError(
                f"{self.path}: the workout log is read-only; sessions cannot be saved "
                "(make it writable, or give another file with --db)"
            )
        if not self.path.exists() and not os.access(folder, os.W_OK):
            raise WorkoutLogError(f"{self.path}: folder {folder} is read-only")

    def _connect(self, write: bool) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        options: dict[str, Any] = {"timeout": BUSY_TIMEOUT_S, "isolation_level": None}
        if write:
            return sqlite3.connect(self.path, **options)
        uri = self.path.resolve().as_uri()
        try:  # a read-only file: read it as it is
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:  # WAL needs a writable -shm: read it frozen
            return sqlite3.connect(f"{uri}?immutable=1", uri=True, **options)

    def _migrate(self, conn: sqlite3.Connection, write: bool) -> None:
        version = _version(conn)
        if version > len(self.migrations):
            raise WorkoutLogError(
                f"{self.path}: the workout log has schema version {version}, newer than "
                f"this pyengine's {len(self.migrations)}; upgrade pyengine to use it"
            )
        if version == len(self.migrations):
            return
        if not write:
            raise WorkoutLogError(
                f"{self.path}: the workout log has schema version {version} and needs "
                f"migrating to {len(self.migrations)}, but it is read-only"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _version(conn)  # another process may have migrated meanwhile
            for step in range(version, len(self.migrations)):
                for statement in self.migrations[step]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _require_sqlite_file(path: Path) -> None:
    if not path.is_file():
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise WorkoutLogError(f"{path}: cannot read the workout log: {exc}") from None
    if header and header != _SQLITE_HEADER:
        raise WorkoutLogError(
            f"{path}: is not a SQLite database, so not a pyengine workout log "
            "(give another file with --db)"
        )


def _require_ours(conn: sqlite3.Connection, path: Path, version: int) -> None:
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id == APPLICATION_ID:
        return
    n_objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != 0 or version != 0 or n_objects:
        raise WorkoutLogError(
            f"{path}: is a SQLite database of another program, not a pyengine workout log "
            "(give another file with --db)"
        )


def _log_error(path: Path, exc: sqlite3.Error) -> WorkoutLogError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return WorkoutLogError(
            f"{path}: the workout log is read-only; sessions cannot be saved ({text})"
        )
    if "not a database" in text or "malformed" in text:
        return WorkoutLogError(f"{path}: is not a usable SQLite database ({text})")
    if "locked" in text or "busy" in text:
        return WorkoutLogError(
            f"{path}: the workout log stayed locked by another writer for "
            f"{BUSY_TIMEOUT_S:g} s ({text})"
        )
    return WorkoutLogError(f"{path}: workout log error: {text}")


def _validate(session: WorkoutSession) -> None:
    if session.source not in SOURCES:
        raise WorkoutLogError(f"unknown session source {session.source!r} (use {SOURCES})")
    if not (math.isfinite(session.duration_s) and session.duration_s >= 0):
        raise WorkoutLogError(f"invalid session duration {session.duration_s!r}")
    if session.started_at.tzinfo is None:
        raise WorkoutLogError("a session's start time needs a time zone")
    for name, reps in session.repetitions.items():
        for a, b in reps:
            if not (math.isfinite(a) and math.isfinite(b) and b >= a):
                raise WorkoutLogError(f"{name}: invalid repetition times {a!r} -> {b!r}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
