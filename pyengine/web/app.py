"""The FastAPI application: the page, the HTTP API and the live WebSocket.

Routes (FastAPI documents them at ``/docs`` and ``/openapi.json``):

- ``GET /``: the page (live camera, upload, history);
- ``POST /api/videos``: upload a video (multipart field ``file``); ``202`` with the job;
- ``GET /api/videos/{id}``: the job's status and progress, then its report (the same
  format as ``pyengine count --json``); ``422`` when the video could not be counted;
- ``GET /api/videos/{id}/video``: the annotated video (MP4);
- ``GET /api/sessions``, ``GET /api/sessions/{id}``, ``GET /api/sessions.csv``: the log;
- ``WS /ws/live``: live counting (protocol in :mod:`pyengine.web.live`).

Errors are JSON ``{"detail": "..."}`` with a 4xx status that names the problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, File, HTTPException, Request, UploadFile, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect, WebSocketState

from .._version import __version__
from ..errors import LiveProtocolError, PyengineError, VideoError, WorkoutLogError
from ..workout_log import WorkoutLog, session_from_report
from . import guards
from .engine import Engine, warm_up
from .jobs import UploadJobs
from .live import LatestFrame, LiveSession, parse_command, parse_frame_message

#: Default upload size limit.
DEFAULT_MAX_UPLOAD_BYTES = 500 * 1024 * 1024
#: WebSocket close codes.
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_SERVER_ERROR = 1011

_logger = logging.getLogger("pyengine.web")
_JOB_ID_PATTERN = r"^[0-9a-f]{32}$"


@dataclass
class ServerConfig:
    """What a server instance counts with and how it protects itself.

    Attributes
    ----------
    engine : Engine
        Pose model, samples, settings and exercises.
    log : WorkoutLog
        Where every session is saved.
    token : str, optional
        Access token every request must carry (set when listening beyond loopback).
    loopback_only : bool
        Answer only requests addressed to a loopback host name (DNS-rebinding guard).
    max_upload_bytes : int
        Largest accepted upload.
    work_folder : Path, optional
        Where uploads and annotated videos go; default: a temporary folder removed at
        shutdown.
    warm_up : bool
        Load the pose model in the background at start, so the first session is quick.
    """

    engine: Engine
    log: WorkoutLog
    token: str | None = None
    loopback_only: bool = True
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    work_folder: Path | None = None
    warm_up: bool = True


def create_app(config: ServerConfig) -> FastAPI:
    """The web application for ``config`` (serve it with uvicorn)."""
    state = _State(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            await run_in_threadpool(state.stop)

    app = FastAPI(
        title="pyengine",
        version=__version__,
        summary="Exercise repetition counting: live camera, uploaded videos, workout log.",
        lifespan=lifespan,
    )
    app.state.pyengine = state
    app.add_middleware(_UploadLimit, path="/api/videos", limit=config.max_upload_bytes)
    app.add_middleware(_AccessGuard, token=config.token, loopback_only=config.loopback_only)
    app.add_exception_handler(WorkoutLogError, _log_error_response)
    static = resources.files("pyengine.web") / "static"
    app.mount("/static", StaticFiles(packages=[("pyengine.web", "static")]), name="static")
    _add_page_routes(app, config, static)
    _add_api_routes(app, state)
    _add_live_route(app, state)
    return app


class _State:
    """Everything a running server holds: the upload jobs and their folder."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.engine = config.engine
        self.log = config.log
        self._own_folder: Path | None = None
        self.jobs: UploadJobs | None = None

    def start(self) -> None:
        folder = self.config.work_folder
        if folder is None:
            folder = self._own_folder = Path(tempfile.mkdtemp(prefix="pyengine-serve-"))
        self.jobs = UploadJobs(self.engine, self.log, folder)
        self.jobs.start()
        if self.config.warm_up:
            warm_up(self.engine)

    def stop(self) -> None:
        if self.jobs is not None:
            self.jobs.stop()
        if self._own_folder is not None:
            shutil.rmtree(self._own_folder, ignore_errors=True)

    def require_jobs(self) -> UploadJobs:
        if self.jobs is None:
            raise HTTPException(503, "the server is starting; try again in a moment")
        return self.jobs


def _log_error_response(_request: Request, exc: Exception) -> Response:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


# ---------------------------------------------------------------- the page


