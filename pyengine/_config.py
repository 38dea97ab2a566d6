"""Settings that several modules share: Numba flags and environment variable names."""

from __future__ import annotations

import os
from typing import Any

#: Environment variable that forces one back end ("reference", "numba", "native").
BACKEND_ENV = "PYENGINE_BACKEND"

#: Flags for every ``@njit`` kernel. ``fastmath`` stays off: it would allow reassociation
#: and fused multiply-add, and the kernels must reproduce the reference bit for bit.
NUMBA_FLAGS: dict[str, Any] = {
    "cache": os.environ.get("PYENGINE_NUMBA_CACHE", "1") != "0",
    "nogil": True,
    "fastmath": False,
    "error_model": "numpy",
}

#: Flags for kernels that loop over many frames and may run them on several cores.
NUMBA_PARALLEL_FLAGS: dict[str, Any] = {**NUMBA_FLAGS, "parallel": True}

#: Default H.264 constant rate factor of the annotated video (``--out-quality``).
DEFAULT_OUTPUT_QUALITY = 23
