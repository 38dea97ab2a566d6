"""The web app's HTTP API and live socket, and what keeps the server safe.

Most tests drive the real application in this process (FastAPI's TestClient: the same
ASGI app uvicorn serves, real MediaPipe, real SQLite); the ones about the command itself
start ``pyengine serve`` as a process. Clips here are made by the tests (no person in
them); counting the shared clips is in ``test_web_video.py`` and the browser test.
"""

from __future__ import annotations

import json
import math
import re
import struct
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import httpx2 as httpx
import numpy as np
import pytest
from readonly import read_only_folder
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from test_report import validate
from webserver import serve

from pyengine import DEFAULT_SETTINGS, default_samples
from pyengine.cli import main
from pyengine.report import load_schema
from pyengine.web import guards
from pyengine.web.app import ServerConfig, create_app
from pyengine.web.engine import Engine
from pyengine.web.live import LatestFrame
from pyengine.workout_log import WorkoutLog, WorkoutSession

JOB_TIMEOUT_S = 120.0
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(default_samples(), "bundled", DEFAULT_SETTINGS)


@pytest.fixture
def make_client(engine, tmp_path):
    """``make_client(**config) -> TestClient`` on a fresh log and work folder."""
    clients = []

    def make(**options) -> TestClient:
        (tmp_path / "work").mkdir(exist_ok=True)
        base_url = options.pop("base_url", LOCAL)
        config = ServerConfig(
            engine=engine,
            log=options.pop("log", WorkoutLog(tmp_path / "log.sqlite")),
            work_folder=tmp_path / "work",
            warm_up=False,
            **options,
        )
        client = TestClient(create_app(config), base_url=base_url)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory) -> Path:
    """A 12-frame MP4 of noise (no person): quick to count, a real video all the same."""
    path = tmp_path_factory.mktemp("clips") / "noise.mp4"
    rng = np.random.default_rng(5)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 12.0, (160, 120))
    for _ in range(12):
        writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    writer.release()
    return path


def _wait_for_job(client, job_id: str) -> httpx.Response:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = client.get(f"/api/videos/{job_id}")
        if answer.json()["status"] in ("done", "failed"):
            return answer
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {JOB_TIMEOUT_S} s")


def _job_folders(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "work").iterdir())


def _live(client, **options):
    """The live socket of ``client``'s server (the test client's default host is not local)."""
    return client.websocket_connect(f"ws://{client.base_url.netloc.decode()}/ws/live", **options)


def _frame_message(t_ms: float, image: np.ndarray) -> bytes:
    return struct.pack("<d", t_ms) + cv2.imencode(".jpg", image)[1].tobytes()


# ---------------------------------------------------------------- the API


