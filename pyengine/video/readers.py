"""Frames from video files and cameras, with errors that name the problem.

Both readers are context managers that yield :class:`Frame` objects (BGR ``uint8``
images, as OpenCV and the pose estimator expect) and describe their source with a
:class:`VideoInfo`.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import CameraError, VideoError

#: Frame rate assumed when a container or camera reports none.
FALLBACK_FPS = 30.0

CAMERA_PREFIX = "camera:"


@dataclass(frozen=True)
class VideoInfo:
    """What a video source is.

    Attributes
    ----------
    source : str
        The file path, or ``"camera:N"``.
    fps : float
        Frames per second, ``> 0`` (``FALLBACK_FPS`` when the source reports none).
    width, height : int
        Frame size in pixels, as decoded (after any rotation the container asks for).
    n_frames : int or None
        Number of frames the container declares; ``None`` for a camera or when unknown.
    """

    source: str
    fps: float
    width: int
    height: int
    n_frames: int | None


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0-based position in the source.
    time_s : float
        ``index / fps`` for files; monotonic seconds since the first frame for cameras.
    image : numpy.ndarray
        BGR ``uint8`` ``(height, width, 3)``.
    """

    index: int
    time_s: float
    image: np.ndarray


class VideoReader:
    """Read a video file frame by frame.

    Parameters
    ----------
    path : str or os.PathLike
        A video file OpenCV's FFmpeg back end can decode.

    Raises
    ------
    VideoError
        The path does not exist, is not a video OpenCV can open, or has no decodable frame.

    Notes
    -----
    Iterating yields every frame from the first. A second iteration starts again from
    the first frame. Iteration raises :class:`VideoError` when decoding stops well
    before the declared frame count (a truncated or corrupt file), naming the frame.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise VideoError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise VideoError(f"{self.path}: is a folder, not a video file")
        self._capture: cv2.VideoCapture | None = _open_file_capture(self.path)
        ok, first = self._capture.read()
        if not ok or first is None:
            self._capture.release()
            raise VideoError(f"{self.path}: no frame could be decoded (empty or corrupt video)")
        self._first_frame: np.ndarray | None = _bgr(first)
        self.info = VideoInfo(
            source=str(self.path),
            fps=_checked_fps(self._capture.get(cv2.CAP_PROP_FPS), str(self.path)),
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            n_frames=_declared_frame_count(self._capture),
        )

    def __repr__(self) -> str:
        return f"VideoReader({str(self.path)!r}, {self.info})"

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        """The declared frame count (0 when the container does not declare one)."""
        return self.info.n_frames or 0

    def __iter__(self) -> Iterator[Frame]:
        capture = self._capture_from_start()
        image = self._first_frame
        self._first_frame = None
        index = 0
        while image is not None:
            yield Frame(index, index / self.info.fps, image)
            index += 1
            ok, image = capture.read()
            image = _bgr(image) if ok and image is not None else None
        self._check_complete(index)

    def close(self) -> None:
        """Release the file. Safe to call more than once."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _capture_from_start(self) -> cv2.VideoCapture:
        if self._capture is None:
            raise VideoError(f"{self.path}: reader is closed")
        if self._first_frame is None:  # iterated before: start again from frame 0
            self._capture.release()
            self._capture = _open_file_capture(self.path)
            ok, first = self._capture.read()
            if not ok or first is None:
                raise VideoError(f"{self.path}: no frame could be decoded on re-opening")
            self._first_frame = _bgr(first)
        return self._capture

    def _check_complete(self, n_decoded: int) -> None:
        expected = self.info.n_frames
        if expected is not None and n_decoded < expected - _frame_count_slack(expected):
            raise VideoError(
                f"{self.path}: decoding stopped at frame {n_decoded} of {expected} declared "
                "(the file is truncated or corrupt)"
            )


class CameraReader:
    """Read frames from a camera until closed.

    Parameters
    ----------
    index : int
        OpenCV camera index (``/dev/video<index>`` on Linux).

    Raises
    ------
    CameraError
        There is no camera at that index, or it gives no frame.
    """

    def __init__(self, index: int = 0) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise CameraError(f"camera index must be an integer >= 0, got {index!r}")
        self.index = index
        source = f"{CAMERA_PREFIX}{index}"
        if _linux_device_missing(index):  # fail fast, without OpenCV's probing noise
            raise CameraError(f"no camera at index {index} (/dev/video{index} does not exist)")
        self._capture: cv2.VideoCapture | None = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(f"no camera at index {index}")
        ok, first = self._capture.read()
        if not ok or first is None:
            self._capture.release()
            raise CameraError(f"camera at index {index} opened but gives no frames")
        self._first_frame: np.ndarray | None = _bgr(first)
        self.info = VideoInfo(
            source=source,
            fps=_checked_fps(self._capture.get(cv2.CAP_PROP_FPS), source),
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            n_frames=None,
        )

    def __repr__(self) -> str:
        return f"CameraReader({self.index}, {self.info})"

    def __enter__(self) -> CameraReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        if self._capture is None:
            raise CameraError(f"camera {self.index}: reader is closed")
        start = time.monotonic()
        index = 0
        image = self._first_frame
        self._first_frame = None
        while self._capture is not None:
            if image is None:
                ok, image = self._capture.read()
                if not ok or image is None:
                    raise CameraError(f"camera {self.index} stopped giving frames at frame {index}")
            yield Frame(index, time.monotonic() - start, _bgr(image))
            index += 1
            image = None

    def close(self) -> None:
        """Release the camera. Safe to call more than once."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def open_source(spec: str | os.PathLike) -> VideoReader | CameraReader:
    """Open ``"camera:N"`` as a :class:`CameraReader`, anything else as a :class:`VideoReader`.

    Raises
    ------
    CameraError
        ``"camera:N"`` with a bad index or no camera there.
    VideoError
        A path that is not a readable video.
    """
    text = os.fspath(spec)
    if isinstance(text, str) and text.startswith(CAMERA_PREFIX):
        number = text[len(CAMERA_PREFIX) :]
        if not number.isdigit():
            raise CameraError(f"{text!r}: expected camera:N with N a camera index such as 0")
        return CameraReader(int(number))
    return VideoReader(text)


def _open_file_capture(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"{path}: not a video OpenCV can open (unknown format or corrupt header)")
    return capture


def _declared_frame_count(capture: cv2.VideoCapture) -> int | None:
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if math.isfinite(count) and count >= 1 else None


def _frame_count_slack(declared: int) -> int:
    # Containers that only store a duration give an estimated count that can be off by
    # a frame or two; a real truncation loses far more than this.
    return max(2, math.ceil(0.01 * declared))


def _checked_fps(fps: float, source: str) -> float:
    if math.isfinite(fps) and fps > 0:
        return float(fps)
    warnings.warn(
        f"{source}: the source reports no frame rate; assuming {FALLBACK_FPS:g} fps",
        RuntimeWarning,
        stacklevel=3,
    )
    return FALLBACK_FPS


def _bgr(image: np.ndarray) -> np.ndarray:
    """Make sure a decoded frame is 3-channel BGR (some cameras give grey or BGRA)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _linux_device_missing(index: int) -> bool:
    return sys.platform.startswith("linux") and not Path(f"/dev/video{index}").exists()
