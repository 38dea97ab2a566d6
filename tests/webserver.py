"""Start ``pyengine serve`` as a real process for the web tests, and a few client helpers.

Also used by ``benchmarks/bench_serve_start.py``. Needs the ``web`` extra (FastAPI,
uvicorn, python-multipart, websockets) and httpx, all in the ``test`` extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import httpx2 as httpx

START_TIMEOUT_S = 60.0


@dataclass
class Served:
    """A running ``pyengine serve``: its base URL (ending in ``/``) and what it printed."""

    url: str
    process: subprocess.Popen
    start_s: float
    stdout: list[str] = field(default_factory=list)
    stderr_path: Path | None = None

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :] + "ws/live"

    def stderr(self) -> str:
        if self.stderr_path is None or not self.stderr_path.exists():
            return ""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


@contextmanager
def serve(
    db: Path,
    *options: str,
    folder: Path,
    wrap: Callable[[list[str]], list[str]] = list,
) -> Iterator[Served]:
    """Run ``pyengine serve --port 0 --db DB OPTIONS`` until the block ends.

    The start time is measured from launching the process to the first answer of
    ``GET /api/health``. ``wrap`` may change the command (e.g. a read-only mount).
    """
    argv = wrap(
        [sys.executable, "-m", "pyengine", "serve", "--port", "0", "--db", str(db), *options]
    )
    stderr_path = folder / f"serve-{time.monotonic_ns()}.stderr"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    with stderr_path.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=folder
        )
    try:
        yield _wait_until_up(process, start, stderr_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(process: subprocess.Popen, start: float, stderr_path: Path) -> Served:
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    prefix = "pyengine serve: "
    if not first.startswith(prefix):
        process.wait(timeout=10)
        raise AssertionError(
            f"serve did not start: {first!r}\n{stderr_path.read_text(encoding='utf-8')}"
        )
    url = first[len(prefix) :].split("?", 1)[0]
    lines = [first]
    deadline = start + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        try:
            answer = httpx.get(url + "api/health", timeout=2.0)
            if answer.status_code in (200, 401):
                break
        except httpx.TransportError:
            time.sleep(0.02)
    else:
        raise AssertionError(f"serve did not answer in {START_TIMEOUT_S} s")
    served = Served(url, process, time.perf_counter() - start, lines, stderr_path)
    while not served.stdout[-1].startswith("API documentation"):  # the rest of the announcement
        served.stdout.append(process.stdout.readline().strip())
    return served


def write_clip(
    source: Path, target: Path, *, max_frames: int, width: int, fourcc: str = "mp4v"
) -> int:
    """Write the first ``max_frames`` frames of ``source`` scaled to ``width`` px wide."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    n = 0
    try:
        while n < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            height = round(frame.shape[0] * width / frame.shape[1] / 2) * 2
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            if writer is None:
                writer = cv2.VideoWriter(
                    str(target), cv2.VideoWriter.fourcc(*fourcc), fps, (width, height)
                )
            writer.write(frame)
            n += 1
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    return n


def write_y4m(source: Path, target: Path, *, width: int) -> tuple[int, float]:
    """Convert ``source`` to a YUV4MPEG2 file (Chromium's fake camera input).

    Returns (frames, fps).
    """
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    n = 0
    with target.open("wb") as out:
        header_written = False
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            height = round(frame.shape[0] * width / frame.shape[1] / 2) * 2
            frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            if not header_written:
                num, den = _rational(fps)
                out.write(f"YUV4MPEG2 W{width} H{height} F{num}:{den} Ip A1:1 C420jpeg\n".encode())
                header_written = True
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    capture.release()
    return n, fps


def _rational(fps: float) -> tuple[int, int]:
    for den in (1, 1001, 1000):
        num = fps * den
        if abs(num - round(num)) < 1e-3:
            return round(num), den
    return round(fps * 1000), 1000


def jpeg_frames(source: Path, *, max_frames: int, width: int) -> list[bytes]:
    """The first frames of ``source`` as JPEG bytes, as a browser would send them."""
    capture = cv2.VideoCapture(str(source))
    frames = []
    while len(frames) < max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        height = round(frame.shape[0] * width / frame.shape[1])
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        frames.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    capture.release()
    return frames


def video_codec(path: Path) -> str:
    """The FourCC OpenCV reads from a video file (e.g. ``avc1`` for H.264)."""
    capture = cv2.VideoCapture(str(path))
    try:
        code = int(capture.get(cv2.CAP_PROP_FOURCC))
    finally:
        capture.release()
    return "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
