"""One live camera session per WebSocket: frames in, landmarks and counts out.

Protocol of ``/ws/live`` (also in ``docs/web.md``):

- the server opens with ``{"type": "ready", "classes": [...], "skeleton": [...], ...}``;
- the client sends each frame as one **binary** message: an 8-byte little-endian float64
  capture time in milliseconds (any monotonic clock, e.g. ``performance.now()``), then a
  JPEG, PNG or WebP image;
- the server answers each frame it counted with ``{"type": "frame", "t": <the capture
  time>, "pose": [[x, y], ...] (0..1, or null), "counts": {...}, "confidence": {...},
  "repetitions": [new ones], "dropped": n}``;
- text messages are commands: ``{"type": "reset"}`` zeroes the counts, ``{"type":
  "stop"}`` ends the session: it is saved to the workout log (as it is when the socket
  simply closes) and the server answers ``{"type": "saved", "session": {...}}`` or
  ``{"type": "not_saved", "message": ...}``;
- anything else closes the socket with ``{"type": "error", "message": ...}`` and close
  code 1007 (invalid data); the server goes on.

Frames are dropped, never queued: while one frame is being counted, only the newest one
that arrives waits; older ones are dropped and counted in ``dropped``.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
import time
from datetime import datetime, timezone
from typing import Any

import cv2
import numpy as np

from ..errors import LiveProtocolError
from ..timing import StageClock
from ..video.pipeline import stage_result
from ..video.readers import VideoInfo
from .engine import Engine

#: Largest frame message accepted (a 1080p JPEG is well under 1 MB).
MAX_FRAME_BYTES = 4 * 1024 * 1024
#: Largest decoded frame side, in pixels.
MAX_FRAME_SIDE = 4096
SOURCE_NAME = "browser camera"
_HEADER = struct.Struct("<d")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


def parse_frame_message(data: bytes) -> tuple[float, bytes]:
    """Split a binary frame message into its capture time (ms) and image bytes.

    Raises
    ------
    LiveProtocolError
        Too short, too large, a capture time that is not finite, or not an image.
    """
    if len(data) > MAX_FRAME_BYTES:
        raise LiveProtocolError(
            f"frame message of {len(data)} bytes is over the limit of {MAX_FRAME_BYTES}"
        )
    if len(data) <= _HEADER.size:
        raise LiveProtocolError(
            f"a frame message is an 8-byte capture time followed by an image; got {len(data)} bytes"
        )
    (t_ms,) = _HEADER.unpack_from(data)
    if not math.isfinite(t_ms):
        raise LiveProtocolError(f"frame capture time {t_ms!r} is not a finite number")
    image = data[_HEADER.size :]
    if not image.startswith(_IMAGE_MAGIC) or (image.startswith(b"RIFF") and image[8:12] != b"WEBP"):
        raise LiveProtocolError("a frame must be a JPEG, PNG or WebP image")
    return t_ms, image


def parse_command(text: str) -> str:
    """The command of a text message: ``"stop"`` or ``"reset"``.

    Raises
    ------
    LiveProtocolError
        Not a JSON object with a known ``type``.
    """
    try:
        message = json.loads(text)
    except ValueError:
        raise LiveProtocolError('a text message must be JSON, e.g. {"type": "stop"}') from None
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in ("stop", "reset"):
        raise LiveProtocolError(f"unknown command {kind!r}: use 'stop' or 'reset'")
    return str(kind)


class LiveSession:
    """Pose model and counting stage of one live stream (not thread-safe: one thread).

    Parameters
    ----------
    engine : Engine
        How to count.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counting = engine.new_counting()
        self.estimator = engine.open_estimator()
        self.clock = StageClock()
        self.started_at = datetime.now(timezone.utc)
        self.n_frames = 0
        self.size: tuple[int, int] | None = None
        self._first_ms: float | None = None
        self._last_s = 0.0
        self._wall_start = time.perf_counter()
        self._reported = {name: 0 for name in self.counting.target_classes}

    def process(self, t_ms: float, image_bytes: bytes) -> dict[str, Any]:
        """Count one frame; return the ``"frame"`` message for the client.

        Raises
        ------
        LiveProtocolError
            The image does not decode, is too large, or time went backwards.
        """
        t0 = time.perf_counter_ns()
        image = cv2.imdecode(np.frombuffer(image_bytes, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise LiveProtocolError("the frame image could not be decoded")
        height, width = image.shape[:2]
        if max(width, height) > MAX_FRAME_SIDE:
            raise LiveProtocolError(f"frame of {width}x{height} is over {MAX_FRAME_SIDE} px")
        self.clock.add("decode", time.perf_counter_ns() - t0)
        time_s = self._session_time(t_ms)
        t1 = time.perf_counter_ns()
        landmarks = self.estimator(image, time_s)
        self.clock.add("pose", time.perf_counter_ns() - t1)
        result = self.counting(self.n_frames, time_s, landmarks, self.clock)
        self.n_frames += 1
        self.size = self.size or (width, height)
        top_n = self.engine.settings.top_n_by_mean_distance
        pose = None
        if landmarks is not None and result.raw:
            pose = [
                [round(float(x) / width, 4), round(float(y) / height, 4)] for x, y, _ in landmarks
            ]
        return {
            "type": "frame",
            "t": t_ms,
            "index": result.index,
            "time_s": time_s,
            "pose": pose,
            "counts": result.counts,
            "confidence": {
                name: (result.smoothed.get(name, 0.0) / top_n if result.raw else None)
                for name in self.counting.target_classes
            },
            "repetitions": self._new_repetitions(),
            "server_ms": (time.perf_counter_ns() - t0) / 1e6,
        }

    def reset(self) -> None:
        """Zero the counts (the session goes on)."""
        self.counting.reset()
        self._reported = {name: 0 for name in self.counting.target_classes}

    def report(self) -> dict[str, Any]:
        """The session's count report (the ``--json`` format)."""
        wall_s = time.perf_counter() - self._wall_start
        width, height = self.size or (0, 0)
        fps = self.n_frames / self._last_s if self._last_s > 0 else 0.0
        info = VideoInfo(SOURCE_NAME, fps, width, height, None)
        result = stage_result(
            info, self.n_frames, self.counting, self.clock, wall_s, self.estimator.name
        )
        return self.engine.report(result, self.counting, source_name=SOURCE_NAME)

    @property
    def duration_s(self) -> float:
        """Seconds from the first counted frame to the last."""
        return self._last_s

    def close(self) -> None:
        self.estimator.close()

    def _session_time(self, t_ms: float) -> float:
        if self._first_ms is None:
            self._first_ms = t_ms
        time_s = (t_ms - self._first_ms) / 1000.0
        if time_s < self._last_s:
            raise LiveProtocolError(
                f"frame capture time went backwards ({time_s:.3f} s after {self._last_s:.3f} s)"
            )
        self._last_s = time_s
        return time_s

    def _new_repetitions(self) -> list[dict[str, Any]]:
        new = []
        for name, reps in self.counting.repetitions.items():
            for number, rep in enumerate(
                reps[self._reported[name] :], start=self._reported[name] + 1
            ):
                new.append(
                    {"exercise": name, "number": number, "start_s": rep.start_s, "end_s": rep.end_s}
                )
            self._reported[name] = len(reps)
        return new


class LatestFrame:
    """A one-frame slot between the socket reader and the counting: newer replaces older."""

    def __init__(self) -> None:
        self._frame: tuple[float, bytes] | None = None
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def put(self, frame: tuple[float, bytes]) -> None:
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def get(self) -> tuple[float, bytes] | None:
        """The newest frame, waiting for one; None once closed."""
        while self._frame is None:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        frame, self._frame = self._frame, None
        return frame
