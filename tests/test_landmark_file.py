"""Landmark files: exact round trips, clear errors for anything else, real extraction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pyengine.cli import main
from pyengine.errors import LandmarkFileError
from pyengine.video.landmark_file import (
    FORMAT_VERSION,
    LandmarkTrack,
    SourceIdentity,
    check_source,
    extract_landmarks,
    load_landmarks,
    save_landmarks,
    source_identity,
)
from pyengine.video.readers import VideoInfo, VideoReader


def _track(n_frames: int = 12, *, n_frames_declared: int | None = 40) -> LandmarkTrack:
    rng = np.random.default_rng(7)
    landmarks = rng.uniform(-50, 1300, (n_frames, 33, 3)).astype(np.float32)
    valid = rng.random(n_frames) > 0.3
    landmarks[~valid] = np.nan
    info = VideoInfo("clips/squat.mp4", 29.97, 1280, 720, n_frames_declared)
    times = np.arange(n_frames) / info.fps
    identity = SourceIdentity("ab" * 32, 123_456)
    return LandmarkTrack(landmarks, valid, times, info, "mediapipe-legacy-full", identity)


def _raw_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def _write_raw(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with open(path, "wb") as out:
        np.savez_compressed(out, **arrays)
    return path


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "track.npz"
    save_landmarks(_track(), path)
    return path


@pytest.mark.parametrize("declared", [40, None])
def test_round_trip_is_exact(tmp_path, declared):
    track = _track(n_frames_declared=declared)
    path = tmp_path / "track.landmarks"  # any name: no extension is added
    save_landmarks(track, path)
    loaded = load_landmarks(path)
    assert np.array_equal(loaded.landmarks, track.landmarks, equal_nan=True)
    assert loaded.landmarks.dtype == np.float32 and loaded.times.dtype == np.float64
    assert np.array_equal(loaded.valid, track.valid) and loaded.valid.dtype == np.bool_
    assert np.array_equal(loaded.times, track.times)
    assert loaded.info == track.info
    assert loaded.model == track.model
    assert loaded.identity == track.identity and loaded.format_version == FORMAT_VERSION
    assert [p.name for p in tmp_path.iterdir()] == ["track.landmarks"]


def test_rotation_and_a_camera_source_round_trip(tmp_path):
    track = _track()
    portrait = VideoInfo("phone.mov", 30.0, 720, 1280, 40, rotation=90, mirrored=True)
    track = LandmarkTrack(track.landmarks, track.valid, track.times, portrait, "m", None)
    save_landmarks(track, tmp_path / "t.npz")
    loaded = load_landmarks(tmp_path / "t.npz")
    assert loaded.info == portrait and loaded.identity is None
    metadata = json.loads(str(_raw_arrays(tmp_path / "t.npz")["metadata"]))
    assert (metadata["rotation"], metadata["mirrored"], metadata["source_sha256"]) == (
        90,
        True,
        None,
    )


def test_file_holds_the_documented_keys(saved):
    arrays = _raw_arrays(saved)
    assert sorted(arrays) == ["landmarks", "metadata", "times", "valid"]
    metadata = json.loads(str(arrays["metadata"]))
    assert metadata["format"] == "pyengine-landmarks"
    assert metadata["version"] == FORMAT_VERSION == 2
    assert (metadata["width"], metadata["height"], metadata["n_frames"]) == (1280, 720, 40)
    assert (metadata["source_sha256"], metadata["source_bytes"]) == ("ab" * 32, 123_456)
    assert (metadata["rotation"], metadata["mirrored"]) == (0, False)
    assert len(metadata["landmark_names"]) == 33 and metadata["landmark_names"][23] == "left_hip"


def test_failed_save_leaves_the_old_file_and_no_temporary(saved):
    before = saved.read_bytes()
    bad = _track()
    bad.landmarks[np.flatnonzero(bad.valid)[0], 4, 1] = np.nan  # a "valid" frame with a NaN
    with pytest.raises(LandmarkFileError, match=r"frame \d+ landmarks must be finite"):
        save_landmarks(bad, saved)
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]


def test_missing_file_and_files_of_other_kinds(tmp_path):
    with pytest.raises(LandmarkFileError, match=r"absent\.npz: no such file"):
        load_landmarks(tmp_path / "absent.npz")
    text = tmp_path / "text.npz"
    text.write_text("frame,x,y\n1,2,3\n")
    with pytest.raises(LandmarkFileError, match="not a landmark file"):
        load_landmarks(text)
    bare = tmp_path / "bare.npz"
    with open(bare, "wb") as out:
        np.save(out, np.zeros((3, 33, 3), np.float32))
    with pytest.raises(LandmarkFileError, match=r"bare \.npy array"):
        load_landmarks(bare)
    foreign = _write_raw(tmp_path / "foreign.npz", {"landmarks": np.zeros((3, 33, 3))})
    with pytest.raises(LandmarkFileError, match="no 'metadata' entry"):
        load_landmarks(foreign)


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(LandmarkFileError, match=str(saved.name)):
        load_landmarks(saved)


def _with_metadata(arrays: dict[str, np.ndarray], **changes) -> dict[str, np.ndarray]:
    metadata = json.loads(str(arrays["metadata"]))
    metadata.update(changes)
    for key, value in changes.items():
        if value is ...:
            del metadata[key]
    return {**arrays, "metadata": np.array(json.dumps(metadata))}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 3}, "format version 3 is not supported"),
        ({"version": True}, "format version True is not supported"),
        ({"rotation": 45}, "'rotation' must be 0, 90, 180 or 270"),
        ({"mirrored": "no"}, "'mirrored' must be true or false"),
        ({"source_sha256": "abc"}, "'source_sha256' must be 64 hex digits"),
        ({"source_bytes": ...}, "metadata has no 'source_bytes' field"),
        ({"format": "other-tool"}, "format is not 'pyengine-landmarks'"),
        ({"fps": ...}, "metadata has no 'fps' field"),
        ({"width": "1280"}, "metadata 'width' must be int"),
        ({"fps": 0}, "fps, width and height must be > 0"),
    ],
)
def test_bad_metadata(saved, tmp_path, change, message):
    path = _write_raw(tmp_path / "bad.npz", _with_metadata(_raw_arrays(saved), **change))
    with pytest.raises(LandmarkFileError, match=message):
        load_landmarks(path)


def test_version_1_files_still_load_without_an_identity(saved, tmp_path):
    # What pyengine wrote before version 2: no identity, no rotation.
    v1 = _with_metadata(
        _raw_arrays(saved), version=1, source_sha256=..., source_bytes=..., rotation=...,
        mirrored=...,
    )  # fmt: skip
    loaded = load_landmarks(_write_raw(tmp_path / "v1.npz", v1))
    assert loaded.format_version == 1 and loaded.identity is None
    assert (loaded.info.rotation, loaded.info.mirrored) == (0, False)
    assert np.array_equal(loaded.landmarks, load_landmarks(saved).landmarks, equal_nan=True)
    warnings = check_source(loaded, loaded.info, SourceIdentity("cd" * 32, 1), where="v1.npz")
    assert len(warnings) == 1
    assert "version-1 landmark file" in warnings[0] and "cannot be checked" in warnings[0]


def test_a_track_of_another_video_is_refused_naming_both(tmp_path):
    track = _track()
    same = check_source(track, track.info, track.identity, where="t.npz")
    assert same == []
    other_identity = SourceIdentity("cd" * 32, 999)
    other = VideoInfo("clips/other.mp4", 29.97, 1280, 720, 40)
    with pytest.raises(LandmarkFileError) as err:
        check_source(track, other, other_identity, where="t.npz")
    message = str(err.value)
    assert "t.npz holds the landmarks of clips/squat.mp4" in message
    assert "not of clips/other.mp4" in message and "the file contents differ" in message
    assert "sha256 abababababab" in message and "sha256 cdcdcdcdcdcd" in message
    assert "--force" in message
    longer = VideoInfo("clips/squat.mp4", 29.97, 1280, 720, 41)
    with pytest.raises(LandmarkFileError, match="the frame counts differ"):
        check_source(track, longer, track.identity, where="t.npz")
    forced = check_source(track, other, other_identity, where="t.npz", force=True)
    assert len(forced) == 1 and "used anyway (--force)" in forced[0]
    smaller = VideoInfo("clips/squat.mp4", 29.97, 640, 360, 40)
    with pytest.raises(LandmarkFileError, match=r"1280x720 video, but clips/squat\.mp4 is 640x360"):
        check_source(track, smaller, track.identity, where="t.npz", force=True)


def test_source_identity_is_the_sha256_of_the_content(tmp_path):
    import hashlib

    data = bytes(range(256)) * 5000
    (tmp_path / "a.bin").write_bytes(data)
    (tmp_path / "b.bin").write_bytes(data)
    identity = source_identity(tmp_path / "a.bin")
    assert identity == SourceIdentity(hashlib.sha256(data).hexdigest(), len(data))
    assert source_identity(tmp_path / "b.bin") == identity  # the name does not matter


def test_metadata_that_is_not_json(saved, tmp_path):
    arrays = {**_raw_arrays(saved), "metadata": np.array("{format: pyengine")}
    with pytest.raises(LandmarkFileError, match="not valid JSON"):
        load_landmarks(_write_raw(tmp_path / "bad.npz", arrays))


def test_bad_arrays(saved, tmp_path):
    good = _raw_arrays(saved)
    n = len(good["valid"])
    cases = [
        ({k: v for k, v in good.items() if k != "times"}, r"missing key\(s\) times"),
        ({**good, "landmarks": good["landmarks"][:, :, :2]}, r"shape \(F, 33, 3\)"),
        ({**good, "valid": good["valid"][:-1]}, rf"'valid' must have shape \({n},\)"),
        ({**good, "valid": good["valid"].astype(np.int8)}, "'valid' must be bool"),
        ({**good, "landmarks": np.zeros((n, 33, 3), np.int32)}, "must hold floats"),
        ({**good, "times": good["times"][::-1].copy()}, "non-decreasing"),
        ({**good, "valid": ~good["valid"]}, r"frame \d+ landmarks must be"),
    ]
    for arrays, message in cases:
        path = _write_raw(tmp_path / "bad.npz", arrays)
        with pytest.raises(LandmarkFileError, match=message):
            load_landmarks(path)


@pytest.mark.video
def test_real_extraction_marks_the_title_card_as_no_pose(videos_dir, tmp_path):
    # MANIFEST: MediaPipe finds no pose on the blurred title card, frames 0-57.
    with VideoReader(videos_dir / "pushups_side_outdoor.mp4") as reader:
        from pyengine.pose import open_estimator

        with open_estimator() as estimator:
            track = extract_landmarks(reader, estimator, progress=False, max_frames=72)
            model = estimator.name
    assert len(track) == 72 and track.model == model
    assert track.info.n_frames == 472 and track.info.width == 1280
    assert track.identity == source_identity(videos_dir / "pushups_side_outdoor.mp4")
    # exact presentation times: this clip's frame rate varies a little around 30 fps
    assert track.times[0] == 0 and np.all(np.diff(track.times) > 0)
    assert np.allclose(track.times, np.arange(72) / track.info.fps, atol=1 / track.info.fps)
    assert not track.valid[:50].any() and track.valid[62:].all()
    assert np.isnan(track.landmarks[~track.valid]).all()
    posed = track.landmarks[track.valid]
    assert np.isfinite(posed).all()
    assert (posed[:, :, 0].mean() > 0) and (posed[:, :, 1].max() <= 720 * 1.2)

    path = tmp_path / "pushups.npz"
    save_landmarks(track, path)
    loaded = load_landmarks(path)
    assert np.array_equal(loaded.landmarks, track.landmarks, equal_nan=True)
    assert np.array_equal(loaded.valid, track.valid) and loaded.info == track.info
    assert loaded.identity == track.identity


@pytest.mark.video
def test_landmarks_command(videos_dir, tmp_path, capsys):
    out = tmp_path / "squats.npz"
    video = videos_dir / "squats_side_gym.mp4"
    status = main(["landmarks", str(video), "-o", str(out), "--max-frames", "20", "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 0
    track = load_landmarks(out)
    assert len(track) == 20 and track.info.source == str(video)
    assert "frames: 20\n" in printed
    assert f"frames with a pose: {track.n_valid} (" in printed


def test_landmarks_command_checks_the_output_folder_first(videos_dir, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "folder" / "x.npz"
    status = main(["landmarks", str(videos_dir / "squats_side_gym.mp4"), "-o", str(out)])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.parent.exists()
