"""Benchmark suites: ``pytest benchmarks --benchmark-enable``.

Benchmark modules are named ``bench_*.py``; this conftest collects them (pytest's
default only collects ``test_*.py``). Timings are reported, never asserted.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyengine import PoseClassifier, backends, default_samples

#: Every back end that imports here, reference first (the yardstick of the ratios).
BACKENDS = sorted(backends.available(), key=lambda name: name != "reference")


def pytest_collect_file(file_path, parent):
    # A file named on the command line is already collected by pytest's python plugin.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        if not parent.session.isinitpath(file_path):
            return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def samples():
    """The bundled ML Kit set: 812 poses, 4 classes."""
    return default_samples()


@pytest.fixture(scope="session")
def queries(samples):
    """64 live-like frames: real poses with a few pixels of noise, fixed seed."""
    rng = np.random.default_rng(2024)
    picks = rng.choice(len(samples), 64, replace=False)
    noise = rng.normal(0, 4, (64, 33, 3)).astype(np.float32)
    return np.ascontiguousarray(samples.landmarks[picks] + noise)


@pytest.fixture(scope="session")
def classifiers(samples, queries):
    """One classifier per back end, warmed up (JIT compiled) on both code paths."""
    built = {}
    for name in BACKENDS:
        clf = PoseClassifier(samples, backend=name)
        clf.classify_frame(queries[0])
        if name != "reference":
            clf.classify_batch(samples.landmarks)
        built[name] = clf
    return built
