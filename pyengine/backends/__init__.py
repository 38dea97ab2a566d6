"""Back ends: interchangeable implementations of the embedding and the two-stage k-NN.

Every back end is a module exposing

``NAME: str``
    ``"reference"``, ``"numba"`` or ``"native"``.

``embed(landmarks, torso_size_multiplier) -> (embeddings, valid)``
    ``landmarks`` float32 C-contiguous ``(N, 33, 3)``; returns float32 ``(N, 23, 3)``
    embeddings and a bool ``(N,)`` mask; rows of invalid poses (NaN/inf, zero pose
    size, non-finite embedding) are filled with 0 and flagged ``False``.

``Engine(sample_landmarks, class_ids, n_classes, settings)``
    Built once per sample set. ``sample_landmarks`` float32 ``(S, 33, 3)`` (already
    validated: every sample embeds), ``class_ids`` int32 ``(S,)`` in ``[0, n_classes)``,
    ``settings`` a :class:`pyengine.settings.Settings` (the engine reads the four
    classifier settings and validates them with :func:`~pyengine.settings.validate_settings`).
    Methods, for float32
    ``frames`` of shape ``(F, 33, 3)``:

    - ``neighbours(frames) -> (indices, valid)``: int64 ``(F, k)`` with
      ``k = min(top_n_by_mean_distance, top_n_by_max_distance, S)``, the kept sample
      indices ordered by ``(dmean, index)``; rows of invalid frames are ``-1``.
    - ``counts(frames) -> (counts, valid)``: int32 ``(F, n_classes)`` neighbour counts
      per class; rows of invalid frames are 0.

All back ends follow ``docs/numerics.md`` so that their neighbour sets are identical.

May import: :mod:`pyengine.landmarks`, :mod:`pyengine.settings`, :mod:`pyengine._config`,
:mod:`pyengine.errors` and the compiled ``pyengine._native``. Never the package's
``__init__`` or anything above the classifier.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from .._config import BACKEND_ENV

#: Fastest first: what ``"auto"`` tries, in order.
PREFERENCE = ("native", "numba", "reference")

_MODULES = {
    "reference": "pyengine.backends.reference",
    "numba": "pyengine.backends.numba_backend",
    "native": "pyengine.backends.native_backend",
}

_import_errors: dict[str, str] = {}


def load(name: str) -> ModuleType:
    """Import back end ``name``; raise ``ImportError`` saying why it is unavailable."""
    if name not in _MODULES:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(_MODULES)} or 'auto'")
    try:
        return importlib.import_module(_MODULES[name])
    except ImportError as exc:
        _import_errors[name] = str(exc)
        raise ImportError(f"backend {name!r} is not available: {exc}") from exc


def available() -> list[str]:
    """Names of the back ends that import on this machine, fastest first."""
    names = []
    for name in PREFERENCE:
        try:
            load(name)
        except ImportError:
            continue
        names.append(name)
    return names


def unavailable_reasons() -> dict[str, str]:
    """Why each back end that failed to import did so (after :func:`available`)."""
    return dict(_import_errors)


def resolve(requested: str = "auto") -> ModuleType:
    """Pick the back end module for ``requested``.

    ``PYENGINE_BACKEND`` overrides ``"auto"``; an explicit name is never overridden.
    ``"auto"`` takes the fastest back end that imports.
    """
    if requested == "auto":
        requested = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
    if requested != "auto":
        return load(requested)
    for name in PREFERENCE:
        try:
            return load(name)
        except ImportError:
            continue
    raise ImportError("no backend is available")  # unreachable: the reference always imports
