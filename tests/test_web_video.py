"""``pyengine serve`` on the shared clips: exact counts over HTTP, and a load of uploads and
live sockets at once with no error and no session lost.

The server runs as a real process (real MediaPipe, real SQLite); clients are httpx and
the ``websockets`` client, sending frames as the page does.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import struct
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx2 as httpx
import pytest
from test_report import validate
from webserver import jpeg_frames, serve, video_codec, write_clip
from websockets.sync.client import connect

from pyengine.report import load_schema

pytestmark = pytest.mark.video

CLIP = "squats_side_gym"
EVENT_TOLERANCE_S = 0.25
JOB_TIMEOUT_S = 600.0


@pytest.fixture(scope="module")
def truth(videos_dir: Path) -> dict:
    with (videos_dir / "ground_truth.csv").open(newline="", encoding="utf-8") as f:
        rows = {Path(r["file"]).stem: r for r in csv.DictReader(f)}
    row = rows[CLIP]
    return {
        "reps": int(row["reps"]),
        "events": [float(t) for t in row["rep_event_times_s"].split(";")],
        "frames": int(row["frames"]),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with serve(folder / "log.sqlite", folder=folder) as running:
        print(f"\npyengine serve answered after {running.start_s:.2f} s")
        yield running
        assert running.alive(), running.stderr()


def _post(server, path: Path, name: str | None = None) -> httpx.Response:
    with path.open("rb") as f:
        return httpx.post(
            server.url + "api/videos", files={"file": (name or path.name, f)}, timeout=60
        )


def _wait(server, job_id: str) -> httpx.Response:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = httpx.get(server.url + f"api/videos/{job_id}")
        if answer.json()["status"] in ("done", "failed"):
            return answer
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} not finished after {JOB_TIMEOUT_S} s")


def _sessions(server) -> list[dict]:
    return httpx.get(server.url + "api/sessions").json()["sessions"]


def test_an_uploaded_squat_clip_gets_its_exact_count_and_an_h264_video(
    server, videos_dir, truth, tmp_path
):
    answer = _post(server, videos_dir / f"{CLIP}.mp4")
    assert answer.status_code == 202, answer.text
    done = _wait(server, answer.json()["id"])
    body = done.json()
    assert done.status_code == 200 and body["status"] == "done", body
    report = body["report"]
    validate(report, load_schema())
    assert report["counts"] == {"squats_down": truth["reps"], "pushups_down": 0}
    windows = [(r["start_s"], r["end_s"]) for r in report["repetitions"]["squats_down"]]
    for event in truth["events"]:  # each hand-timed bottom lies in one counted repetition
        assert any(a - EVENT_TOLERANCE_S <= event <= b + EVENT_TOLERANCE_S for a, b in windows)
    assert report["input"]["frames_processed"] == truth["frames"]
    saved = [s for s in _sessions(server) if s["id"] == body["session_id"]]
    assert saved and saved[0]["counts"]["squats_down"] == truth["reps"]

    video = tmp_path / "annotated.mp4"
    video.write_bytes(httpx.get(server.url + body["video_url"][1:], timeout=60).content)
    # Browsers play H.264 in MP4 (the page shows this video); MPEG-4 Part 2 they refuse.
    assert video_codec(video) in ("avc1", "h264"), f"annotated video is {video_codec(video)!r}"


@pytest.mark.parametrize(
    ("clip", "keep", "when", "problem"),
    [
        # The index at the front: the cut file opens, counting stops short.
        (CLIP, 0.1, "while counting", "truncated or corrupt"),
        # The index at the end: the cut file does not open at all.
        ("pushups_side_outdoor", 0.5, "at upload", "corrupt header"),
    ],
)
def test_a_truncated_upload_is_a_clear_422_and_the_server_goes_on(
    server, videos_dir, tmp_path, clip, keep, when, problem
):
    data = (videos_dir / f"{clip}.mp4").read_bytes()
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(data[: int(len(data) * keep)])
    before = len(_sessions(server))
    answer = _post(server, broken)
    if when == "at upload":
        assert answer.status_code == 422
        detail = answer.json()["detail"]
    else:
        assert answer.status_code == 202
        failed = _wait(server, answer.json()["id"])
        assert failed.status_code == 422 and failed.json()["status"] == "failed"
        detail = failed.json()["detail"]
        assert failed.json()["video_url"] is None  # no half-written video either
    assert detail.startswith("cut.mp4: ") and problem in detail
    assert len(_sessions(server)) == before
    assert httpx.get(server.url + "api/health").status_code == 200


def _live_client(server, frames: list[bytes], fps: float, results: dict, key: str) -> None:
    """Send every frame and wait for its answer (one in flight), then stop and keep what
    the server said."""
    try:
        with connect(server.ws_url, max_size=2**24, open_timeout=60) as ws:
            ready = json.loads(ws.recv())
            assert ready["type"] == "ready", ready
            answers = []
            for k, image in enumerate(frames):
                ws.send(struct.pack("<d", 1000.0 * k / fps) + image)
                answers.append(json.loads(ws.recv()))
            ws.send(json.dumps({"type": "stop"}))
            results[key] = {"answers": answers, "end": json.loads(ws.recv())}
    except BaseException as exc:  # reported by the test thread
        results[key] = {"error": repr(exc)}


def test_twenty_uploads_and_two_live_sockets_at_once_lose_nothing(
    server, videos_dir, truth, tmp_path
):
    short = tmp_path / "short.mp4"
    n_short = write_clip(videos_dir / f"{CLIP}.mp4", short, max_frames=90, width=360)
    frames = jpeg_frames(videos_dir / f"{CLIP}.mp4", max_frames=truth["frames"], width=480)
    before = {s["id"] for s in _sessions(server)}
    start = time.perf_counter()
    live: dict = {}
    sockets = [
        threading.Thread(target=_live_client, args=(server, frames, 30.0, live, f"socket{i}"))
        for i in range(2)
    ]
    for thread in sockets:
        thread.start()
    job_ids = []
    for i in range(20):  # in a row, without waiting for the counting
        answer = _post(server, short, name=f"short-{i:02d}.mp4")
        assert answer.status_code == 202, answer.text
        job_ids.append(answer.json()["id"])
    jobs = [_wait(server, job_id).json() for job_id in job_ids]
    for thread in sockets:
        thread.join(timeout=JOB_TIMEOUT_S)
    elapsed = time.perf_counter() - start
    print(f"\n20 uploads ({n_short} frames each) and 2 live sockets ({len(frames)} frames")
    print(f"each) at once: {elapsed:.1f} s")

    assert [j["status"] for j in jobs] == ["done"] * 20, [j["error"] for j in jobs]
    assert all(j["log_error"] is None for j in jobs)
    first = jobs[0]["report"]
    for job in jobs:  # the same input counts the same, however busy the server is
        assert job["report"]["counts"] == first["counts"]
        assert job["report"]["repetitions"] == first["repetitions"]
    assert first["counts"]["squats_down"] == 1  # the clip's first squat ends at frame 83
    for key in ("socket0", "socket1"):
        outcome = live[key]
        assert "error" not in outcome, outcome
        assert len(outcome["answers"]) == len(frames)
        assert outcome["end"]["type"] == "saved", outcome["end"]
        # Every frame of the clip over the socket: the same count as the file.
        assert outcome["end"]["session"]["counts"]["squats_down"] == truth["reps"]

    sessions = [s for s in _sessions(server) if s["id"] not in before]
    assert sorted(s["name"] for s in sessions if s["source"] == "upload") == [
        f"short-{i:02d}.mp4" for i in range(20)
    ]
    assert sorted(j["session_id"] for j in jobs) == sorted(
        s["id"] for s in sessions if s["source"] == "upload"
    )
    live_ids = {live[k]["end"]["session"]["id"] for k in ("socket0", "socket1")}
    assert live_ids == {s["id"] for s in sessions if s["source"] == "live"}
    db = server.stdout[1].removeprefix("workout log: ")
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert "Traceback" not in server.stderr()
