"""Every available back end against the reference: identical bits, neighbours and counts.

The reference is the oracle (``docs/numerics.md``). Each other back end that imports on
this machine (``pyengine.backends.available()``) must give bitwise identical embeddings
and identical neighbour index lists and class counts, also on near-ties and exact ties.
The reference is slow (~10 ms per query on 812 samples), so its full 812-against-812
run is computed once per module and shared by all back ends.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyengine import backends, default_samples
from pyengine.backends import reference
from pyengine.settings import Settings

OTHERS = [name for name in backends.available() if name != "reference"]
if not OTHERS:
    pytestmark = pytest.mark.skip(
        reason=f"only the reference back end is available here: {backends.unavailable_reasons()}"
    )

MIRROR = np.float32([-1, 1, 1])


def bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def engines(landmarks, class_ids, n_classes, params, name):
    """The reference engine and back end ``name``'s, built on the same samples."""
    args = (landmarks, np.asarray(class_ids, np.int32), n_classes, params)
    return reference.Engine(*args), backends.load(name).Engine(*args)


def assert_same(ref_engine, engine, frames):
    """Same neighbours, counts and validity as the reference, per row."""
    want_idx, want_valid = ref_engine.neighbours(frames)
    want_counts, counts_valid = ref_engine.counts(frames)
    got_idx, got_valid = engine.neighbours(frames)
    got_counts, got_counts_valid = engine.counts(frames)
    np.testing.assert_array_equal(got_valid, want_valid)
    np.testing.assert_array_equal(got_counts_valid, counts_valid)
    assert got_idx.dtype == np.int64 and got_idx.shape == want_idx.shape
    np.testing.assert_array_equal(got_idx, want_idx)
    assert got_counts.dtype == np.int32
    np.testing.assert_array_equal(got_counts, want_counts)
    return want_idx, want_valid


# ---------------------------------------------------------------- (a) the real ML Kit set


@pytest.fixture(scope="module")
def mlkit():
    """The bundled ML Kit set (byte-identical to the shared copy: see test_samples)."""
    samples = default_samples()
    assert len(samples) == 812
    return samples


@pytest.fixture(scope="module")
def mlkit_reference(mlkit):
    """The reference's 812-against-812 run, computed once for every back end."""
    engine = reference.Engine(mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings())
    idx, valid = engine.neighbours(mlkit.landmarks)
    counts = np.zeros((len(mlkit), len(mlkit.class_names)), np.int32)
    for row, kept in enumerate(idx):
        np.add.at(counts[row], mlkit.class_ids[kept], 1)
    return engine, idx, valid, counts


@pytest.mark.parametrize("name", OTHERS)
def test_ml_kit_embeddings_are_bitwise_the_reference(mlkit, name):
    want, want_valid = reference.embed(mlkit.landmarks, 2.5)
    got, got_valid = backends.load(name).embed(mlkit.landmarks, 2.5)
    assert want_valid.all()
    np.testing.assert_array_equal(got_valid, want_valid)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(bits(got), bits(want))


@pytest.mark.parametrize("name", OTHERS)
def test_every_ml_kit_sample_against_the_whole_set(mlkit, mlkit_reference, name):
    _, want_idx, want_valid, want_counts = mlkit_reference
    engine = backends.load(name).Engine(
        mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings()
    )
    got_idx, got_valid = engine.neighbours(mlkit.landmarks)
    got_counts, _ = engine.counts(mlkit.landmarks)
    assert want_valid.all()
    np.testing.assert_array_equal(got_valid, want_valid)
    np.testing.assert_array_equal(got_idx, want_idx)
    np.testing.assert_array_equal(got_counts, want_counts)
    # One frame at a time (the live path) gives the rows of the batch.
    for i in range(0, len(mlkit), 37):
        one, ok = engine.neighbours(mlkit.landmarks[i : i + 1])
        assert ok[0]
        np.testing.assert_array_equal(one[0], want_idx[i])


