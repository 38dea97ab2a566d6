"""Frames from video files and cameras, with errors that name the problem.

Both readers are context managers that yield :class:`Frame` objects (BGR ``uint8``
images, as OpenCV and the pose estimator expect) and describe their source with a
:class:`VideoInfo`.

Files are decoded with PyAV (FFmpeg): it gives every frame's exact presentation time
(variable-frame-rate phone videos) and the display matrix phones write for a portrait
video, so frames come out upright as a player shows them. Colours are converted from
YUV exactly as OpenCV's reader converts them (BT.601 coefficients), so the frames, and
the landmarks found on them, are bit-identical to those of earlier releases. Cameras
are read with OpenCV.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import CameraError, VideoError

#: Frame rate assumed when a container or camera reports none.
FALLBACK_FPS = 30.0

CAMERA_PREFIX = "camera:"

#: The clockwise rotations a reader can apply to make frames upright.
ROTATIONS = (0, 90, 180, 270)

_CV2_ROTATE = {
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


@dataclass(frozen=True)
class VideoInfo:
    """What a video source is.

    Attributes
    ----------
    source : str
        The file path, or ``"camera:N"``.
    fps : float
        Frames per second, ``> 0`` (``FALLBACK_FPS`` when the source reports none). For a
        variable-frame-rate file, the average rate.
    width, height : int
        Size of the frames the reader yields: upright, after ``rotation``.
    n_frames : int or None
        Number of frames the container declares; ``None`` for a camera or when unknown.
    rotation : int
        Clockwise rotation (0, 90, 180 or 270 degrees) applied to each decoded frame to
        make it upright: the container's display rotation (phones store portrait video
        as landscape pixels plus this), plus any extra rotation asked for.
    mirrored : bool
        Frames were also flipped left-right (before the rotation), as the container's
        display matrix asks.
    """

    source: str
    fps: float
    width: int
    height: int
    n_frames: int | None
    rotation: int = 0
    mirrored: bool = False


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0-based position in the source.
    time_s : float
        Presentation time in seconds from the first frame (exact, from the container,
        for files); monotonic seconds since the first frame for cameras.
    image : numpy.ndarray
        BGR ``uint8`` ``(height, width, 3)``, C-contiguous and upright.
    """

    index: int
    time_s: float
    image: np.ndarray


@dataclass(frozen=True)
class DisplayRotation:
    """The transform a player applies to a file's decoded frames.

    Attributes
    ----------
    degrees : int
        Clockwise rotation, a multiple of 90 (a stored angle is rounded to one).
    mirrored : bool
        A left-right flip, applied before the rotation.
    """

    degrees: int = 0
    mirrored: bool = False


def check_rotation(degrees: Any) -> int:
    """``degrees`` as one of 0, 90, 180, 270; ValueError for anything else."""
    if isinstance(degrees, bool) or not isinstance(degrees, (int, np.integer)):
        raise ValueError(f"rotation must be 0, 90, 180 or 270 degrees, got {degrees!r}")
    if int(degrees) % 90:
        raise ValueError(f"rotation must be 0, 90, 180 or 270 degrees, got {degrees!r}")
    return int(degrees) % 360


def display_matrix_rotation(matrix: Sequence[float]) -> DisplayRotation:
    """Decode an MP4/QuickTime display matrix (FFmpeg's ``DISPLAYMATRIX`` side data).

    Parameters
    ----------
    matrix : sequence of 9 numbers
        ``a b u c d v x y w``; a decoded pixel ``(x, y)`` (y downwards) is shown at
        ``(a x + c y, b x + d y)``. Only the signs and ratios of ``a b c d`` matter.

    Returns
    -------
    DisplayRotation
        The clockwise rotation (rounded to a multiple of 90 degrees) and whether the
        matrix flips the picture (a negative determinant).
    """
    a, b, _, c, d, _ = (float(v) for v in matrix[:6])
    mirrored = a * d - b * c < 0
    if mirrored:  # M = R(theta) @ diag(-1, 1): undo the flip, then read the rotation
        a, b = -a, -b
    angle = math.degrees(math.atan2(b, a)) % 360.0
    return DisplayRotation(round(angle / 90.0) % 4 * 90, mirrored)


def upright(image: np.ndarray, degrees: int, mirrored: bool = False) -> np.ndarray:
    """``image`` flipped left-right if ``mirrored``, then turned ``degrees`` clockwise."""
    if mirrored:
        image = cv2.flip(image, 1)
    if degrees:
        image = cv2.rotate(image, _CV2_ROTATE[degrees])
    return np.ascontiguousarray(image)


def rotated_size(width: int, height: int, degrees: int) -> tuple[int, int]:
    """``(width, height)`` of a ``width x height`` frame after a ``degrees`` rotation."""
    return (height, width) if degrees in (90, 270) else (width, height)


