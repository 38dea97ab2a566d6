"""Landmark files: a video's pose landmarks, computed once and re-used.

Running the pose model is by far the slowest step of the pipeline, so ``pyengine
landmarks`` writes its output to a file that counting, tuning and plotting can read
many times. The format (a NumPy ``.npz`` archive) is described exactly in
``docs/landmark_format.md``.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_output
from ..errors import InvalidPoseError, LandmarkFileError, VideoError
from ..landmarks import LANDMARK_NAMES, N_DIMS, N_LANDMARKS
from .readers import CameraReader, VideoInfo, VideoReader

FORMAT_NAME = "pyengine-landmarks"
FORMAT_VERSION = 1
ARRAY_KEYS = ("landmarks", "valid", "times")
METADATA_KEY = "metadata"
_INFO_FIELDS = ("source", "fps", "width", "height", "n_frames")


@dataclass
class LandmarkTrack:
    """Per-frame pose landmarks of one video.

    Attributes
    ----------
    landmarks : numpy.ndarray
        float32 ``(F, 33, 3)``, pixel-scaled ``(x * width, y * height, z * width)``;
        rows of NaN where the frame has no pose.
    valid : numpy.ndarray
        bool ``(F,)``: True where the frame has a pose.
    times : numpy.ndarray
        float64 ``(F,)``: each frame's time in seconds.
    info : VideoInfo
        The video the landmarks come from. ``F`` may be smaller than
        ``info.n_frames`` when only the start of the video was processed.
    model : str
        Name of the pose estimator that produced the landmarks.
    """

    landmarks: np.ndarray
    valid: np.ndarray
    times: np.ndarray
    info: VideoInfo
    model: str

    def __len__(self) -> int:
        return len(self.valid)

    @property
    def n_valid(self) -> int:
        """Number of frames with a pose."""
        return int(np.count_nonzero(self.valid))


def save_landmarks(track: LandmarkTrack, path: str | os.PathLike) -> None:
    """Write ``track`` to ``path`` as a compressed landmark file, atomically.

    The file is written under a temporary name in the same folder and renamed over
    ``path`` only once complete, so an interruption never leaves a half-written file.

    Raises
    ------
    LandmarkFileError
        The track is inconsistent (shapes, dtypes, NaN rows); nothing is written.
    """
    _check_track(track, where="track to save")
    path = Path(path)
    metadata = _metadata(track)
    arrays = {
        "landmarks": np.ascontiguousarray(track.landmarks, dtype=np.float32),
        "valid": np.ascontiguousarray(track.valid, dtype=np.bool_),
        "times": np.ascontiguousarray(track.times, dtype=np.float64),
        METADATA_KEY: np.array(json.dumps(metadata, sort_keys=True)),
    }
    with atomic_output(path, "wb") as out:
        np.savez_compressed(out, **arrays)


def load_landmarks(path: str | os.PathLike) -> LandmarkTrack:
    """Read a landmark file written by :func:`save_landmarks` (or any tool following the format).

    Raises
    ------
    LandmarkFileError
        The file is missing, is not a landmark file, is of another format version, or
        has a missing key or an array of the wrong shape or type (the message says which).
    """
    path = Path(path)
    if not path.is_file():
        raise LandmarkFileError(f"{path}: no such file")
    arrays = _read_npz(path)
    where = str(path)
    missing = [key for key in (METADATA_KEY, *ARRAY_KEYS) if key not in arrays]
    metadata = _parse_metadata(arrays.get(METADATA_KEY), where)
    if missing:
        raise LandmarkFileError(f"{where}: missing key(s) {', '.join(missing)}")
    track = LandmarkTrack(
        landmarks=_float_array(arrays["landmarks"], "landmarks", np.float32, where),
        valid=_bool_array(arrays["valid"], where),
        times=_float_array(arrays["times"], "times", np.float64, where),
        info=_info_from_metadata(metadata, where),
        model=_field(metadata, "model", str, where),
    )
    _check_track(track, where=where)
    return track


def extract_landmarks(
    source: VideoReader | CameraReader,
    estimator: Any,
    *,
    progress: bool = True,
    max_frames: int | None = None,
) -> LandmarkTrack:
    """Run ``estimator`` on every frame of ``source`` and collect a :class:`LandmarkTrack`.

    Parameters
    ----------
    source : VideoReader or CameraReader
        Where the frames come from; it is not closed here.
    estimator : PoseEstimator
        Called as ``estimator(bgr_image, time_s)``; returns float32 ``(33, 3)``
        pixel-scaled landmarks or ``None``. Its ``name`` is stored as the track's model.
    progress : bool
        Show a progress bar on stderr.
    max_frames : int, optional
        Stop after this many frames (needed for a camera, handy for a quick look).

    Returns
    -------
    LandmarkTrack
    """
    from tqdm import tqdm

    if max_frames is not None and max_frames < 0:
        raise ValueError(f"max_frames must be >= 0, got {max_frames}")
    info = source.info
    total = info.n_frames if max_frames is None else min(max_frames, info.n_frames or max_frames)
    poses: list[np.ndarray] = []
    times: list[float] = []
    no_pose = np.full((N_LANDMARKS, N_DIMS), np.nan, dtype=np.float32)
    frames = source if max_frames is None else itertools.islice(source, max_frames)
    with tqdm(
        total=total,
        unit="frame",
        file=sys.stderr,
        disable=not progress,
        desc=Path(info.source).name,
    ) as bar:
        for frame in frames:
            pose = estimator(frame.image, frame.time_s)
            poses.append(no_pose if pose is None else _checked_pose(pose, frame.index, no_pose))
            times.append(frame.time_s)
            bar.update()
    landmarks = np.array(poses, dtype=np.float32).reshape(len(poses), N_LANDMARKS, N_DIMS)
    return LandmarkTrack(
        landmarks=landmarks,
        valid=np.isfinite(landmarks).all(axis=(1, 2)),
        times=np.array(times, dtype=np.float64),
        info=info,
        model=str(getattr(estimator, "name", type(estimator).__name__)),
    )


class ReplayPoses:
    """A pose "model" that replays saved landmarks frame by frame.

    Called like an estimator, ``poses(image, time_s)``, once per frame in order, it
    returns the saved landmarks of that frame (None where no pose was saved). Used to
    render a video with landmarks extracted earlier, and by the demo.

    Parameters
    ----------
    landmarks : numpy.ndarray
        float ``(F, 33, 3)``; NaN rows (or ``valid`` False) are frames without a pose.
    valid : numpy.ndarray, optional
        bool ``(F,)``; by default the rows without NaN.
    name : str
        What to report as the pose model.
    """

    def __init__(
        self, landmarks: np.ndarray, valid: np.ndarray | None = None, name: str = "saved landmarks"
    ) -> None:
        self.landmarks = checked_landmark_rows(landmarks)
        self.valid = valid_rows(self.landmarks) if valid is None else np.asarray(valid, dtype=bool)
        if self.valid.shape != (len(self.landmarks),):
            raise ValueError(
                f"valid must have shape ({len(self.landmarks)},), got {self.valid.shape}"
            )
        self.name = name
        self._next = 0

    def __call__(self, image: np.ndarray, time_s: float) -> np.ndarray | None:
        i = self._next
        if i >= len(self.landmarks):
            raise VideoError(
                f"the video has more frames than the saved landmarks ({len(self.landmarks)})"
            )
        self._next += 1
        return self.landmarks[i] if self.valid[i] else None

    def close(self) -> None:
        """Nothing to release (symmetry with pose estimators)."""


def checked_landmark_rows(landmarks: np.ndarray) -> np.ndarray:
    """``landmarks`` as float32 ``(F, 33, 3)``; ValueError for any other shape."""
    arr = np.asarray(landmarks, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, N_DIMS):
        raise ValueError(f"landmarks must have shape (F, 33, 3), got {arr.shape}")
    return arr


def valid_rows(landmarks: np.ndarray) -> np.ndarray:
    """bool ``(F,)``: the frames whose 99 coordinates are all finite."""
    return np.isfinite(landmarks).reshape(len(landmarks), -1).all(axis=1)


# ---------------------------------------------------------------- helpers


def _checked_pose(pose: np.ndarray, frame_index: int, no_pose: np.ndarray) -> np.ndarray:
    pose = np.asarray(pose, dtype=np.float32)
    if pose.shape != (N_LANDMARKS, N_DIMS):
        raise InvalidPoseError(
            f"frame {frame_index}: the estimator returned shape {pose.shape}, expected (33, 3)"
        )
    # A pose with a NaN/inf coordinate cannot be classified: store it as no pose.
    return pose if np.isfinite(pose).all() else no_pose


def _metadata(track: LandmarkTrack) -> dict[str, Any]:
    info = track.info
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "source": info.source,
        "fps": float(info.fps),
        "width": int(info.width),
        "height": int(info.height),
        "n_frames": None if info.n_frames is None else int(info.n_frames),
        "model": track.model,
        "coordinates": "pixels: x * width, y * height, z * width",
        "landmark_names": list(LANDMARK_NAMES),
    }


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, "rb") as file:  # our own handle: np.load leaks it on a bad zip
            loaded = np.load(file, allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                with loaded:
                    return {key: loaded[key] for key in loaded.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise LandmarkFileError(
            f"{path}: not a landmark file (not a readable .npz archive: {exc})"
        ) from None
    raise LandmarkFileError(f"{path}: not a landmark file (a bare .npy array, not an .npz archive)")


def _parse_metadata(raw: np.ndarray | None, where: str) -> Mapping[str, Any]:
    if raw is None:
        raise LandmarkFileError(f"{where}: not a landmark file (no {METADATA_KEY!r} entry)")
    if raw.shape != () or raw.dtype.kind != "U":
        raise LandmarkFileError(f"{where}: {METADATA_KEY!r} must be a single JSON string")
    try:
        metadata = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise LandmarkFileError(f"{where}: {METADATA_KEY!r} is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise LandmarkFileError(f"{where}: not a landmark file (format is not {FORMAT_NAME!r})")
    version = metadata.get("version")
    if version != FORMAT_VERSION:
        raise LandmarkFileError(
            f"{where}: format version {version!r} is not supported "
            f"(this pyengine reads version {FORMAT_VERSION})"
        )
    return metadata


def _field(metadata: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in metadata:
        raise LandmarkFileError(f"{where}: metadata has no {key!r} field")
    value = metadata[key]
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise LandmarkFileError(f"{where}: metadata {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _info_from_metadata(metadata: Mapping[str, Any], where: str) -> VideoInfo:
    fps = float(_field(metadata, "fps", float, where))
    width = _field(metadata, "width", int, where)
    height = _field(metadata, "height", int, where)
    if not (np.isfinite(fps) and fps > 0) or width < 1 or height < 1:
        raise LandmarkFileError(
            f"{where}: metadata fps, width and height must be > 0, got {fps}, {width}, {height}"
        )
    n_frames = metadata.get("n_frames")
    if n_frames is not None:
        n_frames = _field(metadata, "n_frames", int, where)
    return VideoInfo(_field(metadata, "source", str, where), fps, width, height, n_frames)


def _float_array(array: np.ndarray, key: str, dtype: type, where: str) -> np.ndarray:
    if array.dtype.kind != "f":
        raise LandmarkFileError(f"{where}: {key!r} must hold floats, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=dtype)


def _bool_array(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype != np.bool_:
        raise LandmarkFileError(f"{where}: 'valid' must be bool, got dtype {array.dtype}")
    return array


def _check_track(track: LandmarkTrack, *, where: str) -> None:
    landmarks, valid, times = (np.asarray(a) for a in (track.landmarks, track.valid, track.times))
    if landmarks.ndim != 3 or landmarks.shape[1:] != (N_LANDMARKS, N_DIMS):
        raise LandmarkFileError(
            f"{where}: 'landmarks' must have shape (F, 33, 3), got {landmarks.shape}"
        )
    n = landmarks.shape[0]
    for key, array in (("valid", valid), ("times", times)):
        if array.shape != (n,):
            raise LandmarkFileError(f"{where}: {key!r} must have shape ({n},), got {array.shape}")
    finite_rows = np.isfinite(landmarks).all(axis=(1, 2))
    nan_rows = np.isnan(landmarks).all(axis=(1, 2))
    bad = np.flatnonzero(np.where(valid.astype(bool), ~finite_rows, ~nan_rows))
    if bad.size:
        i = int(bad[0])
        expected = "finite (valid)" if valid[i] else "all NaN (no pose)"
        raise LandmarkFileError(f"{where}: frame {i} landmarks must be {expected}")
    if not np.isfinite(times).all() or np.any(np.diff(times) < 0):
        raise LandmarkFileError(f"{where}: 'times' must be finite and non-decreasing")