def test_the_api_is_documented_by_openapi(make_client):
    client = make_client()
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "pyengine"
    paths = spec["paths"]
    upload = paths["/api/videos"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "202" in upload["responses"]
    assert "get" in paths["/api/videos/{job_id}"]
    assert "get" in paths["/api/videos/{job_id}/video"]
    assert "get" in paths["/api/sessions"]
    assert "text/csv" in paths["/api/sessions.csv"]["get"]["responses"]["200"]["content"]
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/static/app.js">' in page.text
    assert client.get("/static/app.js").status_code == 200


def test_an_upload_is_counted_reported_saved_and_its_video_served(
    make_client, tiny_video, tmp_path
):
    client = make_client()
    with tiny_video.open("rb") as f:
        answer = client.post("/api/videos", files={"file": ("noise.mp4", f, "video/mp4")})
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] in ("queued", "running", "done")
    assert job["progress"]["frames_total"] == 12
    done = _wait_for_job(client, job["id"])
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "done" and body["error"] is None and body["log_error"] is None
    report = body["report"]
    validate(report, load_schema())  # the same report as `pyengine count --json`
    assert report["input"]["source"] == "noise.mp4" and report["input"]["frames_processed"] == 12
    assert report["counts"] == {"squats_down": 0, "pushups_down": 0}
    assert any("no pose was found" in w for w in report["warnings"])
    assert str(tmp_path) not in json.dumps(report)  # no server path leaks out
    sessions = client.get("/api/sessions").json()["sessions"]
    assert [(s["id"], s["source"], s["name"], s["frames"]) for s in sessions] == [
        (body["session_id"], "upload", "noise.mp4", 12)
    ]
    assert client.get(f"/api/sessions/{body['session_id']}").json()["report"] == report
    video = client.get(body["video_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    part = client.get(body["video_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100  # seeking in the page
    # Only the annotated video stays; the upload itself is gone once counted.
    (folder,) = _job_folders(tmp_path)
    assert [p.name for p in folder.iterdir()] == ["annotated.mp4"]
    csv_text = client.get("/api/sessions.csv").text
    assert csv_text.splitlines()[0].startswith("session_id,started_at,source,name")
    assert ",upload,noise.mp4," in csv_text


@pytest.mark.parametrize(
    ("client_name", "shown"),
    [
        ("../../../../tmp/evil.mp4", "evil.mp4"),
        ("..\\..\\windows\\evil.mp4", "evil.mp4"),
        ("/etc/cron.d/evil", "evil"),
        ("..", "upload"),
        ("\x1b[31mred\u200b.mp4", "[31mred.mp4"),
    ],
)
def test_client_file_names_are_shown_never_used_as_paths(
    make_client, tiny_video, tmp_path, client_name, shown
):
    client = make_client()
    with tiny_video.open("rb") as f:
        answer = client.post("/api/videos", files={"file": (client_name, f, "video/mp4")})
    assert answer.status_code == 202, answer.text
    body = _wait_for_job(client, answer.json()["id"]).json()
    assert body["name"] == shown and body["report"]["input"]["source"] == shown
    (folder,) = _job_folders(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{32}", folder.name)
    assert [p.name for p in folder.iterdir()] == ["annotated.mp4"]
    assert not list(tmp_path.rglob("evil*")) and not Path("/tmp/evil.mp4").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"just some text\n" * 10),
        ("page.mp4", b"<!doctype html><html><body>not a video</body></html>"),
        ("image.mp4", cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()),
        ("empty.mp4", b""),
    ],
)
def test_a_non_video_upload_is_refused_before_any_decoding(make_client, tmp_path, name, data):
    client = make_client()
    answer = client.post("/api/videos", files={"file": (name, data, "video/mp4")})
    assert answer.status_code == 415
    assert answer.json()["detail"].startswith(f"{name}: not a video")
    assert _job_folders(tmp_path) == []
    assert client.get("/api/sessions").json()["sessions"] == []


def test_a_video_that_does_not_open_is_422_naming_the_file_not_the_server_path(
    make_client, tiny_video, tmp_path
):
    client = make_client()
    data = tiny_video.read_bytes()
    broken = data[:40] + bytes(len(data) - 40)  # a real MP4 start, then zeros
    answer = client.post("/api/videos", files={"file": ("broken.mp4", broken, "video/mp4")})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("broken.mp4: ") and str(tmp_path) not in detail
    assert _job_folders(tmp_path) == []
    assert client.get("/api/health").status_code == 200


