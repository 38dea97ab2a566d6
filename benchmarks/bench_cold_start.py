"""Numba cold start: the first classification in a fresh interpreter.

Each round starts a new Python process with ``NUMBA_CACHE_DIR`` pointing at a temporary
folder: empty (everything is compiled) or filled by an earlier process (everything is
loaded from the on-disk cache). The row's time is the child's wall time from the first
import to the first results; ``extra_info`` splits it into import, classifier set-up
(embedding kernel), first frame (serial kernel) and first batch (parallel kernel).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyengine import backends

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, time
    t0 = time.perf_counter()
    from pyengine import PoseClassifier, default_samples
    t1 = time.perf_counter()
    samples = default_samples()
    clf = PoseClassifier(samples, backend="numba")
    t2 = time.perf_counter()
    clf.classify_frame(samples.landmarks[0])
    t3 = time.perf_counter()
    clf.classify_batch(samples.landmarks)
    t4 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "setup_s": t2 - t1, "first_frame_s": t3 - t2,
                      "first_batch_s": t4 - t3, "total_s": t4 - t0}))
    """
)

pytestmark = pytest.mark.skipif(
    "numba" not in backends.available(), reason="the numba back end is not available"
)


def _child(cache_dir: Path) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYENGINE_NUMBA_CACHE="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _record(benchmark, timings: dict[str, float]) -> None:
    for key, value in timings.items():
        benchmark.extra_info[key] = round(value, 4)
    print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in timings.items()))


def test_cold_start_empty_cache(benchmark, tmp_path_factory):
    benchmark.group = "numba cold start"
    timings = benchmark.pedantic(
        lambda: _child(tmp_path_factory.mktemp("numba_cache")), rounds=1, iterations=1
    )
    _record(benchmark, timings)
    assert timings["total_s"] > 0


def test_cold_start_warm_cache(benchmark, tmp_path):
    benchmark.group = "numba cold start"
    _child(tmp_path)  # fills the cache, untimed
    assert any(tmp_path.rglob("*.nbi")), "the first process wrote no Numba cache index"
    timings = benchmark.pedantic(_child, args=(tmp_path,), rounds=1, iterations=1)
    _record(benchmark, timings)
