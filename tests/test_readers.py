"""Video and camera readers on real clips, and the errors for files that are not."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from video_files import DISPLAY_MATRICES, set_display_matrix

from pyengine.errors import CameraError, VideoError
from pyengine.video.readers import (
    CameraReader,
    VideoReader,
    display_matrix_rotation,
    open_source,
)
from pyengine.video.writer import AnnotatedVideoFile


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
    # a constant 30 fps clip: the exact presentation times are the frame steps
    assert [f[1] for f in frames] == pytest.approx([i / info.fps for i in range(len(frames))])
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
    with pytest.raises(VideoError, match="not a video file FFmpeg can open"):
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


def test_frames_are_bit_identical_to_opencvs(videos_dir):
    # Landmarks saved before the switch to PyAV stay valid: same pixels in, same poses out.
    path = videos_dir / "pushups_side_gym_letterboxed.mp4"  # 1000 px wide: padded rows
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    with VideoReader(path) as reader:
        for frame in itertools.islice(reader, 40):
            ok, expected = capture.read()
            assert ok and np.array_equal(frame.image, expected), f"frame {frame.index}"
            assert frame.image.flags.c_contiguous
    capture.release()


def _asymmetric_frame(width: int = 96, height: int = 64) -> np.ndarray:
    """Dark grey with a bright block in the top-left corner: shows any turn or flip."""
    image = np.full((height, width, 3), 40, np.uint8)
    image[: height // 3, : width // 4] = 230
    return image


def _write_clip(path: Path, times: list[float], fps: float = 25.0) -> None:
    with AnnotatedVideoFile(path, fps, 96, 64, quality=10) as sink:
        for time_s in times:
            sink.write(_asymmetric_frame(), time_s)


@pytest.mark.parametrize(
    ("matrix", "rotation", "mirrored", "expected"),
    [
        (0, 0, False, lambda im: im),
        (90, 90, False, lambda im: cv2.rotate(im, cv2.ROTATE_90_CLOCKWISE)),
        (180, 180, False, lambda im: cv2.rotate(im, cv2.ROTATE_180)),
        (270, 270, False, lambda im: cv2.rotate(im, cv2.ROTATE_90_COUNTERCLOCKWISE)),
        ("mirror", 0, True, lambda im: cv2.flip(im, 1)),
    ],
)
def test_rotation_metadata_gives_upright_frames(tmp_path, matrix, rotation, mirrored, expected):
    path = tmp_path / "phone.mp4"
    _write_clip(path, [0.0, 0.04, 0.08])
    set_display_matrix(path, matrix)
    with VideoReader(path) as reader:
        frames = [f.image for f in reader]
    upright = expected(_asymmetric_frame())
    assert (reader.info.rotation, reader.info.mirrored) == (rotation, mirrored)
    assert (reader.info.height, reader.info.width) == upright.shape[:2]
    for image in frames:
        assert image.shape == upright.shape
        assert np.abs(image.astype(int) - upright).mean() < 4  # H.264 at CRF 10: near-exact


def test_an_extra_rotation_turns_after_the_metadata(tmp_path):
    path = tmp_path / "phone.mp4"
    _write_clip(path, [0.0, 0.04])
    set_display_matrix(path, 90)
    with VideoReader(path, extra_rotation=270) as reader:
        image = next(iter(reader)).image
    assert reader.info.rotation == 0 and reader.display_rotation.degrees == 90
    assert np.abs(image.astype(int) - _asymmetric_frame()).mean() < 4
    with pytest.raises(ValueError, match="0, 90, 180 or 270"):
        VideoReader(path, extra_rotation=45)
    with open_source(str(path), extra_rotation=180) as reader:
        assert (reader.info.rotation, reader.info.width) == (270, 64)
    with pytest.raises(CameraError, match="cannot be rotated"):
        open_source("camera:0", extra_rotation=90)


def test_display_matrix_decoding():
    for key, degrees in ((0, 0), (90, 90), (180, 180), (270, 270)):
        rotation = display_matrix_rotation(DISPLAY_MATRICES[key])
        assert (rotation.degrees, rotation.mirrored) == (degrees, False)
    assert display_matrix_rotation(DISPLAY_MATRICES["mirror"]).mirrored


def test_variable_frame_rate_times_are_the_files_own(tmp_path):
    # A phone lowers its frame rate in the dark: the gaps between frames vary.
    times = [0.0, 0.033, 0.066, 0.133, 0.2, 0.3, 0.333, 0.366]
    path = tmp_path / "vfr.mp4"
    _write_clip(path, times, fps=30.0)
    with VideoReader(path) as reader:
        read = [f.time_s for f in reader]
    assert read == pytest.approx(times, abs=1e-4)
