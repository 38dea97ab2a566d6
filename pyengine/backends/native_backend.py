"""The native back end: the header-only C++ core through the pybind11 module ``pyengine._native``.

Follows the back-end contract of :mod:`pyengine.backends` and ``docs/numerics.md`` bit for
bit (the C++ tests and ``tests/test_parity.py`` check it). The extension is built by
``pip install .`` (scikit-build-core); set ``PYENGINE_BUILD_NATIVE=0`` to install without
it, in which case importing this module raises ImportError and ``"auto"`` falls back to
the next back end.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..settings import DEFAULT_SETTINGS, Settings, validate_settings

try:
    import pyengine._native as _native
except ImportError as exc:  # not built (no compiler, or PYENGINE_BUILD_NATIVE=0)
    raise ImportError(
        "the compiled extension pyengine._native is not available "
        f"({exc}); reinstall pyengine with a C++17 compiler and CMake >= 3.18 "
        "(pip install .) to build it, or use the 'numba' or 'reference' back end"
    ) from exc

NAME = "native"

#: The extension's own error types (both subclasses of ValueError).
SampleFileError = _native.SampleFileError
InvalidSampleError = _native.InvalidSampleError


def embed(
    landmarks: np.ndarray, torso_size_multiplier: float = DEFAULT_SETTINGS.torso_size_multiplier
):
    """Embed float32 ``(N, 33, 3)`` poses: float32 ``(N, 23, 3)`` and a bool ``(N,)`` mask."""
    return _native.embed(landmarks, float(torso_size_multiplier))


class Engine(_native.Engine):
    """Two-stage k-NN over one sample set (see :mod:`pyengine.backends`).

    ``neighbours(frames)`` and ``counts(frames)`` are the C++ methods themselves: float32
    C-contiguous frames are read in place, and the GIL is released while classifying.
    """

    def __init__(self, sample_landmarks, class_ids, n_classes, settings: Settings) -> None:
        params = validate_settings(settings, counting=False)
        super().__init__(
            sample_landmarks,
            class_ids,
            int(n_classes),
            int(params.top_n_by_max_distance),
            int(params.top_n_by_mean_distance),
            [float(w) for w in params.axes_weights],
            float(params.torso_size_multiplier),
        )


def load_samples(path: str | os.PathLike[str]) -> Mapping[str, Any]:
    """Read a sample CSV (or folder) with the C++ loader; used to test it against Python's."""
    return _native.load_samples(str(path))
