"""The annotated output video: H.264 in MP4 with the input's sound, written with PyAV.

The file is written under a temporary name beside the target and renamed only when
complete. ``.mp4``, ``.m4v`` and ``.mov`` get H.264 (yuv420p, the profile every browser
plays) with the index at the front (``+faststart``: playback starts before the whole
file has arrived), at a size near the input's; ``.avi`` gets Motion JPEG without sound.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .._config import DEFAULT_OUTPUT_QUALITY
from .._files import temporary_beside
from ..errors import VideoError

#: Encoder per output extension.
OUTPUT_CODECS = {".mp4": "libx264", ".m4v": "libx264", ".mov": "libx264", ".avi": "mjpeg"}

#: x264's constant rate factor when none is given: 0 is lossless, 51 the worst; every
#: 6 steps halve or double the size.
DEFAULT_QUALITY = DEFAULT_OUTPUT_QUALITY
#: Without an explicit quality, the video's bitrate is capped at this multiple of the
#: input video's, so the annotated file stays near the input's size (the overlay's sharp
#: lines and text cost bits the input did not spend).
INPUT_BITRATE_CAP = 1.25
#: x264 speed/size trade-off: "veryfast" is about 10 ms per 720p frame on one core
#: and still half the size of "superfast".
X264_PRESET = "veryfast"
#: Audio codecs an MP4 file can carry and browsers play: copied as they are; any other
#: sound is re-encoded to AAC.
COPYABLE_AUDIO = frozenset({"aac", "mp3"})

_TIME_BASE = Fraction(1, 90_000)  # MPEG's clock: exact for 24, 25, 30 and 30000/1001 fps


class AnnotatedVideoFile:
    """An annotated video written to a temporary file and renamed when complete.

    Use it as a context manager: on a clean exit the file is renamed to ``path``; on an
    exception (or ``KeyboardInterrupt``) the temporary file is deleted, so a failed run
    never leaves a half-written video.

    Parameters
    ----------
    path : str or os.PathLike
        Final file: ``.mp4``, ``.m4v`` or ``.mov`` (H.264), or ``.avi`` (Motion JPEG).
    fps : float
        Nominal frame rate (30 when the source does not know its own). Frames written
        with their own times keep them (variable frame rate).
    width, height : int
        Frame size; every written frame must have it. An odd size is padded by one
        pixel (H.264 in yuv420p needs even sizes).
    source : str or os.PathLike, optional
        The input video: its sound is copied into the output (MP4 family only), and,
        unless ``quality`` is given, its video bitrate caps the output's.
    quality : int, optional
        x264's constant rate factor, 0 (lossless) to 51; lower is better and larger.
        Default: :data:`DEFAULT_QUALITY`, capped near the input's bitrate.

    Raises
    ------
    VideoError
        Unsupported extension, missing folder, bad size or quality, or the encoder
        cannot be opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        width: int,
        height: int,
        *,
        source: str | os.PathLike[str] | None = None,
        quality: int | None = None,
    ) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in OUTPUT_CODECS:
            kinds = ", ".join(sorted(OUTPUT_CODECS))
            raise VideoError(f"{self.path}: cannot write this video type; use one of {kinds}")
        if not self.path.parent.is_dir():
            raise VideoError(f"{self.path}: folder {self.path.parent} does not exist")
        if width <= 0 or height <= 0:
            raise VideoError(f"{self.path}: invalid frame size {width}x{height}")
        if quality is not None and not (0 <= quality <= 51):
            raise VideoError(f"output quality must be 0 (best) to 51 (smallest), got {quality}")
        self.size = (int(width), int(height))
        self.fps = float(fps) if fps and math.isfinite(fps) and fps > 0 else 30.0
        self.codec = OUTPUT_CODECS[suffix]
        self.source = None if source is None else Path(source)
        self.quality = DEFAULT_QUALITY if quality is None else int(quality)
        self._cap_bitrate = quality is None
        self.n_written = 0
        self._tmp: Path | None = None
        self._output: Any = None
        self._video: Any = None
        self._audio: _AudioCopy | None = None
        self._last_pts = -1

    # ------------------------------------------------------------ context

    def __enter__(self) -> AnnotatedVideoFile:
        import av

        tmp = temporary_beside(self.path, suffix=f".tmp{self.path.suffix}")
        try:
            options = {"movflags": "+faststart"} if self.codec == "libx264" else {}
            self._output = av.open(str(tmp), mode="w", options=options)
            self._video = self._add_video_stream()
            if self.source is not None and self.codec == "libx264":
                self._audio = _AudioCopy.open(self.source, self._output)
        except BaseException as exc:
            self._close_quietly()
            tmp.unlink(missing_ok=True)
            if isinstance(exc, av.FFmpegError):
                message = f"{self.path}: cannot open the {self.codec} encoder: {exc}"
                raise VideoError(message) from None
            raise
        self._tmp = tmp
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp = self._tmp
        if tmp is None:  # __enter__ failed: nothing was opened
            return
        self._tmp = None
        if exc_type is not None or self.n_written == 0:
            self._close_quietly()
            tmp.unlink(missing_ok=True)
            if exc_type is None:
                raise VideoError(f"{self.path}: no frames to write; the file was not created")
            return
        try:
            self._finish()
            os.replace(tmp, self.path)
        except BaseException as error:
            self._close_quietly()
            tmp.unlink(missing_ok=True)
            if isinstance(error, (OSError, ValueError)) or _is_ffmpeg_error(error):
                message = f"{self.path}: could not finish writing the video: {error}"
                raise VideoError(message) from None
            raise

    # ------------------------------------------------------------ frames

    def write(self, image: np.ndarray, time_s: float | None = None) -> None:
        """Append one BGR frame of the announced size.

        Parameters
        ----------
        image : numpy.ndarray
            BGR ``uint8`` ``(height, width, 3)``.
        time_s : float, optional
            The frame's time in seconds from the first frame (default: its index / fps).
        """
        if self._video is None:
            raise VideoError(f"{self.path}: the video is not open (use it in a with block)")
        if image.shape[1::-1] != self.size:
            raise VideoError(
                f"{self.path}: frame {self.n_written} is {image.shape[1]}x{image.shape[0]}, "
                f"the video is {self.size[0]}x{self.size[1]}"
            )
        if time_s is None or not math.isfinite(time_s):
            time_s = self.n_written / self.fps
        time_base = self._video.codec_context.time_base
        pts = max(round(time_s / time_base), self._last_pts + 1)
        self._last_pts = pts
        frame = self._frame(image)
        frame.pts = pts
        frame.time_base = time_base
        for packet in self._video.encode(frame):
            self._output.mux(packet)
        if self._audio is not None:
            self._audio.copy_until(float(pts * time_base))
        self.n_written += 1

    def _frame(self, image: np.ndarray):
        import av

        width, height = self._video.codec_context.width, self._video.codec_context.height
        if (image.shape[1], image.shape[0]) != (width, height):  # odd size: repeat the edge
            image = cv2.copyMakeBorder(
                image, 0, height - image.shape[0], 0, width - image.shape[1], cv2.BORDER_REPLICATE
            )
        if self.codec == "mjpeg":
            return av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        # OpenCV's BT.601 conversion: a third of the cost of FFmpeg's swscale here.
        yuv = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
        return av.VideoFrame.from_ndarray(yuv, format="yuv420p")

    # ------------------------------------------------------------ set-up and end

    def _add_video_stream(self):
        width, height = (self.size[0] + 1) // 2 * 2, (self.size[1] + 1) // 2 * 2
        rate = Fraction(self.fps).limit_denominator(1001)
        if self.codec == "mjpeg":
            stream = self._output.add_stream("mjpeg", rate=rate)
            stream.pix_fmt = "yuvj420p"
            stream.codec_context.qmin, stream.codec_context.qmax = 2, 5
        else:
            stream = self._output.add_stream("libx264", rate=rate, options=self._x264_options())
            stream.pix_fmt = "yuv420p"
            context = stream.codec_context
            # What cv2.COLOR_BGR2YUV_I420 produces: BT.601, limited range.
            context.colorspace, context.color_range = 6, 1  # SMPTE 170M, MPEG (tv) range
            context.color_primaries, context.color_trc = 6, 6
            context.thread_count = max(1, (os.cpu_count() or 2) // 2)
        stream.width, stream.height = width, height
        # AVI has no timestamps, only a frame rate: a frame per tick. MP4 keeps each
        # frame's own time (variable frame rate) on MPEG's 90 kHz clock.
        stream.codec_context.time_base = 1 / rate if self.codec == "mjpeg" else _TIME_BASE
        return stream

    def _x264_options(self) -> dict[str, str]:
        options = {"preset": X264_PRESET, "crf": str(self.quality)}
        cap = _video_bitrate(self.source) if self._cap_bitrate and self.source else None
        if cap:
            max_kbit = max(1, round(INPUT_BITRATE_CAP * cap / 1000))
            options.update(maxrate=f"{max_kbit}k", bufsize=f"{2 * max_kbit}k")
        return options

    def _finish(self) -> None:
        for packet in self._video.encode(None):
            self._output.mux(packet)
        if self._audio is not None:
            end = float(self._last_pts * self._video.codec_context.time_base) + 1.0 / self.fps
            self._audio.copy_until(end)
            self._audio.flush()
            self._audio.close()
            self._audio = None
        self._output.close()
        self._output = self._video = None

    def _close_quietly(self) -> None:
        for resource in (self._audio, self._output):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # already failing: the first error is the one to report
                    pass
        self._audio = self._output = self._video = None


class _AudioCopy:
    """The input's sound, muxed into the output as the video frames are written."""

    def __init__(self, container, in_stream, out_stream, offset_s: float, transcode: bool) -> None:
        self._container = container
        self._in = in_stream
        self._out = out_stream
        self._offset_s = offset_s
        self._transcode = transcode
        self._packets: Iterator = container.demux(in_stream)
        self._pending: Any = None
        self._offset = round(offset_s / in_stream.time_base) if in_stream.time_base else 0

    @classmethod
    def open(cls, source: Path, output) -> _AudioCopy | None:
        """The first sound stream of ``source`` added to ``output``; None if it has none."""
        import av

        try:
            container = av.open(str(source), mode="r")
        except av.FFmpegError:
            return None  # the reader reports a bad input; the sound is optional
        if not container.streams.audio:
            container.close()
            return None
        in_stream = container.streams.audio[0]
        offset_s = _first_video_time(container)
        transcode = in_stream.codec_context.name not in COPYABLE_AUDIO
        if transcode:
            out_stream = output.add_stream("aac", rate=in_stream.rate or 48_000)
            out_stream.layout = in_stream.layout
        else:
            out_stream = output.add_stream_from_template(in_stream)
        return cls(container, in_stream, out_stream, offset_s, transcode)

    def copy_until(self, time_s: float) -> None:
        """Mux the input's sound up to ``time_s`` (seconds from the first video frame)."""
        while True:
            packet = self._pending if self._pending is not None else next(self._packets, None)
            self._pending = None
            if packet is None:
                return
            if packet.pts is None or packet.size == 0:
                continue
            when = float((packet.pts - self._offset) * packet.time_base)
            if when > time_s:
                self._pending = packet
                return
            self._mux(packet)

    def _mux(self, packet) -> None:
        if self._transcode:
            for frame in packet.decode():
                frame.pts = None  # the encoder numbers the samples itself
                for encoded in self._out.encode(frame):
                    self._out.container.mux(encoded)
            return
        packet.pts -= self._offset
        if packet.dts is not None:
            packet.dts -= self._offset
        packet.stream = self._out
        self._out.container.mux(packet)

    def flush(self) -> None:
        """Drain the AAC encoder, when the sound was re-encoded."""
        if self._transcode:
            for encoded in self._out.encode(None):
                self._out.container.mux(encoded)

    def close(self) -> None:
        self._container.close()


def _first_video_time(container) -> float:
    """Start time of the first video stream in seconds (0 when unknown)."""
    if not container.streams.video:
        return 0.0
    stream = container.streams.video[0]
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _video_bitrate(source: Path) -> int | None:
    """Bits per second of the first video stream of ``source`` (None if unknown)."""
    import av

    try:
        with av.open(str(source), mode="r") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.bit_rate:
                return int(stream.bit_rate)
            if container.duration and container.duration > 0:  # whole file, minus the sound
                sound = sum(s.bit_rate or 0 for s in container.streams.audio)
                total = os.path.getsize(source) * 8 / (container.duration / 1_000_000)
                return max(int(total - sound), 1) if total > sound else None
    except (av.FFmpegError, OSError):
        return None
    return None


def _is_ffmpeg_error(error: BaseException) -> bool:
    import av

    return isinstance(error, av.FFmpegError)