def test_the_ml_kit_run_is_not_trivial(mlkit, mlkit_reference):
    """Guards the comparison above: the reference's answers vary, some votes are mixed."""
    _, idx, _, counts = mlkit_reference
    assert len({tuple(row) for row in idx}) > 700
    own = counts[np.arange(len(mlkit)), mlkit.class_ids]
    assert (own == 10).sum() > 400 and (own < 10).sum() > 20


# ---------------------------------------------------------------- (b) noisy and mirrored


@pytest.mark.parametrize("name", OTHERS)
def test_noisy_and_mirrored_real_poses(mlkit, mlkit_reference, name):
    ref_engine = mlkit_reference[0]
    engine = backends.load(name).Engine(
        mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings()
    )
    rng = np.random.default_rng(11)
    picks = rng.choice(len(mlkit), 40, replace=False)
    poses = mlkit.landmarks[picks]
    width = np.float32(poses[..., 0].max() + 10)
    mirrored_in_frame = poses.copy()
    mirrored_in_frame[..., 0] = width - poses[..., 0]
    frames = np.concatenate([
        poses[:15] + rng.normal(0, 3, (15, 33, 3)).astype(np.float32),
        poses[15:30] + rng.normal(0, 40, (15, 33, 3)).astype(np.float32),
        poses[30:35] * MIRROR,
        mirrored_in_frame[35:],
    ])  # fmt: skip
    want_idx, _ = assert_same(ref_engine, engine, frames)
    got_emb, _ = backends.load(name).embed(frames, 2.5)
    np.testing.assert_array_equal(bits(got_emb), bits(reference.embed(frames, 2.5)[0]))
    # A mirrored pose is classified by its mirror-image query: it finds the original.
    assert all(picks[30 + i] in want_idx[30 + i] for i in range(10))


# ---------------------------------------------------------------- (c) exact ties


@pytest.mark.parametrize("name", OTHERS)
@pytest.mark.parametrize("top_n", [(30, 10), (4, 3), (7, 7), (100, 50)])
def test_duplicated_samples_tie_and_the_lower_index_wins(mlkit, name, top_n):
    rng = np.random.default_rng(12)
    base = rng.choice(len(mlkit), 12, replace=False)
    order = np.concatenate([base, base[::-1], base[:5]])  # each pose 2-3 times
    landmarks = mlkit.landmarks[order]
    class_ids = mlkit.class_ids[order]
    params = Settings(top_n_by_max_distance=top_n[0], top_n_by_mean_distance=top_n[1])
    ref_engine, engine = engines(landmarks, class_ids, len(mlkit.class_names), params, name)
    frames = np.concatenate([
        landmarks[:12],
        landmarks[:6] + rng.normal(0, 5, (6, 33, 3)).astype(np.float32),
    ])  # fmt: skip
    want_idx, _ = assert_same(ref_engine, engine, frames)
    for i in range(12):
        copies = np.flatnonzero(order == order[i])  # ascending: the exact matches, distance 0
        n = min(len(copies), want_idx.shape[1])
        np.testing.assert_array_equal(want_idx[i, :n], copies[:n])


# ---------------------------------------------------------------- (d) degenerate poses


@pytest.mark.parametrize("name", OTHERS)
def test_degenerate_frames_are_no_pose_and_leave_the_others_alone(mlkit, mlkit_reference, name):
    ref_engine = mlkit_reference[0]
    engine = backends.load(name).Engine(
        mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings()
    )
    good = mlkit.landmarks[[3, 400, 700]]
    one_point = np.full((33, 3), 321.0, np.float32)
    nan = good[0].copy()
    nan[24, 0] = np.nan
    inf = good[1].copy()
    inf[7, 2] = np.inf
    neg_inf = good[2].copy()
    neg_inf[11, 1] = -np.inf
    frames = np.stack([one_point, good[0], nan, inf, good[1], neg_inf, np.zeros((33, 3)), good[2]])
    frames = frames.astype(np.float32)
    # Large enough for a back end's multi-threaded path, too.
    frames = np.concatenate([frames] * 3)
    want_idx, want_valid = assert_same(ref_engine, engine, frames)
    np.testing.assert_array_equal(want_valid, np.tile([0, 1, 0, 0, 1, 0, 0, 1], 3).astype(bool))
    assert (want_idx[~want_valid] == -1).all()
    emb, valid = backends.load(name).embed(frames, 2.5)
    np.testing.assert_array_equal(valid, want_valid)
    assert not emb[~valid].any()


