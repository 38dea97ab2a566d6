"""The Numba back end: the reference arithmetic, compiled (contract: ``pyengine.backends``).

Bit-identical to :mod:`pyengine.backends.reference` (``docs/numerics.md``); the kernels
live in :mod:`pyengine.backends.numba_kernels`. Importing this module raises
``ImportError`` when Numba is missing or broken, so that ``"auto"`` falls back.
"""

from __future__ import annotations

import numpy as np

try:
    import numba

    from . import numba_kernels as _k
except ImportError:
    raise
except Exception as exc:  # a broken Numba/llvmlite install fails in many ways
    raise ImportError(f"numba does not work here: {type(exc).__name__}: {exc}") from exc

from ..landmarks import EMBEDDING_SIZE, N_DIMS, N_LANDMARKS
from ..settings import (
    DEFAULT_SETTINGS,
    Settings,
    check_torso_size_multiplier,
    validate_settings,
)

NAME = "numba"

#: Batches at least this large are spread over Numba's threads; smaller ones (a live
#: frame at a time) run on the calling thread, which avoids the thread-pool hand-off.
PARALLEL_MIN_FRAMES = 16


def _as_poses(landmarks: np.ndarray, what: str) -> np.ndarray:
    """``landmarks`` as a C-contiguous float32 ``(N, 33, 3)`` array, or ``ValueError``."""
    array = np.ascontiguousarray(landmarks, dtype=np.float32)
    if array.ndim != 3 or array.shape[1:] != (N_LANDMARKS, N_DIMS):
        raise ValueError(f"{what} must have shape (N, 33, 3), got {array.shape}")
    return array


def embed(
    landmarks: np.ndarray, torso_size_multiplier: float = DEFAULT_SETTINGS.torso_size_multiplier
):
    """Embed a batch of poses (SPEC 3).

    Parameters
    ----------
    landmarks : numpy.ndarray
        ``(N, 33, 3)`` pixel-scaled landmarks; converted to C-contiguous float32.
    torso_size_multiplier : float
        Minimal pose size in torso lengths.

    Returns
    -------
    embeddings : numpy.ndarray
        float32 ``(N, 23, 3)``; zero rows where the pose is invalid.
    valid : numpy.ndarray
        bool ``(N,)``: ``False`` for NaN/inf landmarks, zero pose size or a non-finite
        embedding.
    """
    multiplier = check_torso_size_multiplier(torso_size_multiplier)
    return _k.embed_batch(_as_poses(landmarks, "landmarks"), multiplier)


class Engine:
    """Two-stage k-NN (SPEC 4) over one sample set, compiled with Numba.

    Parameters
    ----------
    sample_landmarks : numpy.ndarray
        ``(S, 33, 3)`` landmarks of the training samples (each must embed).
    class_ids : numpy.ndarray
        ``(S,)`` class index of each sample, in ``[0, n_classes)``.
    n_classes : int
        Number of classes.
    settings : Settings
        Uses ``top_n_by_max_distance``, ``top_n_by_mean_distance``, ``axes_weights`` and
        ``torso_size_multiplier``.

    Raises
    ------
    ValueError
        Bad shapes, class ids out of range, or a sample that cannot be embedded (the
        message names its index).
    SettingsError
        Settings that cannot work.
    """

    def __init__(self, sample_landmarks, class_ids, n_classes, settings: Settings) -> None:
        settings = validate_settings(settings, counting=False)
        samples = _as_poses(sample_landmarks, "sample_landmarks")
        n_samples = len(samples)
        self._n_classes = int(n_classes)
        self._class_ids = np.ascontiguousarray(class_ids, dtype=np.int32)
        if self._class_ids.shape != (n_samples,):
            raise ValueError(
                f"class_ids must have shape ({n_samples},), got {self._class_ids.shape}"
            )
        if n_samples and not (
            0 <= self._class_ids.min() and self._class_ids.max() < self._n_classes
        ):
            raise ValueError(f"class_ids must lie in [0, {self._n_classes})")
        self._weights = np.array(settings.axes_weights, dtype=np.float64)
        self._multiplier = settings.torso_size_multiplier
        top_max, top_mean = settings.top_n_by_max_distance, settings.top_n_by_mean_distance
        embeddings, valid = _k.embed_batch(samples, self._multiplier)
        if not valid.all():
            raise ValueError(f"sample {int(np.argmin(valid))} cannot be embedded")
        self._n_max = min(top_max, n_samples)
        self._k = min(top_mean, self._n_max)
        self._flat = np.ascontiguousarray(embeddings.reshape(n_samples, EMBEDDING_SIZE * N_DIMS))
        self._planes = np.ascontiguousarray(embeddings.transpose(2, 1, 0))
        self._w69 = np.ascontiguousarray(np.tile(self._weights, EMBEDDING_SIZE))
        self._kernel_args = (
            self._planes, self._flat, self._w69, self._multiplier,
            self._n_max, self._k, self._class_ids, self._n_classes,
        )  # fmt: skip

    def _run(self, frames: np.ndarray):
        frames = _as_poses(frames, "frames")
        if len(frames) < PARALLEL_MIN_FRAMES:
            return _k.classify_serial(frames, *self._kernel_args)
        n_chunks = min(len(frames), 4 * numba.get_num_threads())
        return _k.classify_parallel(frames, *self._kernel_args, n_chunks)

    def neighbours(self, frames: np.ndarray):
        """Kept sample indices per frame.

        Parameters
        ----------
        frames : numpy.ndarray
            ``(F, 33, 3)`` pixel-scaled landmarks.

        Returns
        -------
        indices : numpy.ndarray
            int64 ``(F, k)``, ``k = min(top_n_by_mean_distance, top_n_by_max_distance, S)``,
            ordered by ``(mean distance, sample index)``; ``-1`` rows for invalid frames.
        valid : numpy.ndarray
            bool ``(F,)``.
        """
        indices, _, valid = self._run(frames)
        return indices, valid

    def counts(self, frames: np.ndarray):
        """Neighbour counts per class.

        Parameters
        ----------
        frames : numpy.ndarray
            ``(F, 33, 3)`` pixel-scaled landmarks.

        Returns
        -------
        counts : numpy.ndarray
            int32 ``(F, n_classes)``; zero rows for invalid frames.
        valid : numpy.ndarray
            bool ``(F,)``.
        """
        _, counts, valid = self._run(frames)
        return counts, valid
