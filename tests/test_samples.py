"""Sample loading (SPEC 2): both formats, byte-stable writing, and errors that name the spot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyengine import SampleFileError, UnknownClassError, default_samples, load_samples
from pyengine.samples import SampleSet, write_class_folder, write_single_csv

BUNDLED = Path(__file__).resolve().parents[1] / "pyengine" / "data" / "fitness_pose_samples.csv"


def _row(name="s1", cls="squats_up", n_coords=99, value="1.5"):
    head = [name, cls] if cls is not None else [name]
    return ",".join(head + [value] * n_coords)


def _pose_row(name, cls, rng):
    values = rng.uniform(0, 500, 99).astype(np.float32)
    head = [name, cls] if cls is not None else [name]
    return ",".join(head + [str(v) for v in values])


def test_default_samples_are_the_ml_kit_set():
    samples = default_samples()
    assert len(samples) == 812
    assert samples.class_counts() == {
        "pushups_up": 201,
        "squats_up": 191,
        "squats_down": 225,
        "pushups_down": 195,
    }
    assert samples.landmarks.shape == (812, 33, 3)
    assert samples.landmarks.dtype == np.float32
    first = BUNDLED.read_text().splitlines()[0].split(",")
    assert samples.names[0] == first[0]
    np.testing.assert_array_equal(samples.landmarks[0].ravel(), np.float32(first[2:]))
    assert samples.sources[0].endswith("fitness_pose_samples.csv:1")


def test_single_csv_round_trips_byte_for_byte(tmp_path):
    out = tmp_path / "copy.csv"
    write_single_csv(default_samples(), out)
    assert out.read_bytes() == BUNDLED.read_bytes()


def test_folder_round_trip_keeps_every_row(tmp_path):
    samples = default_samples()
    files = write_class_folder(samples, tmp_path / "folder")
    assert sorted(f.name for f in files) == sorted(f"{c}.csv" for c in samples.class_names)
    again = load_samples(tmp_path / "folder")
    assert len(again) == len(samples)
    original = {(n, c, f) for n, c, f in zip(samples.names, samples.labels, samples.fields)}
    reloaded = {(n, c, f) for n, c, f in zip(again.names, again.labels, again.fields)}
    assert original == reloaded
    # Folder files are read in sorted order, so classes come sorted.
    assert again.class_names == tuple(sorted(samples.class_names))


def test_folder_format_takes_class_from_file_name(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "b pose.csv").write_text(_pose_row("x1", None, rng) + "\n")
    (tmp_path / "a.csv").write_text(_pose_row("y1", None, rng) + "\n" + _pose_row("y2", None, rng))
    (tmp_path / "notes.txt").write_text("ignored")
    samples = load_samples(tmp_path)
    assert samples.names == ("y1", "y2", "x1")
    assert samples.labels == ("a", "a", "b pose")
    assert samples.class_ids.tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file is empty"),
        ("\r\n\r\n", "file is empty"),
        (_row(n_coords=98), ":1: expected 101 fields (name, class, 99 coordinates), found 100"),
        (_row() + "\r\n" + _row(n_coords=100), ":2: expected 101 fields"),
        (_row().replace(",1.5", ",abc", 1), ":1: field 3 (nose.x) is not a number: 'abc'"),
        (_row(value="nan"), "field 3 (nose.x) is not finite: 'nan'"),
        (_row().rsplit(",", 1)[0] + ",inf", "field 101 (right_foot_index.z) is not finite: 'inf'"),
        (_row().rsplit(",", 1)[0] + ",1e39", "(right_foot_index.z) is not finite: '1e39'"),
        (_row(name=""), ":1: field 1 (sample name) is empty"),
        (_row(cls=" "), ":1: field 2 (class name) is empty"),
    ],
)
def test_malformed_single_csv_names_file_line_and_field(tmp_path, content, message):
    path = tmp_path / "samples.csv"
    path.write_text(content, newline="")
    with pytest.raises(SampleFileError) as err:
        load_samples(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_folder_row_error_names_the_class_file(tmp_path):
    (tmp_path / "squats_up.csv").write_text(
        _row(cls=None, n_coords=99) + "\n" + _row(cls=None, n_coords=3)
    )
    with pytest.raises(SampleFileError, match=r"squats_up\.csv:2: expected 100 fields"):
        load_samples(tmp_path)


def test_missing_path_empty_folder_and_binary_file(tmp_path):
    with pytest.raises(SampleFileError, match="no such file or folder"):
        load_samples(tmp_path / "missing.csv")
    with pytest.raises(SampleFileError, match="folder holds no"):
        load_samples(tmp_path)
    binary = tmp_path / "poses.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(SampleFileError, match="not a UTF-8 text file"):
        load_samples(binary)


def test_unknown_class_is_named_with_the_known_ones():
    samples = default_samples()
    samples.require_class("squats_down")
    with pytest.raises(UnknownClassError, match="'lunges_down'; the samples have: pushups_up"):
        samples.require_class("lunges_down")


def test_from_arrays_and_select():
    rng = np.random.default_rng(3)
    poses = rng.uniform(0, 100, (4, 33, 3))
    samples = SampleSet.from_arrays(poses, ["a", "b", "a", "c"])
    assert samples.class_names == ("a", "b", "c")
    sub = samples.select([3, 0])
    assert sub.labels == ("c", "a")
    np.testing.assert_array_equal(sub.landmarks, poses[[3, 0]].astype(np.float32))
    assert not samples.landmarks.flags.writeable
    poses[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="sample 1 has a NaN"):
        SampleSet.from_arrays(poses, ["a"] * 4)


def test_the_bundled_samples_are_the_shared_ml_kit_file_byte_for_byte(shared_data):
    from importlib import resources

    shared = shared_data / "mlkit" / "fitness_pose_samples.csv"
    if not shared.is_file():
        pytest.skip(f"the shared ML Kit file is not at {shared}")
    bundled = resources.files("pyengine") / "data" / "fitness_pose_samples.csv"
    assert bundled.read_bytes() == shared.read_bytes()
