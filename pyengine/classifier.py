"""``PoseClassifier``: the public front of the two-stage k-NN, whatever the back end."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import backends
from .errors import BackendError, InvalidPoseError, SampleFileError
from .landmarks import LANDMARK_NAMES, N_DIMS, N_LANDMARKS
from .samples import SampleSet, load_samples
from .settings import DEFAULT_SETTINGS, Settings, validate_settings


@dataclass(frozen=True)
class BatchResult:
    """Classification of many frames at once.

    Attributes
    ----------
    counts : numpy.ndarray
        int32 ``(F, C)``: neighbour counts per frame and class (zero rows for no pose).
    class_names : tuple of str
        The ``C`` column names.
    valid : numpy.ndarray
        bool ``(F,)``: False where the frame's pose could not be embedded.
    """

    counts: np.ndarray
    class_names: tuple[str, ...]
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)

    def as_dicts(self) -> list[dict[str, int]]:
        """One ``{class_name: count}`` dict per frame, as ``PoseClassifier.__call__`` gives."""
        return [_as_dict(row, self.class_names) for row in self.counts]


@dataclass(frozen=True)
class Outlier:
    """A training sample whose own class does not win its classification (SPEC 4)."""

    index: int
    name: str
    class_name: str
    detected_classes: tuple[str, ...]
    counts: dict[str, int]
    source: str


class PoseClassifier:
    """Classify BlazePose landmarks with the two-stage max/mean k-NN of SPEC 4.

    Parameters
    ----------
    samples : SampleSet or str or os.PathLike
        Labelled poses, or a path that :func:`pyengine.load_samples` reads.
    settings : Settings, optional
        Classifier, smoothing and counting settings (default: the published ones). The
        classifier uses and checks the first four; a counting stage built on it uses and
        checks the rest.
    backend : {"auto", "native", "numba", "reference"}
        Implementation to run. ``"auto"`` takes the fastest one available, unless the
        environment variable ``PYENGINE_BACKEND`` names one.
    top_n_by_max_distance, top_n_by_mean_distance, axes_weights, torso_size_multiplier
        Override single settings (see :class:`~pyengine.settings.Settings`).

    Raises
    ------
    SampleFileError
        A sample cannot be embedded (its pose size is zero); the message names its row.
    SettingsError
        The settings cannot work; the message names the setting.
    BackendError
        The requested back end is not available here.
    """

    def __init__(
        self,
        samples: SampleSet | str | os.PathLike[str],
        settings: Settings = DEFAULT_SETTINGS,
        *,
        backend: str = "auto",
        top_n_by_max_distance: int | None = None,
        top_n_by_mean_distance: int | None = None,
        axes_weights: Sequence[float] | None = None,
        torso_size_multiplier: float | None = None,
    ) -> None:
        if not isinstance(samples, SampleSet):
            samples = load_samples(samples)
        if len(samples) == 0:
            raise SampleFileError("the sample set is empty")
        changed = settings.replace(
            top_n_by_max_distance=top_n_by_max_distance,
            top_n_by_mean_distance=top_n_by_mean_distance,
            axes_weights=axes_weights,
            torso_size_multiplier=torso_size_multiplier,
        )
        #: The settings, with the classifier's own checked (counting checks the rest).
        self.settings = validate_settings(changed, counting=False)
        try:
            self._backend = backends.resolve(backend)
        except (ImportError, ValueError) as exc:
            raise BackendError(str(exc)) from exc
        self.samples = samples
        self._check_samples_embed()
        self._engine = self._backend.Engine(
            samples.landmarks, samples.class_ids, len(samples.class_names), self.settings
        )

    @property
    def backend(self) -> str:
        """Name of the back end in use."""
        return self._backend.NAME

    @property
    def class_names(self) -> tuple[str, ...]:
        """The sample set's classes, in the column order of :meth:`classify_batch`."""
        return self.samples.class_names

    def __repr__(self) -> str:
        return (
            f"PoseClassifier({len(self.samples)} samples, classes={list(self.class_names)}, "
            f"backend={self.backend!r})"
        )

    def __call__(self, landmarks: np.ndarray) -> dict[str, int]:
        """Classify one ``(33, 3)`` pose into ``{class_name: neighbour count}``.

        Raises
        ------
        InvalidPoseError
            The landmarks have the wrong shape, hold NaN/inf, or span no area.
        """
        pose = _pose_array(landmarks)
        counts, valid = self._engine.counts(pose[None])
        if not valid[0]:
            raise _invalid_pose_error(pose)
        return _as_dict(counts[0], self.class_names)

    def classify_frame(self, landmarks: np.ndarray | None) -> dict[str, int]:
        """Like calling the classifier, but ``{}`` ("no pose") for ``None`` or a bad pose.

        This is what a live loop wants: MediaPipe found no person, or found one that
        cannot be embedded, and the frame simply has no classification.
        """
        if landmarks is None:
            return {}
        counts, valid = self._engine.counts(_pose_array(landmarks)[None])
        return _as_dict(counts[0], self.class_names) if valid[0] else {}

    def classify_batch(self, frames: np.ndarray) -> BatchResult:
        """Classify ``(F, 33, 3)`` frames in one call.

        NaN/inf or degenerate frames are not an error here: their ``valid`` flag is False
        and their counts are 0, as a video with gaps needs.
        """
        frames = _frames(frames)
        counts, valid = self._engine.counts(frames)
        return BatchResult(counts, self.class_names, valid)

    def neighbours(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the kept samples, ordered by ``(mean distance, index)``.

        Returns
        -------
        indices : numpy.ndarray
            int64 ``(F, k)`` with ``k = min(top_n_by_mean_distance,
            top_n_by_max_distance, len(samples))``; ``-1`` rows for no pose.
        valid : numpy.ndarray
            bool ``(F,)``.
        """
        return self._engine.neighbours(_frames(frames))

    def find_outliers(self) -> list[Outlier]:
        """Samples whose own class is not the single most voted one (SPEC 4).

        Every sample is classified against the whole set, itself included, in one
        batch call.
        """
        counts = self.classify_batch(self.samples.landmarks).counts
        is_top = counts == counts.max(axis=1, keepdims=True)
        own_class_wins = is_top[np.arange(len(counts)), self.samples.class_ids]
        flagged = np.flatnonzero(~own_class_wins | (is_top.sum(axis=1) != 1))
        return [self._outlier(int(i), counts[i], is_top[i]) for i in flagged]

    def _outlier(self, i: int, counts: np.ndarray, is_top: np.ndarray) -> Outlier:
        return Outlier(
            index=i,
            name=self.samples.names[i],
            class_name=self.samples.labels[i],
            detected_classes=tuple(c for c, top in zip(self.class_names, is_top) if top),
            counts=_as_dict(counts, self.class_names),
            source=self.samples.sources[i],
        )

    def _check_samples_embed(self) -> None:
        _, valid = self._backend.embed(self.samples.landmarks, self.settings.torso_size_multiplier)
        if not valid.all():
            i = int(np.argmin(valid))
            raise SampleFileError(
                f"{self.samples.sources[i]}: sample {self.samples.names[i]!r} cannot be embedded "
                "(its pose size is 0: hips, shoulders and landmarks on one point)"
            )


def _as_dict(row: np.ndarray, class_names: Sequence[str]) -> dict[str, int]:
    return {c: k for c, k in zip(class_names, row.tolist()) if k > 0}


def _pose_array(landmarks: np.ndarray) -> np.ndarray:
    arr = np.asarray(landmarks, dtype=np.float32)
    if arr.shape != (N_LANDMARKS, N_DIMS):
        raise InvalidPoseError(f"landmarks must have shape (33, 3), got {arr.shape}")
    return arr


def _invalid_pose_error(pose: np.ndarray) -> InvalidPoseError:
    """Say why a pose the engine could not embed is invalid."""
    bad = ~np.isfinite(pose)
    if bad.any():
        landmark, axis = (int(v) for v in np.argwhere(bad)[0])
        return InvalidPoseError(
            f"landmark {landmark} ({LANDMARK_NAMES[landmark]}) "
            f"{'xyz'[axis]} is {pose[landmark, axis]}"
        )
    return InvalidPoseError(
        "pose cannot be embedded: its hips, shoulders and landmarks span no area "
        "(pose size 0) or its embedding overflows"
    )


def _frames(frames: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(frames, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, N_DIMS):
        raise InvalidPoseError(f"frames must have shape (F, 33, 3), got {arr.shape}")
    return arr