@pytest.mark.parametrize("name", OTHERS)
def test_an_invalid_sample_is_refused(mlkit, name):
    landmarks = mlkit.landmarks[:5].copy()
    landmarks[2] = 7.0
    with pytest.raises(ValueError, match="sample 2"):
        backends.load(name).Engine(landmarks, np.zeros(5, np.int32), 1, Settings())


# ---------------------------------------------------------------- (e) generated cases

GENERATED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

weights = st.tuples(*[st.one_of(st.sampled_from([0.0, 0.2, 1.0]), st.floats(0, 50))] * 3)
# Tiny multipliers make the pose size that of the farthest landmark.
multipliers = st.one_of(st.sampled_from([1e-30, 1.0, 2.5]), st.floats(1e-6, 20))


@st.composite
def case(draw, grid: bool):
    """A small sample set, its classes, some queries and the settings.

    ``grid``: coordinates are small integers, which makes distances tie exactly and
    often; otherwise real-looking poses of random scale and aspect.
    """
    n_samples = draw(st.integers(1, 40))
    n_queries = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = n_samples + n_queries
    if grid:
        poses = rng.integers(-3, 4, (n, 33, 3)).astype(np.float32)
    else:
        scale = np.float32(10.0 ** draw(st.floats(-2, 4)))
        poses = (rng.normal(0, 1, (n, 33, 3)) * scale * rng.uniform(0.2, 5, 3)).astype(np.float32)
    n_dupes = draw(st.integers(0, n_samples - 1))
    if n_dupes:  # some samples repeat earlier ones, some queries are samples
        poses[rng.integers(1, n_samples, n_dupes)] = poses[rng.integers(0, n_samples, n_dupes)]
        poses[n_samples] = poses[rng.integers(0, n_samples)]
    n_classes = draw(st.integers(1, 4))
    top_max = draw(st.integers(1, 50))
    params = Settings(
        top_n_by_max_distance=top_max,
        top_n_by_mean_distance=draw(st.integers(1, top_max)),
        axes_weights=draw(weights),
        torso_size_multiplier=draw(multipliers),
    )
    class_ids = rng.integers(0, n_classes, n_samples).astype(np.int32)
    return poses[:n_samples], class_ids, n_classes, poses[n_samples:], params


def check_generated(name, samples, class_ids, n_classes, queries, params):
    mult = params.torso_size_multiplier
    emb_ref, valid_ref = reference.embed(samples, mult)
    emb, valid = backends.load(name).embed(samples, mult)
    np.testing.assert_array_equal(valid, valid_ref)
    np.testing.assert_array_equal(bits(emb), bits(emb_ref))
    samples, class_ids = samples[valid_ref], class_ids[valid_ref]
    assume(len(samples) > 0)
    ref_engine, engine = engines(samples, class_ids, n_classes, params, name)
    frames = np.concatenate([queries, samples[:3]])
    assert_same(ref_engine, engine, frames)


@pytest.mark.parametrize("name", OTHERS)
@GENERATED
@given(data=case(grid=False))
def test_generated_poses_and_settings(name, data):
    check_generated(name, *data)


@pytest.mark.parametrize("name", OTHERS)
@GENERATED
@given(data=case(grid=True))
def test_generated_integer_poses_with_many_exact_ties(name, data):
    check_generated(name, *data)


@pytest.mark.parametrize("name", backends.available())
@pytest.mark.parametrize("multiplier", [0.0, -1.0, float("nan"), float("inf")])
def test_every_back_end_refuses_a_multiplier_no_settings_allow(mlkit, name, multiplier):
    with pytest.raises(ValueError, match="torso_size_multiplier must be finite and > 0"):
        backends.load(name).embed(mlkit.landmarks[:2], multiplier)
