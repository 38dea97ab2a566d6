"""Shared fixtures: where the real test clips live.

The clips are third-party footage kept outside the repository, in ``../shared/data``
beside the repo root (or wherever ``PYENGINE_SHARED_DATA`` points). Tests that need them
are skipped, with the reason, when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared test-data folder (``PYENGINE_SHARED_DATA`` or ``../shared/data``)."""
    folder = Path(os.environ.get("PYENGINE_SHARED_DATA", DEFAULT_SHARED_DATA))
    if not folder.is_dir():
        pytest.skip(f"shared test data not found at {folder} (set PYENGINE_SHARED_DATA)")
    return folder


@pytest.fixture(scope="session")
def videos_dir(shared_data: Path) -> Path:
    """The folder of real clips described in ``shared/data/MANIFEST.md``."""
    folder = shared_data / "videos"
    if not folder.is_dir():
        pytest.skip(f"no videos folder in the shared test data ({folder})")
    return folder
