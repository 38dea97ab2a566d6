"""Classification speed on the 812 ML Kit samples, per back end, and the ratios.

Rows: one frame at a time (the live path, through ``PoseClassifier.classify_frame``),
a batch of all 812 samples as queries, the outlier search, and one test that times
every back end in the same run and reports its speed-up over the reference.
"""

from __future__ import annotations

import time

import pytest

from pyengine import backends

BACKENDS = sorted(backends.available(), key=lambda name: name != "reference")
FAST = [name for name in BACKENDS if name != "reference"]


def _frame_cycle(clf, queries):
    frames = iter(())

    def one_frame():
        nonlocal frames
        pose = next(frames, None)
        if pose is None:
            frames = iter(queries)
            pose = next(frames)
        return clf.classify_frame(pose)

    return one_frame


@pytest.mark.parametrize("name", BACKENDS)
def test_per_frame(benchmark, classifiers, queries, name):
    benchmark.group = "per frame (812 samples)"
    result = benchmark(_frame_cycle(classifiers[name], queries))
    assert sum(result.values()) == 10


@pytest.mark.parametrize("name", BACKENDS)
def test_batch_of_all_samples(benchmark, classifiers, samples, name):
    benchmark.group = "batch: 812 queries x 812 samples"
    clf = classifiers[name]
    if name == "reference":  # ~10 s a round
        result = benchmark.pedantic(clf.classify_batch, args=(samples.landmarks,), rounds=1)
    else:
        result = benchmark(clf.classify_batch, samples.landmarks)
    assert result.valid.all()


@pytest.mark.parametrize("name", FAST)
def test_outlier_search(benchmark, classifiers, name):
    benchmark.group = "outlier search (812 vs 812)"
    outliers = benchmark(classifiers[name].find_outliers)
    benchmark.extra_info["outliers"] = len(outliers)


def _seconds_per_frame(clf, queries, n_frames, repeats):
    """Best of ``repeats`` blocks of ``n_frames`` calls (the least disturbed block)."""
    one_frame = _frame_cycle(clf, queries)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n_frames):
            one_frame()
        best = min(best, (time.perf_counter() - start) / n_frames)
    return best


def test_speedup_over_reference(benchmark, classifiers, samples, queries):
    """Every back end timed in this one run; ratios against the reference."""
    benchmark.group = "speed-up"

    def measure():
        per_frame = {
            name: _seconds_per_frame(
                classifiers[name], queries, *((20, 3) if name == "reference" else (2000, 5))
            )
            for name in BACKENDS
        }
        batch, outliers = {}, {}
        for name in FAST:
            clf = classifiers[name]
            batch[name] = min(_timed(clf.classify_batch, samples.landmarks) for _ in range(5))
            outliers[name] = min(_timed(clf.find_outliers) for _ in range(5))
        return per_frame, batch, outliers

    per_frame, batch, outliers = benchmark.pedantic(measure, rounds=1, iterations=1)
    reference = per_frame["reference"]
    lines = [f"per-frame classification, 812 samples (reference {reference * 1e3:.2f} ms):"]
    for name in BACKENDS:
        ratio = reference / per_frame[name]
        benchmark.extra_info[f"{name}_us_per_frame"] = round(per_frame[name] * 1e6, 2)
        benchmark.extra_info[f"{name}_speedup"] = round(ratio, 1)
        lines.append(f"  {name:9s} {per_frame[name] * 1e6:10.1f} us/frame  x{ratio:8.1f}")
    for name in FAST:
        benchmark.extra_info[f"{name}_batch_812_ms"] = round(batch[name] * 1e3, 2)
        benchmark.extra_info[f"{name}_outliers_812_ms"] = round(outliers[name] * 1e3, 2)
        lines.append(
            f"  {name:9s} batch 812x812 {batch[name] * 1e3:8.2f} ms,"
            f" outlier search {outliers[name] * 1e3:8.2f} ms"
        )
    print("\n" + "\n".join(lines))


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start
