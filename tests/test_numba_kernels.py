"""The Numba kernels, one at a time, against the reference's own arithmetic.

Each kernel is compared bit for bit with the numpy expressions that
``pyengine/backends/reference.py`` evaluates (``docs/numerics.md``).
"""

from __future__ import annotations

import numpy as np
import pytest

from pyengine import default_samples
from pyengine.backends import reference
from pyengine.settings import Settings

nk = pytest.importorskip("pyengine.backends.numba_kernels", reason="numba is not installed")
numba_backend = pytest.importorskip("pyengine.backends.numba_backend")

MIRROR = np.float32([-1, 1, 1])
WEIGHTS = (1.0, 1.0, 0.2)


@pytest.fixture(scope="module")
def samples():
    return default_samples()


@pytest.fixture(scope="module")
def sample_embeddings(samples):
    embeddings, valid = reference.embed(samples.landmarks)
    assert valid.all()
    return embeddings


def bits(a: np.ndarray) -> np.ndarray:
    """The raw bit patterns, so that equality also separates -0.0 from 0.0 and NaNs."""
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def embed_one(pose, mirror=False, multiplier=2.5):
    out = np.empty((23, 3), np.float32)
    ok = nk.embed_into(
        np.ascontiguousarray(pose, np.float32),
        mirror,
        multiplier,
        np.empty((33, 3), np.float32),
        out,
    )
    return out, ok


def planes_of(embeddings):
    return np.ascontiguousarray(embeddings.transpose(2, 1, 0))


# ---------------------------------------------------------------- embedding


@pytest.mark.parametrize("multiplier", [2.5, 1e-30, 1.0, 7.25])
def test_embed_batch_is_bitwise_the_reference_on_real_and_noisy_poses(samples, multiplier):
    rng = np.random.default_rng(1)
    noisy = samples.landmarks[::4] + rng.normal(0, 30, (203, 33, 3)).astype(np.float32)
    poses = np.concatenate([samples.landmarks, noisy, samples.landmarks[::9] * MIRROR])
    want, want_valid = reference.embed(poses, multiplier)
    got, got_valid = nk.embed_batch(poses, multiplier)
    assert want_valid.all()
    np.testing.assert_array_equal(got_valid, want_valid)
    np.testing.assert_array_equal(bits(got), bits(want))


def test_the_mirror_flag_embeds_the_pose_times_minus_one_one_one(samples):
    for pose in samples.landmarks[::50]:
        got, ok = embed_one(pose, mirror=True)
        want, want_valid = reference.embed((pose * MIRROR)[None])
        assert ok and want_valid[0]
        np.testing.assert_array_equal(bits(got), bits(want[0]))


def test_mirroring_the_embedding_equals_embedding_the_mirrored_pose(samples):
    """The kernels derive the mirrored query's embedding by negating x; check it is exact.

    Values must be equal (a zero may differ in sign), and so must every distance.
    """
    rng = np.random.default_rng(6)
    poses = np.concatenate(
        [
            samples.landmarks,
            samples.landmarks[::3] + rng.normal(0, 25, (271, 33, 3)).astype(np.float32),
            rng.integers(-2, 3, (200, 33, 3)).astype(np.float32),
        ]
    )
    w69 = np.tile(np.array(WEIGHTS), 23)
    derived = np.empty((23, 3), np.float32)
    n_valid = 0
    for pose in poses:
        e, ok = embed_one(pose)
        mirrored, mirrored_ok = embed_one(pose, mirror=True)
        assert ok == mirrored_ok
        if not ok:
            continue
        n_valid += 1
        nk.mirror_embedding(e, derived)
        assert (derived == mirrored).all()
        for s in (samples.landmarks[0], pose * np.float32(0.5)):
            row, _ = embed_one(s)
            assert bits(np.abs(row - derived)).tolist() == bits(np.abs(row - mirrored)).tolist()
            assert nk.mean_distance(row.reshape(69), derived.reshape(69), w69) == nk.mean_distance(
                row.reshape(69), mirrored.reshape(69), w69
            )
    assert n_valid > 1000


