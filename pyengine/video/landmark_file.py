"""Landmark files: a video's pose landmarks, computed once and re-used.

Running the pose model is by far the slowest step of the pipeline, so ``pyengine
landmarks`` writes its output to a file that counting, tuning and plotting can read
many times. The format (a NumPy ``.npz`` archive) is described exactly in
``docs/landmark_format.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
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
from .readers import ROTATIONS, CameraReader, VideoInfo, VideoReader

FORMAT_NAME = "pyengine-landmarks"
#: Version 2 records the source's identity (content hash, size in bytes) and the
#: rotation that made its frames upright; version 1 files are still read.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
ARRAY_KEYS = ("landmarks", "valid", "times")
METADATA_KEY = "metadata"
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceIdentity:
    """What identifies a video file's content, beyond its name.

    Attributes
    ----------
    sha256 : str
        SHA-256 of the whole file, lowercase hex.
    n_bytes : int
        File size in bytes.
    """

    sha256: str
    n_bytes: int

    def short(self) -> str:
        """``sha256 1a2b3c4d5e6f`` (the first 12 hex digits), for messages."""
        return f"sha256 {self.sha256[:12]}"


def source_identity(path: str | os.PathLike) -> SourceIdentity:
    """Hash a video file (about 1 s per GB): the identity a landmark file records."""
    digest = hashlib.sha256()
    n_bytes = 0
    with open(path, "rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
            n_bytes += len(chunk)
    return SourceIdentity(digest.hexdigest(), n_bytes)


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
    identity : SourceIdentity or None
        The source file's content hash and size; None for a camera, a synthetic
        source, or a version-1 file (which did not record it).
    format_version : int
        The landmark-file version it was read from (:data:`FORMAT_VERSION` for a track
        made in this process).
    """

    landmarks: np.ndarray
    valid: np.ndarray
    times: np.ndarray
    info: VideoInfo
    model: str
    identity: SourceIdentity | None = None
    format_version: int = FORMAT_VERSION

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

    Notes
    -----
    Version 1 files load with ``identity`` None: which video they belong to cannot be
    checked (:func:`check_source` says so in a warning).
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
        identity=_identity_from_metadata(metadata, where),
        format_version=int(metadata["version"]),
    )
    _check_track(track, where=where)
    return track


def check_source(
    track: LandmarkTrack,
    info: VideoInfo,
    identity: SourceIdentity | None,
    *,
    where: str,
    force: bool = False,
) -> list[str]:
    """Check that ``track`` holds the landmarks of the video described by ``info``.

    Parameters
    ----------
    track : LandmarkTrack
        Loaded from a landmark file.
    info : VideoInfo
        The video's reader info (upright size, rotation, frame count, fps).
    identity : SourceIdentity or None
        The video's :func:`source_identity` (None skips the content check).
    where : str
        The landmark file's name, for messages.
    force : bool
        Accept a track of another video (the frame size must still match: the
        landmarks are drawn onto its frames).

    Returns
    -------
    list of str
        Warnings: a version-1 file cannot be checked beyond its frame size; a forced
        mismatch is reported.

    Raises
    ------
    LandmarkFileError
        The track is of another video; the message names both, and how they differ.
    """
    size = (track.info.width, track.info.height)
    if size != (info.width, info.height):
        raise LandmarkFileError(
            f"{where} holds landmarks of a {size[0]}x{size[1]} video, but {info.source} is "
            f"{info.width}x{info.height} (upright, after a {info.rotation} degree rotation)"
        )
    if track.identity is None:
        return [
            f"{where} is a version-{track.format_version} landmark file, which does not "
            f"record its video's identity: that it belongs to {info.source} cannot be "
            "checked (only the frame size matched); re-create it with 'pyengine landmarks'"
        ]
    differences = _differences(track, info, identity)
    if not differences:
        return []
    theirs, ours = _describe(track.info, track.identity), _describe(info, identity)
    message = (
        f"{where} holds the landmarks of {track.info.source} ({theirs}), not of "
        f"{info.source} ({ours}): {', '.join(differences)} differ"
    )
    if force:
        return [f"{message}; used anyway (--force)"]
    raise LandmarkFileError(f"{message}; pass --force to use them anyway")


