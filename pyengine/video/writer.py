"""The annotated output video: written to a temporary file, renamed only when complete."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._files import temporary_beside
from ..errors import VideoError

#: FourCC per output extension: codecs every OpenCV build can write.
OUTPUT_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}


class AnnotatedVideoFile:
    """An annotated video written to a temporary file and renamed when complete.

    Use it as a context manager: on a clean exit the file is renamed to ``path``; on an
    exception (or ``KeyboardInterrupt``) the temporary file is deleted, so a failed run
    never leaves a half-written video.

    Parameters
    ----------
    path : str or os.PathLike
        Final file; ``.mp4`` (mp4v) or ``.avi`` (MJPG).
    fps : float
        Frame rate to write (30 when the source does not know its own).
    width, height : int
        Frame size; every written frame must have it.

    Raises
    ------
    VideoError
        Unsupported extension, missing folder, or OpenCV cannot open a writer.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, width: int, height: int) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in OUTPUT_CODECS:
            kinds = ", ".join(sorted(OUTPUT_CODECS))
            raise VideoError(f"{self.path}: cannot write this video type; use one of {kinds}")
        if not self.path.parent.is_dir():
            raise VideoError(f"{self.path}: folder {self.path.parent} does not exist")
        if width <= 0 or height <= 0:
            raise VideoError(f"{self.path}: invalid frame size {width}x{height}")
        self.size = (int(width), int(height))
        self.fps = float(fps) if fps and math.isfinite(fps) and fps > 0 else 30.0
        self._fourcc = OUTPUT_CODECS[suffix]
        self._tmp: Path | None = None
        self._writer: Any = None
        self.n_written = 0

    def __enter__(self) -> AnnotatedVideoFile:
        import cv2

        # keep the real suffix last: OpenCV picks the container from it
        tmp = temporary_beside(self.path, suffix=f".tmp{self.path.suffix}")
        fourcc = cv2.VideoWriter.fourcc(*self._fourcc)
        writer = cv2.VideoWriter(str(tmp), fourcc, self.fps, self.size)
        if not writer.isOpened():
            tmp.unlink(missing_ok=True)
            raise VideoError(f"{self.path}: OpenCV cannot open a {self._fourcc} video writer")
        self._tmp, self._writer = tmp, writer
        return self

    def write(self, image: np.ndarray) -> None:
        """Append one BGR frame of the announced size."""
        if image.shape[1::-1] != self.size:
            raise VideoError(
                f"{self.path}: frame {self.n_written} is {image.shape[1]}x{image.shape[0]}, "
                f"the video is {self.size[0]}x{self.size[1]}"
            )
        self._writer.write(image)
        self.n_written += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp = self._tmp
        if tmp is None:  # __enter__ failed: nothing was opened
            return
        self._writer.release()
        if exc_type is None and self.n_written > 0:
            os.replace(tmp, self.path)
        else:
            tmp.unlink(missing_ok=True)
        if exc_type is None and self.n_written == 0:
            raise VideoError(f"{self.path}: no frames to write; the file was not created")