def test_pose_size_is_the_torso_bound_when_it_wins_and_the_spread_otherwise(samples):
    # A tiny multiplier always takes the landmark spread, a huge one always the torso:
    # both branches of the size rule must match the reference.
    pose = samples.landmarks[10]
    for multiplier in (1e-30, 1e6):
        got, ok = embed_one(pose, multiplier=multiplier)
        want, _ = reference.embed(pose[None], multiplier)
        assert ok
        np.testing.assert_array_equal(bits(got), bits(want[0]))
    spread, _ = embed_one(pose, multiplier=1e-30)
    torso, _ = embed_one(pose, multiplier=1e6)
    assert not np.array_equal(spread, torso)


def test_invalid_poses_are_flagged_and_zeroed(samples):
    good = samples.landmarks[0]
    flat = np.full((33, 3), 12.5, np.float32)
    nan = good.copy()
    nan[15, 1] = np.nan
    inf = good.copy()
    inf[0, 2] = -np.inf
    overflow = good * np.float32(1e-3)
    overflow[15, 2] = 3e38  # finite input, but wrist z / size * 100 overflows to inf
    poses = np.stack([good, flat, nan, inf, overflow, good])
    emb, valid = nk.embed_batch(poses, 2.5)
    want_emb, want_valid = reference.embed(poses, 2.5)
    np.testing.assert_array_equal(valid, [True, False, False, False, False, True])
    np.testing.assert_array_equal(valid, want_valid)
    assert not emb[~valid].any()
    np.testing.assert_array_equal(bits(emb), bits(want_emb))


def test_a_pose_with_zero_torso_but_some_spread_is_valid():
    pose = np.zeros((33, 3), np.float32)
    pose[:, 0] = np.arange(33, dtype=np.float32)
    pose[[11, 12, 23, 24]] = 0.0  # shoulders on the hips: torso size 0
    got, ok = embed_one(pose)
    want, want_valid = reference.embed(pose[None])
    assert ok and want_valid[0]
    np.testing.assert_array_equal(bits(got), bits(want[0]))


# ---------------------------------------------------------------- distances


def reference_dmax(sample_embeddings, e, f, weights):
    """Stage 1 exactly as reference.Engine._classify_one writes it."""
    return np.array([
        min(np.max(np.abs(s - e) * weights), np.max(np.abs(s - f) * weights))
        for s in sample_embeddings
    ])  # fmt: skip


def reference_dmean(s, e, f, weights):
    return min(np.mean(np.abs(s - e) * weights), np.mean(np.abs(s - f) * weights))


@pytest.mark.parametrize("weights", [WEIGHTS, (0.0, 3.0, 0.7), (1e-3, 0.0, 0.0), (2.0, 2.0, 2.0)])
def test_max_distances_are_bitwise_the_reference(samples, sample_embeddings, weights):
    rng = np.random.default_rng(2)
    w = np.array(weights)
    acc = np.empty((8, len(samples)), np.float32)
    for i in rng.choice(len(samples), 6, replace=False):
        query = samples.landmarks[i] + rng.normal(0, 10, (33, 3)).astype(np.float32)
        e, _ = embed_one(query)
        f, _ = embed_one(query, mirror=True)
        got = nk.max_distances(e, f, planes_of(sample_embeddings), w, acc, np.empty(len(samples)))
        np.testing.assert_array_equal(
            bits(got), bits(reference_dmax(sample_embeddings, e, f, weights))
        )


def test_mean_distance_follows_numpys_summation_order():
    rng = np.random.default_rng(3)
    w69 = np.tile(np.array(WEIGHTS), 23)
    naive_differs = 0
    for _ in range(300):
        # Magnitudes over many decades make the summation order visible in the last bits.
        row = (rng.standard_normal(69) * 10.0 ** rng.integers(-4, 5, 69)).astype(np.float32)
        q = (rng.standard_normal(69) * 10.0 ** rng.integers(-4, 5, 69)).astype(np.float32)
        want = np.mean(np.abs(row.reshape(23, 3) - q.reshape(23, 3)) * WEIGHTS)
        got = nk.mean_distance(row, q, w69)
        assert bits(np.float64([got])) == bits(np.float64([want]))
        terms = np.abs(row - q).astype(np.float64) * w69
        naive = 0.0
        for t in terms:
            naive += t
        naive_differs += naive / 69.0 != want
    assert naive_differs > 0, "the data never tells summation orders apart; the test is blind"


