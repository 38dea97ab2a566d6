"""``--log`` and ``--db``: save a counted session to the workout log (``count``, ``live``)."""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..workout_log import WorkoutLog, WorkoutSession, session_from_report


def add_log_arguments(parser) -> None:
    """``--log`` (save the session) and ``--db FILE`` (which log; default documented)."""
    parser.add_argument(
        "--log",
        action="store_true",
        help="save the session to the workout log (the same log `pyengine serve` shows)",
    )
    add_db_argument(parser)


def add_db_argument(parser) -> None:
    """``--db FILE``: the workout log file."""
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="workout log file (SQLite; default: $PYENGINE_LOG, else "
        "~/.local/share/pyengine/workouts.sqlite or the platform's data folder)",
    )


def log_from_args(args: argparse.Namespace) -> WorkoutLog | None:
    """The log to save to, checked now (before any work), or None without ``--log``.

    Raises
    ------
    UsageError
        ``--db`` without ``--log``.
    WorkoutLogError
        The log cannot be written (not SQLite, read-only, newer schema, missing folder).
    """
    if not args.log:
        if args.db is not None:
            raise UsageError("--db needs --log (say that the session is to be saved)")
        return None
    log = WorkoutLog(args.db)
    log.check_writable()
    return log


def save_report(
    log: WorkoutLog,
    report: dict[str, Any],
    *,
    source: str,
    name: str | os.PathLike[str],
    started_at: datetime,
    duration_s: float | None = None,
    quiet: bool = False,
) -> WorkoutSession:
    """Save the session ``report`` describes; print where it went unless ``quiet``."""
    session = session_from_report(
        report,
        source=source,
        name=Path(name).name or str(name),
        started_at=started_at,
        duration_s=duration_s,
    )
    session_id = log.add_session(session)
    if not quiet:
        print(f"saved to the workout log {log.path} as session {session_id}")
    return session