def _differences(
    track: LandmarkTrack, info: VideoInfo, identity: SourceIdentity | None
) -> list[str]:
    found = []
    if identity is not None and track.identity is not None and identity != track.identity:
        found.append("the file contents")
    if track.info.n_frames != info.n_frames:
        found.append("the frame counts")
    if not math.isclose(track.info.fps, info.fps, rel_tol=1e-6):
        found.append("the frame rates")
    if (track.info.rotation, track.info.mirrored) != (info.rotation, info.mirrored):
        found.append("the rotations")
    return found


def _describe(info: VideoInfo, identity: SourceIdentity | None) -> str:
    parts = [] if identity is None else [identity.short()]
    frames = "unknown frame count" if info.n_frames is None else f"{info.n_frames} frames"
    parts += [frames, f"{info.width}x{info.height}", f"{info.fps:g} fps"]
    if info.rotation or info.mirrored:
        parts.append(f"rotated {info.rotation}" + (" mirrored" if info.mirrored else ""))
    return ", ".join(parts)


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
        With the source file's :class:`SourceIdentity` (None for a camera).

    Raises
    ------
    ExtractionInterrupted
        Ctrl-C or SIGTERM; its ``track`` holds the frames extracted so far.
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
        identity = source_identity(source.path) if isinstance(source, VideoReader) else None
        interruption: KeyboardInterrupt | None = None
        try:
            for frame in frames:
                pose = estimator(frame.image, frame.time_s)
                pose = no_pose if pose is None else _checked_pose(pose, frame.index, no_pose)
                poses.append(pose)
                times.append(frame.time_s)
                bar.update()
        except KeyboardInterrupt as exc:
            interruption = exc
    landmarks = np.array(poses, dtype=np.float32).reshape(len(poses), N_LANDMARKS, N_DIMS)
    track = LandmarkTrack(
        landmarks=landmarks,
        valid=np.isfinite(landmarks).all(axis=(1, 2)),
        times=np.array(times, dtype=np.float64),
        info=info,
        model=str(getattr(estimator, "name", type(estimator).__name__)),
        identity=identity,
    )
    if interruption is not None:
        raise ExtractionInterrupted(track, interruption) from interruption
    return track


class ExtractionInterrupted(KeyboardInterrupt):
    """:func:`extract_landmarks` stopped by Ctrl-C or SIGTERM; ``track`` holds the frames
    done so far and ``cause`` the interruption."""

    def __init__(self, track: LandmarkTrack, cause: KeyboardInterrupt) -> None:
        super().__init__(f"interrupted after {len(track)} frames")
        self.track = track
        self.cause = cause


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
    identity = track.identity
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "source": info.source,
        "source_sha256": None if identity is None else identity.sha256,
        "source_bytes": None if identity is None else int(identity.n_bytes),
        "fps": float(info.fps),
        "width": int(info.width),
        "height": int(info.height),
        "n_frames": None if info.n_frames is None else int(info.n_frames),
        "rotation": int(info.rotation),
        "mirrored": bool(info.mirrored),
        "model": track.model,
        "coordinates": "pixels of the upright frame: x * width, y * height, z * width",
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
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise LandmarkFileError(
            f"{where}: format version {version!r} is not supported "
            f"(this pyengine reads versions {readable})"
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
    rotation, mirrored = 0, False  # version 1 files: frames as decoded
    if metadata["version"] >= 2:
        rotation = _field(metadata, "rotation", int, where)
        if rotation not in ROTATIONS:
            raise LandmarkFileError(f"{where}: metadata 'rotation' must be 0, 90, 180 or 270")
        flag = metadata.get("mirrored")
        if not isinstance(flag, bool):
            raise LandmarkFileError(f"{where}: metadata 'mirrored' must be true or false")
        mirrored = flag
    source = _field(metadata, "source", str, where)
    return VideoInfo(source, fps, width, height, n_frames, rotation, mirrored)


def _identity_from_metadata(metadata: Mapping[str, Any], where: str) -> SourceIdentity | None:
    if metadata["version"] < 2:
        return None
    for key in ("source_sha256", "source_bytes"):
        if key not in metadata:
            raise LandmarkFileError(f"{where}: metadata has no {key!r} field")
    digest, n_bytes = metadata["source_sha256"], metadata["source_bytes"]
    if digest is None and n_bytes is None:  # a camera or synthetic source
        return None
    hex_digits = isinstance(digest, str) and len(digest) == 64
    if not hex_digits or any(c not in "0123456789abcdef" for c in digest):
        raise LandmarkFileError(f"{where}: metadata 'source_sha256' must be 64 hex digits")
    return SourceIdentity(digest, _field(metadata, "source_bytes", int, where))


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