def test_mean_distances_of_real_neighbours_are_bitwise_the_reference(samples, sample_embeddings):
    w69 = np.tile(np.array(WEIGHTS), 23)
    flat = sample_embeddings.reshape(len(samples), 69)
    e, _ = embed_one(samples.landmarks[123])
    f, _ = embed_one(samples.landmarks[123], mirror=True)
    for s in range(0, len(samples), 7):
        got = min(
            nk.mean_distance(flat[s], e.reshape(69), w69),
            nk.mean_distance(flat[s], f.reshape(69), w69),
        )
        assert got == reference_dmean(sample_embeddings[s], e, f, WEIGHTS)


# ---------------------------------------------------------------- selection


def _distances(kind, n, rng):
    if kind == "ties":
        return rng.integers(0, 12, n).astype(np.float64)
    if kind == "falling":  # what class-grouped samples give: many insertions
        return np.sort(rng.random(n))[::-1] + rng.random(n) * 0.05
    return rng.random(n)


@pytest.mark.parametrize("kind", ["ties", "falling", "uniform"])
@pytest.mark.parametrize("n", [60, 812])
@pytest.mark.parametrize("n_keep", [0, 1, 5, 30, 100])
def test_select_smallest_is_the_lexicographic_head(n_keep, n, kind):
    rng = np.random.default_rng(n_keep + n)
    dist = _distances(kind, n, rng)
    keep_dist = np.empty(max(n_keep, 1))
    keep_idx = np.empty(max(n_keep, 1), np.int64)
    count = nk.select_smallest(dist, n_keep, keep_dist, keep_idx)
    want = np.lexsort((np.arange(n), dist))[:n_keep]
    assert count == len(want)
    np.testing.assert_array_equal(keep_idx[:count], want)
    np.testing.assert_array_equal(keep_dist[:count], dist[want])


def test_sort_pairs_orders_by_distance_then_index():
    rng = np.random.default_rng(4)
    dist = rng.integers(0, 4, 25).astype(np.float64)
    idx = rng.permutation(25).astype(np.int64)
    order = np.lexsort((idx, dist))
    want_dist, want_idx = dist[order], idx[order]
    nk.sort_pairs(dist, idx, 25)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(dist, want_dist)


# ---------------------------------------------------------------- whole frames


def test_serial_and_parallel_kernels_match_the_reference_engine(samples):
    rng = np.random.default_rng(5)
    picks = rng.choice(len(samples), 24, replace=False)
    frames = samples.landmarks[picks] + rng.normal(0, 20, (24, 33, 3)).astype(np.float32)
    frames[3] = np.nan  # no pose
    ref = reference.Engine(
        samples.landmarks, samples.class_ids, len(samples.class_names), Settings()
    )
    want_idx, want_valid = ref.neighbours(frames)
    want_counts, _ = ref.counts(frames)
    eng = numba_backend.Engine(
        samples.landmarks, samples.class_ids, len(samples.class_names), Settings()
    )
    args = (
        frames,
        eng._planes,
        eng._flat,
        eng._w69,
        2.5,
        30,
        10,
        samples.class_ids,
        len(samples.class_names),
    )
    for got_idx, got_counts, got_valid in (
        nk.classify_serial(*args),
        nk.classify_parallel(*args, 5),
    ):
        np.testing.assert_array_equal(got_valid, want_valid)
        np.testing.assert_array_equal(got_idx, want_idx)
        np.testing.assert_array_equal(got_counts, want_counts)
    assert not want_valid[3] and want_valid.sum() == 23


def test_one_engine_serves_several_threads_at_once(samples):
    """Scratch is per call (the kernels release the GIL), so concurrent calls agree."""
    from concurrent.futures import ThreadPoolExecutor

    eng = numba_backend.Engine(
        samples.landmarks, samples.class_ids, len(samples.class_names), Settings()
    )
    rng = np.random.default_rng(8)
    noisy = samples.landmarks + rng.normal(0, 10, samples.landmarks.shape).astype(np.float32)
    # Batches of 1 run on the calling thread, batches of 40 on Numba's thread pool.
    batches = [noisy[i : i + size] for i, size in zip(range(0, 800, 50), [1, 40] * 8)]
    want = [eng.neighbours(b)[0] for b in batches]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda b: eng.neighbours(b)[0], batches))
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