def _add_page_routes(app: FastAPI, config: ServerConfig, static: Any) -> None:
    index_html = (static / "index.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    def page(request: Request) -> Response:
        token = request.query_params.get("token")
        if config.token is not None and token is not None:
            # The token came in the URL that `pyengine serve` printed: keep it in a cookie
            # and drop it from the address bar.
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(
                guards.TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/"
            )
            return response
        return HTMLResponse(index_html, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- the API


def _add_api_routes(app: FastAPI, state: _State) -> None:
    config = state.config

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, str]:
        """The server is up."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/config", tags=["server"])
    def server_config() -> dict[str, Any]:
        """What the page needs: counted classes, skeleton, upload limit, the log's state."""
        return {
            **state.engine.describe(),
            "version": __version__,
            "max_upload_bytes": config.max_upload_bytes,
            "log": {"path": str(state.log.path), "problem": state.log.problem()},
        }

    @app.post("/api/videos", status_code=202, tags=["videos"])
    async def upload_video(file: Annotated[UploadFile, File(description="the video")]) -> Any:
        """Upload a video to count; returns its job (poll ``GET /api/videos/{id}``).

        ``413``: larger than the server's limit; ``415``: not a video container;
        ``422``: a video that does not open (corrupt or truncated); ``409``: the workout
        log cannot be written (nothing is counted then).
        """
        jobs = state.require_jobs()
        name = guards.display_name(file.filename)
        head = await file.read(guards.SNIFF_BYTES)
        suffix = guards.sniff_video(head)
        if suffix is None:
            raise HTTPException(
                415,
                f"{name}: not a video (the file does not start like MP4, MOV, WebM, MKV, "
                "AVI, MPEG, Ogg, FLV or Y4M)",
            )
        await run_in_threadpool(state.log.check_writable)
        return await run_in_threadpool(_store_and_submit, jobs, file, head, suffix, name)

    @app.get("/api/videos/{job_id}", tags=["videos"])
    def video_job(job_id: str) -> Any:
        """The job: ``queued``/``running`` with progress, then ``done`` with the report, or
        ``422`` with ``status: failed`` and the reason."""
        job = _job(state, job_id)
        body = job.as_dict()
        if job.status == "failed":
            return JSONResponse(status_code=422, content={**body, "detail": job.error})
        return body

    @app.get(
        "/api/videos/{job_id}/video",
        tags=["videos"],
        response_class=FileResponse,
        responses={200: {"content": {"video/mp4": {}}}},
    )
    def annotated_video(job_id: str) -> Any:
        """The annotated video of a counted upload (MP4)."""
        job = _job(state, job_id)
        if not job.video_kept or not job.video_path.is_file():
            raise HTTPException(404, f"job {job_id} has no annotated video (yet, or any more)")
        return FileResponse(job.video_path, media_type="video/mp4")

    @app.get("/api/sessions", tags=["workout log"])
    def sessions() -> dict[str, Any]:
        """Every session of the workout log, oldest first."""
        found = state.log.sessions()
        return {"log": str(state.log.path), "sessions": [s.as_dict() for s in found]}

    @app.get(
        "/api/sessions.csv",
        tags=["workout log"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def sessions_csv() -> Response:
        """The workout log as CSV: one row per session and exercise."""
        return Response(
            state.log.export_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="workouts.csv"'},
        )

    @app.get("/api/sessions/{session_id}", tags=["workout log"])
    def session(session_id: int) -> dict[str, Any]:
        """One session with its full count report."""
        try:
            found = state.log.session(session_id)
        except KeyError:
            raise HTTPException(404, f"no session {session_id} in the workout log") from None
        return {**found.as_dict(), "report": found.report}


def _store_and_submit(jobs: UploadJobs, file: UploadFile, head: bytes, suffix: str, name: str):
    job_id, folder = jobs.new_job_folder()
    upload = folder / f"upload{suffix}"  # a name the server makes, never the client's
    try:
        with upload.open("wb") as out:
            out.write(head)
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        job = jobs.submit(job_id, folder, upload, name)
    except VideoError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(422, str(exc).replace(str(upload), name)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job.as_dict()


def _job(state: _State, job_id: str):
    job = state.require_jobs().get(job_id)
    if job is None:
        raise HTTPException(404, f"no upload job {job_id!r}")
    return job


# ---------------------------------------------------------------- live


def _add_live_route(app: FastAPI, state: _State) -> None:
    @app.websocket("/ws/live")
    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyengine-live")
        loop = asyncio.get_running_loop()
        try:
            session = await loop.run_in_executor(executor, LiveSession, state.engine)
        except PyengineError as exc:  # e.g. the pose model is missing: say so, stay up
            await _send(websocket, {"type": "error", "message": str(exc)})
            await _close(websocket, CLOSE_SERVER_ERROR, "cannot count")
            executor.shutdown(wait=False)
            return
        try:
            await _run_live(websocket, session, state, executor)
        except WebSocketDisconnect:
            pass
        finally:
            executor.submit(session.close)
            executor.shutdown(wait=False)


async def _run_live(
    websocket: WebSocket, session: LiveSession, state: _State, executor: ThreadPoolExecutor
) -> None:
    loop = asyncio.get_running_loop()
    problem = await run_in_threadpool(state.log.problem)
    await websocket.send_json(
        {
            "type": "ready",
            **state.engine.describe(),
            "log_problem": problem,
        }
    )
    slot = LatestFrame()
    commands: asyncio.Queue[str] = asyncio.Queue()

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes") is not None:
                slot.put(parse_frame_message(message["bytes"]))
                continue
            command = parse_command(message.get("text") or "")
            if command == "stop":
                return
            await commands.put(command)

    async def count() -> None:
        while (frame := await slot.get()) is not None:
            while not commands.empty():
                if commands.get_nowait() == "reset":
                    await loop.run_in_executor(executor, session.reset)
            reply = await loop.run_in_executor(executor, session.process, *frame)
            reply["dropped"] = slot.dropped
            await _send(websocket, reply)

    receiver = asyncio.create_task(receive())
    counter = asyncio.create_task(count())
    error: BaseException | None = None
    try:
        done, _ = await asyncio.wait({receiver, counter}, return_when=asyncio.FIRST_COMPLETED)
        if receiver in done:
            error = receiver.exception()
            slot.close()
            if error is None:  # count the frame that was waiting, then stop
                await asyncio.wait({counter})
                error = counter.exception()
        else:
            error = counter.exception()
    finally:
        for task in (receiver, counter):
            task.cancel()
    saved = await _save_live(session, state, executor)  # whatever ended it, keep the work
    if isinstance(error, LiveProtocolError):
        await _send(websocket, {"type": "error", "message": str(error)})
        await _close(websocket, CLOSE_INVALID_DATA, str(error))
    elif error is not None and not isinstance(error, WebSocketDisconnect):
        _logger.error("live session failed", exc_info=error)
        await _send(websocket, {"type": "error", "message": f"server error: {error}"})
        await _close(websocket, CLOSE_SERVER_ERROR, "server error")
    else:
        await _send(websocket, saved)
        await _close(websocket, 1000, "session ended")


async def _save_live(
    session: LiveSession, state: _State, executor: ThreadPoolExecutor
) -> dict[str, Any]:
    if session.n_frames == 0:
        return {"type": "not_saved", "message": "no frame was counted; nothing to save"}
    loop = asyncio.get_running_loop()
    report = await loop.run_in_executor(executor, session.report)
    workout = session_from_report(
        report,
        source="live",
        name="camera",
        started_at=session.started_at,
        duration_s=session.duration_s,
    )
    try:
        session_id = await run_in_threadpool(state.log.add_session, workout)
    except WorkoutLogError as exc:
        return {"type": "not_saved", "message": str(exc), "report": report}
    saved = {**workout.as_dict(), "id": session_id}
    return {"type": "saved", "session": saved, "report": report}


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_json(message)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await websocket.close(code=code, reason=reason[:120])


# ---------------------------------------------------------------- middleware


class _AccessGuard:
    """Host, origin and token checks for every HTTP request and WebSocket handshake."""

    def __init__(self, app: ASGIApp, *, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self._problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, text = problem
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": CLOSE_POLICY, "reason": text[:120]})
            return
        response = JSONResponse(status_code=status, content={"detail": text})
        await response(scope, receive, send)

    def _problem(self, scope: Scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = guards.host_of(headers.get("host", ""))
        if self.loopback_only and not guards.is_loopback_host(host):
            return 403, (
                f"this server answers on localhost only, not as {host!r} "
                "(start it with --host to serve other machines)"
            )
        origin = headers.get("origin")
        unsafe = scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD")
        if unsafe and origin and origin != "null":
            if guards.host_of(urlsplit(origin).netloc) != host:
                return 403, f"requests from another site ({origin}) are not accepted"
        if self.token is not None and not self._has_token(scope, headers):
            return 401, (
                "this server needs its access token: open the URL that 'pyengine serve' "
                "printed, or send 'Authorization: Bearer <token>'"
            )
        return None

    def _has_token(self, scope: Scope, headers: dict[str, str]) -> bool:
        assert self.token is not None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        candidates = list(query.get("token", []))
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            candidates.append(authorization[7:].strip())
        for part in headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == guards.TOKEN_COOKIE:
                candidates.append(value)
        return any(guards.token_matches(c, self.token) for c in candidates)


class _UploadLimit:
    """Refuse an upload larger than ``limit`` bytes: by its Content-Length before reading,
    and while reading when the length is not declared."""

    def __init__(self, app: ASGIApp, *, path: str, limit: int) -> None:
        self.app = app
        self.path = path
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        message = (
            f"the upload is larger than this server's limit of {_megabytes(self.limit)} "
            "(pyengine serve --max-upload-mb)"
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse(status_code=413, content={"detail": message})
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            item = await receive()
            if item["type"] == "http.request":
                received += len(item.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, message)
            return item

        await self.app(scope, limited_receive, send)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):g} MB"