class VideoReader:
    """Read a video file frame by frame, upright, with exact frame times.

    Parameters
    ----------
    path : str or os.PathLike
        A video file FFmpeg can decode (its first video stream is read).
    extra_rotation : int
        A further clockwise rotation (0, 90, 180 or 270) applied after the container's
        own display rotation: for a camera that was held sideways without the file
        saying so (``--rotate``).

    Raises
    ------
    VideoError
        The path does not exist, is not a video, or has no decodable frame.
    ValueError
        ``extra_rotation`` is not a multiple of 90.

    Notes
    -----
    Iterating yields every frame from the first. A second iteration starts again from
    the first frame. Iteration raises :class:`VideoError` when decoding stops well
    before the declared frame count (a truncated or corrupt file), naming the frame.
    """

    def __init__(self, path: str | os.PathLike, *, extra_rotation: int = 0) -> None:
        self.path = Path(path)
        extra = check_rotation(extra_rotation)
        if not self.path.exists():
            raise VideoError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise VideoError(f"{self.path}: is a folder, not a video file")
        self._closed = False
        with _open_container(self.path) as container:
            stream = _video_stream(container, self.path)
            first = _first_frame(container, stream, self.path)
            fps = _checked_fps(_stream_fps(stream), str(self.path))
            n_frames = _declared_frame_count(container, stream, fps)
        #: What the container itself asks for (before ``extra_rotation``).
        self.display_rotation = _frame_display_rotation(first)
        rotation = (self.display_rotation.degrees + extra) % 360
        width, height = rotated_size(first.width, first.height, rotation)
        self.info = VideoInfo(
            source=str(self.path),
            fps=fps,
            width=int(width),
            height=int(height),
            n_frames=n_frames,
            rotation=rotation,
            mirrored=self.display_rotation.mirrored,
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
        if self._closed:
            raise VideoError(f"{self.path}: reader is closed")
        import av

        info = self.info
        index = 0
        with _open_container(self.path) as container:
            stream = _video_stream(container, self.path)
            stream.thread_type = "AUTO"  # frame threads: several times faster than slices
            first_time: float | None = None
            last_time = 0.0
            try:
                for decoded in container.decode(stream):
                    if first_time is None:
                        first_time = decoded.time
                    time_s = _frame_time(decoded.time, first_time, index, info.fps)
                    last_time = time_s = max(time_s, last_time)
                    yield Frame(index, time_s, self._image(decoded))
                    index += 1
            except av.FFmpegError as exc:
                raise VideoError(
                    f"{self.path}: decoding failed at frame {index} ({exc}); the file is corrupt"
                ) from None
        self._check_complete(index)

    def close(self) -> None:
        """Forget the file. Safe to call more than once."""
        self._closed = True

    def _image(self, decoded) -> np.ndarray:
        # src_colorspace: OpenCV's conversion (BT.601 whatever the file is tagged with).
        bgr = decoded.reformat(format="bgr24", src_colorspace="ITU601").to_ndarray()
        return upright(bgr, self.info.rotation, self.info.mirrored)

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


def open_source(spec: str | os.PathLike, *, extra_rotation: int = 0) -> VideoReader | CameraReader:
    """Open ``"camera:N"`` as a :class:`CameraReader`, anything else as a :class:`VideoReader`.

    ``extra_rotation`` (0, 90, 180, 270, clockwise) is passed to a :class:`VideoReader`;
    a camera takes none.

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
        if extra_rotation:
            raise CameraError(f"{text}: a camera cannot be rotated here (extra_rotation)")
        return CameraReader(int(number))
    return VideoReader(text, extra_rotation=extra_rotation)


def _open_container(path: Path):
    import av

    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VideoError(
            f"{path}: not a video file FFmpeg can open (unknown format or corrupt header: {reason})"
        ) from None


def _video_stream(container, path: Path):
    if not container.streams.video:
        raise VideoError(f"{path}: the file has no video stream")
    return container.streams.video[0]


def _first_frame(container, stream, path: Path):
    import av

    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise VideoError(f"{path}: no frame could be decoded ({exc})") from None
    raise VideoError(f"{path}: no frame could be decoded (empty or corrupt video)")


def _frame_display_rotation(frame) -> DisplayRotation:
    for side_data in frame.side_data:
        if "DISPLAYMATRIX" in str(side_data.type):
            matrix = np.frombuffer(bytes(side_data), dtype="<i4")[:9]
            return display_matrix_rotation(matrix.tolist())
    return DisplayRotation()


def _stream_fps(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return math.nan


def _declared_frame_count(container, stream, fps: float) -> int | None:
    if stream.frames and stream.frames > 0:
        return int(stream.frames)
    # No frame count in the container (e.g. WebM, MPEG-TS): estimate it from the duration.
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1_000_000
    else:
        return None
    estimate = round(seconds * fps)
    return estimate if estimate >= 1 else None


def _frame_time(time: float | None, first_time: float | None, index: int, fps: float) -> float:
    if time is None or first_time is None:  # no timestamps in the file: assume a steady rate
        return index / fps
    return float(time - first_time)


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
