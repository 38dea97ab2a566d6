"""PoseClassifier's public behaviour, and the reference checked against SPEC 4 directly."""

from __future__ import annotations

import numpy as np
import pytest

from pyengine import (
    BackendError,
    InvalidPoseError,
    PoseClassifier,
    SampleFileError,
    backends,
    default_samples,
)
from pyengine.backends import reference
from pyengine.samples import SampleSet

WEIGHTS = np.array([1.0, 1.0, 0.2])


@pytest.fixture(scope="module")
def samples():
    return default_samples()


@pytest.fixture(scope="module")
def reference_clf(samples):
    return PoseClassifier(samples, backend="reference")


def spec_neighbours(sample_embeddings, query, top_max=30, top_mean=10, weights=WEIGHTS):
    """SPEC 4 written independently of the reference: vectorised, with lexsort tie-breaks."""
    e = reference.embed(query[None])[0][0]
    f = reference.embed((query * np.float32([-1, 1, 1]))[None])[0][0]
    d_e = np.abs(sample_embeddings - e) * weights
    d_f = np.abs(sample_embeddings - f) * weights
    index = np.arange(len(sample_embeddings))
    dmax = np.minimum(d_e.max(axis=(1, 2)), d_f.max(axis=(1, 2)))
    kept = np.lexsort((index, dmax))[:top_max]
    dmean = np.minimum(
        np.array([d.mean() for d in d_e[kept]]), np.array([d.mean() for d in d_f[kept]])
    )
    return kept[np.lexsort((kept, dmean))][:top_mean]


def test_reference_agrees_with_an_independent_reading_of_spec_4(samples, reference_clf):
    rng = np.random.default_rng(7)
    embeddings = reference.embed(samples.landmarks)[0]
    picks = rng.choice(len(samples), 12, replace=False)
    queries = samples.landmarks[picks] + rng.normal(0, 15, (12, 33, 3)).astype(np.float32)
    got, valid = reference_clf.neighbours(queries)
    assert valid.all()
    for query, row in zip(queries, got):
        np.testing.assert_array_equal(row, spec_neighbours(embeddings, query))


def test_a_sample_finds_itself_and_its_class(samples, reference_clf):
    for i in (0, 300, 811):
        neighbours, _ = reference_clf.neighbours(samples.landmarks[i : i + 1])
        assert neighbours[0, 0] == i
        result = reference_clf(samples.landmarks[i])
        assert sum(result.values()) == 10
        assert max(result, key=result.get) == samples.labels[i]


def test_mirrored_pose_classifies_like_the_original(samples, reference_clf):
    pose = samples.landmarks[5]
    mirrored = pose * np.float32([-1, 1, 1])
    assert reference_clf(mirrored) == reference_clf(pose)


def test_counts_sum_to_min_of_top_n_and_sample_count():
    rng = np.random.default_rng(1)
    poses = rng.uniform(0, 500, (4, 33, 3))
    clf = PoseClassifier(SampleSet.from_arrays(poses, ["a", "b", "b", "c"]), backend="reference")
    result = clf(poses[0])
    assert sum(result.values()) == 4
    assert result == {"a": 1, "b": 2, "c": 1}


def test_batch_flags_invalid_frames(samples, reference_clf):
    frames = np.stack([samples.landmarks[0], np.zeros((33, 3)), samples.landmarks[1]])
    frames[2, 4, 1] = np.nan
    result = reference_clf.classify_batch(frames)
    assert result.valid.tolist() == [True, False, False]
    assert result.counts[1:].sum() == 0
    assert result.as_dicts()[0] == reference_clf(samples.landmarks[0])
    assert result.class_names == samples.class_names


def test_bad_landmarks_raise_clear_errors(reference_clf):
    with pytest.raises(InvalidPoseError, match=r"shape \(33, 3\), got \(33, 2\)"):
        reference_clf(np.zeros((33, 2)))
    pose = np.ones((33, 3), dtype=np.float32)
    pose[23, 1] = np.inf
    with pytest.raises(InvalidPoseError, match=r"landmark 23 \(left_hip\) y is inf"):
        reference_clf(pose)
    with pytest.raises(InvalidPoseError, match="pose size 0"):
        reference_clf(np.full((33, 3), 7.0))
    with pytest.raises(InvalidPoseError, match=r"\(F, 33, 3\)"):
        reference_clf.classify_batch(np.zeros((33, 3)))


def test_classify_frame_is_empty_for_no_pose(samples, reference_clf):
    assert reference_clf.classify_frame(None) == {}
    assert reference_clf.classify_frame(np.full((33, 3), np.nan)) == {}
    assert reference_clf.classify_frame(samples.landmarks[0]) == reference_clf(samples.landmarks[0])


def test_degenerate_training_sample_names_its_row(tmp_path):
    rows = [
        "good," + ",".join(str(v) for v in np.random.default_rng(2).uniform(0, 9, 99)),
        "flat," + ",".join(["3.0"] * 99),
    ]
    (tmp_path / "squats_up.csv").write_text("\r\n".join(rows))
    with pytest.raises(
        SampleFileError, match=r"squats_up\.csv:2: sample 'flat' cannot be embedded"
    ):
        PoseClassifier(tmp_path, backend="reference")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_n_by_max_distance": 0}, r"top_n_by_max_distance must be >= 1, got 0"),
        ({"top_n_by_mean_distance": 2.5}, r"top_n_by_mean_distance must be an integer, got 2.5"),
        ({"axes_weights": (1, 1)}, r"axes_weights must hold 3 numbers, got \(1, 1\)"),
        ({"axes_weights": (1, -1, 0.2)}, r"axes_weights\[1\] must be finite and >= 0, got -1.0"),
        ({"torso_size_multiplier": 0}, "torso_size_multiplier must be finite and > 0"),
    ],
)
def test_bad_settings_are_rejected(samples, kwargs, message):
    with pytest.raises(ValueError, match=message):
        PoseClassifier(samples, backend="reference", **kwargs)


def test_unknown_backend_is_a_clear_error(samples):
    with pytest.raises(BackendError, match="unknown backend 'gpu'"):
        PoseClassifier(samples, backend="gpu")


def test_environment_variable_forces_the_auto_choice(samples, monkeypatch):
    monkeypatch.setenv("PYENGINE_BACKEND", "reference")
    assert PoseClassifier(samples).backend == "reference"
    monkeypatch.setenv("PYENGINE_BACKEND", "nonsense")
    with pytest.raises(BackendError, match="unknown backend 'nonsense'"):
        PoseClassifier(samples)


def test_auto_picks_the_fastest_available(samples, monkeypatch):
    monkeypatch.delenv("PYENGINE_BACKEND", raising=False)
    assert PoseClassifier(samples).backend == backends.available()[0]
