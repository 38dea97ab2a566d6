"""Types of ``pyengine._native``, the compiled core (``cpp/python/module.cpp``).

Private: use :mod:`pyengine.backends.native_backend`. Arrays given as ``ArrayLike`` are
read in place when they are C-contiguous with the stated dtype, and converted once
otherwise. Every error of the core is a ``ValueError``.
"""

from collections.abc import Sequence
from typing import SupportsFloat, SupportsIndex, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

__version__: str

class SampleFileError(ValueError):
    """A sample CSV or folder is missing, unreadable or malformed (file, line, field named)."""

class InvalidSampleError(ValueError):
    """A training sample cannot be embedded (NaN/inf landmark or pose size 0)."""

class _Settings(TypedDict):
    top_n_by_max_distance: int
    top_n_by_mean_distance: int
    axes_weights: list[float]
    torso_size_multiplier: float
    window_size: int
    alpha: float
    enter_threshold: float
    exit_threshold: float

class _Samples(TypedDict):
    landmarks: NDArray[np.float32]  # (S, 33, 3)
    names: list[str]
    labels: list[str]
    sources: list[str]  # "file:line"
    class_names: list[str]  # in order of first appearance
    class_ids: NDArray[np.int32]  # (S,), indices into class_names

def default_settings() -> _Settings:
    """Every setting's default (classifier, smoothing, counting)."""

def validate_settings(
    *,
    top_n_by_max_distance: SupportsIndex = ...,
    top_n_by_mean_distance: SupportsIndex = ...,
    axes_weights: Sequence[SupportsFloat] = ...,
    torso_size_multiplier: SupportsFloat = ...,
    window_size: SupportsIndex = ...,
    alpha: SupportsFloat = ...,
    enter_threshold: SupportsFloat = ...,
    exit_threshold: SupportsFloat = ...,
) -> None:
    """Check settings with the core's rules; ValueError naming the first bad setting."""

def embed(
    landmarks: ArrayLike, torso_size_multiplier: SupportsFloat = ...
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Embed float32 (N, 33, 3) or (33, 3) poses: float32 (N, 23, 3) and a bool (N,) mask."""

def load_samples(path: str) -> _Samples:
    """Read a single CSV or a folder of <class>.csv files with the C++ loader."""

class Engine:
    """Two-stage k-NN over one sample set; immutable, usable from many threads at once."""

    def __init__(
        self,
        sample_landmarks: ArrayLike,
        class_ids: ArrayLike,
        n_classes: SupportsIndex,
        top_n_by_max_distance: SupportsIndex = ...,
        top_n_by_mean_distance: SupportsIndex = ...,
        axes_weights: Sequence[SupportsFloat] = ...,
        torso_size_multiplier: SupportsFloat = ...,
    ) -> None: ...
    def neighbours(self, frames: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """int64 (F, k) kept sample indices ordered by (dmean, index), -1 rows for no pose."""
    def counts(self, frames: ArrayLike) -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
        """int32 (F, n_classes) neighbour counts (0 rows for no pose) and a bool (F,) mask."""
    @property
    def n_classes(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def k(self) -> int:
        """Neighbours kept per frame: min(top_n_by_mean_distance, top_n_by_max_distance, S)."""
