"""Uploaded videos, counted one after another in a worker thread.

The pose model is the whole cost of counting and uses the machine's cores, so jobs run
one at a time, in the order they came; each one runs exactly what ``pyengine count VIDEO
--out annotated.mp4 --json report.json`` runs (:func:`pyengine.video.pipeline.run_video`
with the same renderer and :class:`~pyengine.video.writer.AnnotatedVideoFile`), and the
session is saved to the workout log. The uploaded file is deleted once counted; the
annotated videos of the last :data:`KEPT_JOBS` jobs are kept for the page to play.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import PyengineError, WorkoutLogError
from ..video.pipeline import run_video
from ..video.readers import VideoInfo, open_source
from ..video.writer import AnnotatedVideoFile
from ..workout_log import WorkoutLog, session_from_report
from .engine import Engine

#: Jobs whose annotated video stays on disk (older ones keep their report only).
KEPT_JOBS = 50
#: Jobs remembered at all (older ones are forgotten; their sessions stay in the log).
REMEMBERED_JOBS = 1000
ANNOTATED_NAME = "annotated.mp4"

_logger = logging.getLogger("pyengine.web")


@dataclass
class Job:
    """One uploaded video and what became of it.

    ``status`` goes ``queued`` -> ``running`` -> ``done`` or ``failed``.
    """

    id: str
    name: str
    folder: Path
    upload: Path
    info: VideoInfo
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    status: str = "queued"
    frames_done: int = 0
    report: dict[str, Any] | None = None
    error: str | None = None
    session_id: int | None = None
    log_error: str | None = None
    video_kept: bool = False

    @property
    def video_path(self) -> Path:
        return self.folder / ANNOTATED_NAME

    def as_dict(self) -> dict[str, Any]:
        """What ``GET /api/videos/{id}`` returns."""
        total = self.info.n_frames
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "created_at": self.created_at.isoformat(timespec="milliseconds"),
            "progress": {
                "frames_done": self.frames_done,
                "frames_total": total,
                "fraction": min(1.0, self.frames_done / total) if total else None,
            },
            "error": self.error,
            "session_id": self.session_id,
            "log_error": self.log_error,
            "video_url": f"/api/videos/{self.id}/video" if self.video_kept else None,
            "report": self.report,
        }


class UploadJobs:
    """The queue of uploaded videos and the worker thread that counts them.

    Parameters
    ----------
    engine : Engine
        How to count.
    log : WorkoutLog
        Where each counted session is saved.
    folder : Path
        A private folder for uploads and annotated videos (one sub-folder per job).
    """

    def __init__(self, engine: Engine, log: WorkoutLog, folder: Path) -> None:
        self.engine = engine
        self.log = log
        self.folder = folder
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="pyengine-uploads", daemon=True)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        """Let the running job finish, drop the queued ones, stop the worker."""
        self._stopping.set()
        self._queue.put(None)
        if self._worker.is_alive():
            self._worker.join()

    def new_job_folder(self) -> tuple[str, Path]:
        """A fresh job id and its empty folder (the upload is written there)."""
        job_id = uuid.uuid4().hex
        folder = self.folder / job_id
        folder.mkdir()
        return job_id, folder

    def submit(self, job_id: str, folder: Path, upload: Path, name: str) -> Job:
        """Queue an upload that was sniffed as video and opens (``open_source`` probed it).

        Raises
        ------
        VideoError
            The file does not open as a video (corrupt header, no decodable frame).
        """
        with open_source(upload) as reader:
            info = reader.info
        job = Job(id=job_id, name=name, folder=folder, upload=upload, info=info)
        with self._lock:
            self._jobs[job_id] = job
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._stopping.is_set():
                job.error, job.status = "the server stopped before counting it", "failed"
                job.upload.unlink(missing_ok=True)
                continue
            try:
                self._count(job)
            except Exception as exc:  # one bad job must not stop the worker
                _logger.exception("upload %s (%s) failed", job.id, job.name)
                job.error = f"internal error while counting: {type(exc).__name__}: {exc}"
                job.status = "failed"
            finally:
                job.upload.unlink(missing_ok=True)
                self._forget_old_videos()

    def _count(self, job: Job) -> None:
        job.status = "running"
        engine = self.engine
        counting = engine.new_counting()

        def progress(_result) -> None:
            job.frames_done += 1

        try:
            with open_source(job.upload) as reader, engine.open_estimator() as estimator:
                info = reader.info
                renderer = engine.renderer(info, counting)
                with AnnotatedVideoFile(job.video_path, info.fps, info.width, info.height) as sink:
                    result = run_video(
                        reader, estimator, counting, renderer=renderer, sink=sink, on_frame=progress
                    )
        except PyengineError as exc:  # the client's file: say what is wrong with it
            job.error = str(exc).replace(str(job.upload), job.name)
            job.status = "failed"
            return
        job.video_kept = True
        job.report = engine.report(result, counting, source_name=job.name)
        session = session_from_report(
            job.report, source="upload", name=job.name, started_at=job.created_at
        )
        try:
            job.session_id = self.log.add_session(session)
        except WorkoutLogError as exc:  # counted all the same: the page shows both
            job.log_error = str(exc)
        job.status = "done"

    def _forget_old_videos(self) -> None:
        with self._lock:
            finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
            for job in finished[:-REMEMBERED_JOBS]:
                del self._jobs[job.id]
        for job in finished[:-KEPT_JOBS]:
            job.video_kept = False
            if job.folder.exists():
                shutil.rmtree(job.folder, ignore_errors=True)