def test_an_oversized_upload_is_413_with_or_without_a_declared_length(make_client, tmp_path):
    limit = 64 * 1024
    client = make_client(max_upload_bytes=limit)
    big = b"\x00\x00\x00\x18ftypmp42" + bytes(3 * limit)
    answer = client.post("/api/videos", files={"file": ("big.mp4", big, "video/mp4")})
    assert answer.status_code == 413
    assert "larger than this server's limit of 0.0625 MB" in answer.json()["detail"]

    boundary = "pyengine-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()

    def chunked():  # no Content-Length: the limit is enforced while reading
        yield head
        for _ in range(8):
            yield big[: limit // 2]
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post(
        "/api/videos",
        content=chunked(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == 413
    assert "larger than this server's limit" in answer.json()["detail"]
    assert _job_folders(tmp_path) == []
    assert client.get("/api/health").status_code == 200


def test_unknown_jobs_and_sessions_are_404(make_client):
    client = make_client()
    assert client.get("/api/videos/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/api/videos/../../etc/passwd").status_code == 404
    assert client.get("/api/sessions/7").json()["detail"] == "no session 7 in the workout log"


# ---------------------------------------------------------------- the live socket


def test_the_live_socket_counts_each_frame_and_saves_the_session(make_client):
    client = make_client()
    image = np.full((240, 320, 3), 90, dtype=np.uint8)
    with _live(client) as ws:
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["classes"] == ["squats_down", "pushups_down"]
        assert len(ready["skeleton"]) > 30 and ready["log_problem"] is None
        for k in range(5):
            ws.send_bytes(_frame_message(1000.0 + 40 * k, image))
            reply = ws.receive_json()
            assert reply["type"] == "frame" and reply["t"] == 1000.0 + 40 * k
            assert reply["time_s"] == pytest.approx(0.04 * k)
            assert reply["pose"] is None
            assert reply["counts"] == {"squats_down": 0, "pushups_down": 0}
        ws.send_text(json.dumps({"type": "reset"}))
        ws.send_bytes(_frame_message(1200.0, image))
        assert ws.receive_json()["type"] == "frame"
        ws.send_text(json.dumps({"type": "stop"}))
        saved = ws.receive_json()
        assert saved["type"] == "saved"
        assert saved["session"]["frames"] == 6 and saved["session"]["source"] == "live"
        assert saved["session"]["duration_s"] == pytest.approx(0.2)
        validate(saved["report"], load_schema())
    (session,) = client.get("/api/sessions").json()["sessions"]
    assert session["id"] == saved["session"]["id"] and session["name"] == "camera"


def test_frames_that_arrive_while_one_is_counted_are_dropped_not_queued(make_client):
    client = make_client()
    image = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    sent = 12
    with _live(client) as ws:
        assert ws.receive_json()["type"] == "ready"
        for k in range(sent):  # all at once, never waiting for an answer
            ws.send_bytes(_frame_message(float(k * 33), image))
        ws.send_text(json.dumps({"type": "stop"}))
        replies = []
        while (message := ws.receive_json())["type"] == "frame":
            replies.append(message)
        assert message["type"] == "saved"
    answered = len(replies)
    assert 1 <= answered < sent
    assert replies[-1]["dropped"] + answered == sent  # each frame counted or dropped
    assert replies[-1]["t"] == (sent - 1) * 33  # the newest frame was counted, not a stale one
    assert message["session"]["frames"] == answered


def test_the_latest_frame_slot_keeps_only_the_newest():
    import asyncio

    async def scenario():
        slot = LatestFrame()
        for k in range(4):
            slot.put((float(k), b"x"))
        first = await slot.get()
        slot.put((9.0, b"y"))
        slot.close()
        return first, await slot.get(), await slot.get(), slot.dropped

    assert asyncio.run(scenario()) == ((3.0, b"x"), (9.0, b"y"), None, 3)


_JPEG_JUNK = b"\xff\xd8\xff\xe0" + b"junk" * 50


@pytest.mark.parametrize(
    ("send", "message"),
    [
        (("text", "hello"), "a text message must be JSON"),
        (("text", '{"type": "dance"}'), "unknown command 'dance'"),
        (("text", "[1, 2]"), "unknown command None"),
        (("bytes", b"\x00\x01"), "an 8-byte capture time followed by an image"),
        (("bytes", struct.pack("<d", 5.0) + b"GIF89a..."), "must be a JPEG, PNG or WebP"),
        (("bytes", struct.pack("<d", math.nan) + _JPEG_JUNK), "not a finite number"),
        (("bytes", struct.pack("<d", 5.0) + _JPEG_JUNK), "could not be decoded"),
        (("bytes", struct.pack("<d", 5.0) + b"\xff\xd8\xff" + bytes(5 * 2**20)), "over the limit"),
    ],
)
def test_garbage_on_the_live_socket_closes_it_and_the_server_goes_on(make_client, send, message):
    client = make_client()
    with _live(client) as ws:
        assert ws.receive_json()["type"] == "ready"
        kind, payload = send
        ws.send_text(payload) if kind == "text" else ws.send_bytes(payload)
        error = ws.receive_json()
        assert error["type"] == "error" and message in error["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1007
    assert client.get("/api/health").status_code == 200
    with _live(client) as ws:  # the next client is served
        assert ws.receive_json()["type"] == "ready"


def test_time_going_backwards_is_refused_and_the_part_before_is_saved(make_client):
    client = make_client()
    image = np.full((120, 160, 3), 60, dtype=np.uint8)
    with _live(client) as ws:
        ws.receive_json()
        ws.send_bytes(_frame_message(500.0, image))
        assert ws.receive_json()["type"] == "frame"
        ws.send_bytes(_frame_message(400.0, image))
        assert "went backwards" in ws.receive_json()["message"]
    (session,) = client.get("/api/sessions").json()["sessions"]
    assert session["frames"] == 1


# ---------------------------------------------------------------- safe by default


def test_beyond_localhost_every_request_needs_the_token(make_client):
    client = make_client(token="s3cret-token", loopback_only=False, base_url="http://192.0.2.7")
    for path in ("/", "/api/sessions", "/api/config", "/openapi.json", "/static/app.js"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "needs its access token" in answer.json()["detail"]
    assert client.get("/api/sessions?token=wrong").status_code == 401
    bearer = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/api/sessions", headers=bearer).status_code == 200
    with pytest.raises(WebSocketDisconnect) as refused:
        with _live(client) as ws:
            ws.receive_json()
    assert refused.value.code == 1008
    # The printed URL carries the token once; the page keeps it in a cookie.
    first = client.get("/?token=s3cret-token", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/").status_code == 200  # the cookie now
    assert client.get("/api/sessions").status_code == 200
    with _live(client) as ws:
        assert ws.receive_json()["type"] == "ready"


def test_on_localhost_other_host_names_and_other_sites_are_refused(make_client, tiny_video):
    client = make_client()
    answer = client.get("/api/sessions", headers={"Host": "rebound.example"})
    assert answer.status_code == 403 and "localhost only" in answer.json()["detail"]
    assert client.get("/api/sessions", headers={"Host": "localhost:8000"}).status_code == 200
    evil = {"Origin": "http://evil.example"}
    with tiny_video.open("rb") as f:
        answer = client.post("/api/videos", files={"file": ("a.mp4", f)}, headers=evil)
    assert answer.status_code == 403 and "another site" in answer.json()["detail"]
    with pytest.raises(WebSocketDisconnect) as refused:
        with _live(client, headers=evil) as ws:
            ws.receive_json()
    assert refused.value.code == 1008


def test_guards_sniff_containers_and_names():
    assert guards.sniff_video(b"\x00\x00\x00\x20ftypisom" + bytes(20)) == ".mp4"
    assert guards.sniff_video(b"\x00\x00\x00\x14ftypqt  " + bytes(20)) == ".mov"
    assert guards.sniff_video(b"\x00\x00\x00\x14ftyp3gp4" + bytes(20)) == ".3gp"
    assert guards.sniff_video(b"\x1a\x45\xdf\xa3\x01\x00\x00\x00B\x82\x84webm") == ".webm"
    assert guards.sniff_video(b"\x1a\x45\xdf\xa3\x01\x00\x00\x00B\x82\x88matroska") == ".mkv"
    assert guards.sniff_video(b"RIFF\x00\x00\x00\x00AVI LIST") == ".avi"
    assert guards.sniff_video(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert guards.sniff_video(b"YUV4MPEG2 W640 H360") == ".y4m"
    assert guards.sniff_video(bytes([0x47] + [0] * 187) * 3) == ".ts"
    assert guards.sniff_video(b"\x89PNG\r\n\x1a\n") is None
    assert guards.display_name("C:\\Users\\me\\squats.mp4") == "squats.mp4"
    assert guards.display_name("a" * 500 + ".mp4") == "a" * 120
    assert guards.is_loopback_host("127.0.0.5") and guards.is_loopback_host("[::1]")
    assert guards.is_loopback_host("localhost") and not guards.is_loopback_host("0.0.0.0")
    assert guards.host_of("[::1]:8000") == "::1"
    assert guards.host_of("Example.org:80") == "example.org"


# ---------------------------------------------------------------- a log that cannot be used


def test_a_log_that_is_not_sqlite_is_a_clear_409_and_the_server_stays_up(
    make_client, tiny_video, tmp_path
):
    bad = tmp_path / "notes.sqlite"
    bad.write_text("my notes, not a database\n", encoding="utf-8")
    client = make_client(log=WorkoutLog(bad))
    answer = client.get("/api/sessions")
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        f"{bad}: is not a SQLite database, so not a pyengine workout log "
        "(give another file with --db)"
    )
    assert "is not a SQLite database" in client.get("/api/config").json()["log"]["problem"]
    with tiny_video.open("rb") as f:  # refused before counting, not after
        answer = client.post("/api/videos", files={"file": ("a.mp4", f, "video/mp4")})
    assert answer.status_code == 409 and "is not a SQLite database" in answer.json()["detail"]
    assert _job_folders(tmp_path) == []
    assert client.get("/api/sessions.csv").status_code == 409
    with _live(client) as ws:  # live still counts, and says why not saved
        ready = ws.receive_json()
        assert "is not a SQLite database" in ready["log_problem"]
        ws.send_bytes(_frame_message(0.0, np.zeros((120, 160, 3), np.uint8)))
        ws.receive_json()
        ws.send_text('{"type": "stop"}')
        not_saved = ws.receive_json()
        assert not_saved["type"] == "not_saved" and "is not a SQLite" in not_saved["message"]
    assert bad.read_text(encoding="utf-8") == "my notes, not a database\n"
    assert client.get("/api/health").status_code == 200


def test_a_read_only_log_keeps_its_sessions_and_refuses_new_ones(tmp_path, tiny_video):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "log.sqlite"
    log = WorkoutLog(db)
    for i in range(3):
        log.add_session(
            WorkoutSession(
                started_at=datetime.now(timezone.utc),
                source="count",
                name=f"earlier{i}.mp4",
                duration_s=5.0,
                frames=150,
                counts={"squats_down": i},
            )
        )
    with read_only_folder(folder) as wrap, serve(db, folder=tmp_path, wrap=wrap) as server:
        listed = httpx.get(server.url + "api/sessions").json()["sessions"]
        assert [s["name"] for s in listed] == ["earlier0.mp4", "earlier1.mp4", "earlier2.mp4"]
        problem = httpx.get(server.url + "api/config").json()["log"]["problem"]
        assert problem.startswith(f"{db}: the workout log is read-only")
        with tiny_video.open("rb") as f:
            answer = httpx.post(server.url + "api/videos", files={"file": ("a.mp4", f)})
        assert answer.status_code == 409 and "read-only" in answer.json()["detail"]
        assert httpx.get(server.url + "api/health").status_code == 200
        assert "read-only" in server.stderr()  # said at start too
    assert len(WorkoutLog(db).sessions()) == 3


# ---------------------------------------------------------------- the command


def test_serve_starts_on_localhost_and_says_where(tmp_path):
    db = tmp_path / "log.sqlite"
    with serve(db, folder=tmp_path) as server:
        print(f"\npyengine serve answered after {server.start_s:.2f} s")
        assert server.url.startswith("http://127.0.0.1:")
        assert server.stdout[1] == f"workout log: {db}"
        assert httpx.get(server.url).status_code == 200  # no token on localhost
        assert "needs its access token" not in server.stdout[0]


def test_serve_beyond_localhost_prints_a_token_the_api_requires(tmp_path):
    with serve(tmp_path / "log.sqlite", "--host", "0.0.0.0", folder=tmp_path) as server:
        token = server.stdout[0].split("?token=", 1)[1]
        assert server.stdout[1] == f"access token (the page and the API require it): {token}"
        port = server.url.rsplit(":", 1)[1].rstrip("/")
        local = f"http://127.0.0.1:{port}/"
        refused = httpx.get(local + "api/sessions")
        assert refused.status_code == 401 and "access token" in refused.json()["detail"]
        allowed = httpx.get(local + "api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200


def test_serve_without_the_web_extra_says_how_to_install_it(monkeypatch, capsys):
    import pyengine.web

    monkeypatch.setitem(pyengine.web.WEB_DEPENDENCIES, "pyengine_no_such_module", "fastapi")
    assert main(["serve"]) == 2
    assert "pip install 'pyengine[web]'" in capsys.readouterr().err


def test_serve_refuses_a_port_in_use_and_bad_options(tmp_path, capsys):
    with serve(tmp_path / "log.sqlite", folder=tmp_path) as server:
        port = server.url.rsplit(":", 1)[1].rstrip("/")
        assert main(["serve", "--port", port, "--db", str(tmp_path / "x.sqlite")]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["serve", "--exercise", "lunges_down"]) == 2
    assert "lunges_down" in capsys.readouterr().err
    assert main(["serve", "--ssl-certfile", "cert.pem"]) == 2
    assert "go together" in capsys.readouterr().err


def test_a_pose_model_that_cannot_load_is_an_error_on_the_socket_not_a_crash(tmp_path):
    engine = Engine(default_samples(), "bundled", DEFAULT_SETTINGS, model="/nowhere/pose.task")
    config = ServerConfig(
        engine=engine, log=WorkoutLog(tmp_path / "log.sqlite"), work_folder=tmp_path, warm_up=False
    )
    with TestClient(create_app(config), base_url=LOCAL) as client:
        with _live(client) as ws:
            error = ws.receive_json()
            assert error == {
                "type": "error",
                "message": "/nowhere/pose.task: no such .task model file",
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1011
        assert client.get("/api/health").status_code == 200
