"""Video and camera readers on real clips, and the errors for files that are not."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from pyengine.errors import CameraError, VideoError
from pyengine.video.readers import CameraReader, VideoReader, open_source


@pytest.fixture(scope="module")
def ground_truth(videos_dir: Path) -> dict[str, dict[str, str]]:
    """``ground_truth.csv`` rows by file name (fps, frames, width, height per clip)."""
    with open(videos_dir / "ground_truth.csv", newline="", encoding="utf-8") as file:
        return {row["file"]: row for row in csv.DictReader(file)}


def _write_synthetic_video(path: Path, n_frames: int, fps: float = 25.0) -> list[np.ndarray]:
    """An MJPG AVI of flat frames whose brightness encodes the frame index."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (96, 64))
    images = [np.full((64, 96, 3), 10 + 20 * i, dtype=np.uint8) for i in range(n_frames)]
    for image in images:
        writer.write(image)
    writer.release()
    return images


def test_reads_every_frame_of_a_real_clip(videos_dir, ground_truth):
    expected = ground_truth["squats_side_gym.mp4"]
    with VideoReader(videos_dir / "squats_side_gym.mp4") as reader:
        info = reader.info
        frames = [(f.index, f.time_s, f.image.shape, f.image.dtype) for f in reader]
    assert info.n_frames == int(expected["frames"]) == len(frames)
    assert (info.width, info.height) == (int(expected["width"]), int(expected["height"]))
    assert info.fps == pytest.approx(float(expected["fps"]), abs=1e-3)
    assert [f[0] for f in frames] == list(range(len(frames)))
    assert [f[1] for f in frames] == [i / info.fps for i in range(len(frames))]
    assert {f[2] for f in frames} == {(info.height, info.width, 3)}
    assert {f[3] for f in frames} == {np.dtype(np.uint8)}


@pytest.mark.parametrize(
    "name",
    ["pullups_front_outdoor_night.mp4", "pushups_side_gym_letterboxed.mp4", "situps_side_gym.mp4"],
)
def test_info_matches_the_manifest_and_first_frames_decode(videos_dir, ground_truth, name):
    expected = ground_truth[name]
    with open_source(str(videos_dir / name)) as reader:
        assert isinstance(reader, VideoReader)
        first = list(itertools.islice(reader, 5))
    assert reader.info.source == str(videos_dir / name)
    assert reader.info.n_frames == int(expected["frames"])
    assert reader.info.fps == pytest.approx(float(expected["fps"]), abs=1e-3)
    size = (int(expected["width"]), int(expected["height"]))
    assert (reader.info.width, reader.info.height) == size
    assert [f.index for f in first] == [0, 1, 2, 3, 4]
    assert all(f.image.shape == (size[1], size[0], 3) for f in first)


def test_iterating_again_starts_from_the_first_frame(tmp_path):
    path = tmp_path / "ramp.avi"
    written = _write_synthetic_video(path, 6)
    with VideoReader(path) as reader:
        first_pass = [f.image for f in reader]
        second_pass = [f.image for f in itertools.islice(reader, 2)]
    assert reader.info.n_frames == len(first_pass) == 6
    assert reader.info.fps == pytest.approx(25.0)
    # MJPG is lossy: the decoded brightness is near, not equal to, what was written
    for image, original in zip(first_pass, written):
        assert abs(float(image.mean()) - float(original.mean())) < 3
    assert np.array_equal(second_pass[0], first_pass[0])
    assert np.array_equal(second_pass[1], first_pass[1])


def test_truncated_video_names_the_frame_where_decoding_stopped(videos_dir, tmp_path):
    original = (videos_dir / "squats_side_gym.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(original[: len(original) // 2])
    reader = VideoReader(truncated)
    decoded = 0
    with pytest.raises(
        VideoError, match=r"decoding stopped at frame (\d+) of 354 .*truncated"
    ) as err:
        for _ in reader:
            decoded += 1
    reader.close()
    assert 0 < decoded < 354
    assert f"at frame {decoded} of" in str(err.value)
    assert str(truncated) in str(err.value)


def test_text_file_named_mp4_is_not_a_video(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are not video bytes\n" * 20)
    with pytest.raises(VideoError, match="not a video OpenCV can open"):
        VideoReader(fake)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(VideoError, match=r"missing\.mp4: no such file"):
        VideoReader(tmp_path / "missing.mp4")
    with pytest.raises(VideoError, match="is a folder"):
        open_source(str(tmp_path))


def test_video_without_frames(tmp_path):
    empty = tmp_path / "empty.avi"
    _write_synthetic_video(empty, 0)
    assert empty.stat().st_size > 0  # a real container, just with no frame in it
    with pytest.raises(VideoError, match="no frame could be decoded"):
        VideoReader(empty)


def test_closed_reader_cannot_be_iterated(tmp_path):
    path = tmp_path / "short.avi"
    _write_synthetic_video(path, 2)
    reader = VideoReader(path)
    reader.close()
    reader.close()  # closing twice is fine
    with pytest.raises(VideoError, match="reader is closed"):
        next(iter(reader))


def test_absent_camera_is_a_clear_error():
    with pytest.raises(CameraError, match="no camera at index 99"):
        CameraReader(99)
    with pytest.raises(CameraError, match="no camera at index 98"):
        open_source("camera:98")
    with pytest.raises(CameraError, match="expected camera:N"):
        open_source("camera:front")
    with pytest.raises(CameraError, match="integer >= 0"):
        CameraReader(-1)
