"""Bootstrap, align and outliers on real frames taken from the shared clips.

Frames are cut at the rep events of ``ground_truth.csv`` (bottoms -> ``<exercise>_down``)
and midway between consecutive events (-> ``<exercise>_up``) into a temporary
``IMAGES_IN`` tree; nothing from the clips is ever written inside the repository.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from pyengine import PoseClassifier, default_samples, load_samples
from pyengine.cli import main
from pyengine.errors import SampleFileError
from pyengine.pose import open_estimator
from pyengine.training import (
    TrainingFolderError,
    align,
    bootstrap_images,
    find_outliers,
    remove_samples,
)
from pyengine.training.bootstrap import read_image

pytestmark = pytest.mark.video

CLIPS = {
    "squat": ("squats_side_gym.mp4", "squats_crossfit_front_side.mp4"),
    "pushup": ("pushups_side_outdoor.mp4", "pushups_side_gym_letterboxed.mp4"),
}
EVENTS_PER_CLIP = 3  # 6 bottoms and 4 midpoints per exercise


def _frame_times(row: dict[str, str]) -> dict[str, list[float]]:
    events = [float(t) for t in row["rep_event_times_s"].split(";")][:EVENTS_PER_CLIP]
    return {"down": events, "up": [(a + b) / 2 for a, b in zip(events, events[1:])]}


def _extract_frames(videos_dir: Path, images_in: Path) -> dict[Path, str]:
    """Write the frames as ``images_in/<exercise>_<down|up>/<clip>_<t>.jpg``; return labels."""
    with open(videos_dir / "ground_truth.csv", newline="") as handle:
        truth = {row["file"]: row for row in csv.DictReader(handle)}
    labels = {}
    for exercise, clips in CLIPS.items():
        for clip in clips:
            capture = cv2.VideoCapture(str(videos_dir / clip))
            fps = float(truth[clip]["fps"])
            for phase, times in _frame_times(truth[clip]).items():
                folder = images_in / f"{exercise}_{phase}"
                folder.mkdir(parents=True, exist_ok=True)
                for t in times:
                    capture.set(cv2.CAP_PROP_POS_FRAMES, round(t * fps))
                    ok, frame = capture.read()
                    assert ok, f"{clip}: cannot read the frame at {t} s"
                    path = folder / f"{Path(clip).stem}_{t:06.2f}.jpg"
                    assert cv2.imwrite(str(path), frame)
                    labels[path] = folder.name
            capture.release()
    return labels


@pytest.fixture(scope="module")
def frames(videos_dir: Path, tmp_path_factory) -> tuple[Path, dict[Path, str]]:
    images_in = tmp_path_factory.mktemp("images_in")
    return images_in, _extract_frames(videos_dir, images_in)


@pytest.fixture(scope="module")
def estimator():
    with open_estimator("full", static_image_mode=True) as est:
        yield est


class CountingEstimator:
    """The real estimator, counting its calls (and optionally stopping after ``stop_after``)."""

    def __init__(self, estimator, stop_after: int | None = None) -> None:
        self.estimator = estimator
        self.calls = 0
        self.stop_after = stop_after

    def __call__(self, bgr, time_s):
        if self.stop_after is not None and self.calls == self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        return self.estimator(bgr, time_s)


@pytest.fixture(scope="module")
def bootstrapped(frames, estimator, tmp_path_factory):
    images_in, _ = frames
    out = tmp_path_factory.mktemp("bootstrap_out")
    report = bootstrap_images(
        images_in, out / "csvs", out / "images", estimator=estimator, progress=False
    )
    return out / "csvs", out / "images", report


def _copy_outputs(bootstrapped, tmp_path: Path) -> tuple[Path, Path]:
    csvs, images, _ = bootstrapped
    return (
        Path(shutil.copytree(csvs, tmp_path / "csvs")),
        Path(shutil.copytree(images, tmp_path / "images")),
    )


def _csv_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_writes_a_row_and_an_annotated_image_per_image(frames, bootstrapped):
    _, labels = frames
    csvs, images, report = bootstrapped
    samples = load_samples(csvs)
    rows = set(zip(samples.labels, samples.names))
    with_pose = {(p.parent.name, p.name) for p in labels if p not in report.no_pose}
    assert rows == with_pose
    assert report.totals().with_pose == len(rows) >= 0.9 * len(labels)
    assert report.unreadable == []
    for path in labels:
        original = read_image(path)
        annotated = read_image(images / path.parent.name / path.name)
        assert annotated is not None, f"annotated image of {path} missing or unreadable"
        height, width = original.shape[:2]
        assert annotated.shape == (height, 2 * width, 3)
        # The right half is the X-Z panel: white, with the skeleton drawn when there is a pose.
        panel = annotated[:, width:]
        assert np.median(panel) > 240
        assert (panel.min(axis=2) < 128).any() == (path not in report.no_pose)
    for csv_file in csvs.glob("*.csv"):
        text = csv_file.read_bytes()
        assert text.endswith(b"\r\n") and text.count(b"\r\n") == text.count(b"\n")


def test_bootstrap_rows_are_the_estimators_pixel_landmarks(frames, bootstrapped, estimator):
    _, labels = frames
    csvs, _, _ = bootstrapped
    samples = load_samples(csvs)
    first = next(p for p in sorted(labels) if p.name in samples.names)
    bgr = read_image(first)
    expected = estimator(bgr, 0.0)
    stored = samples.landmarks[samples.names.index(first.name)]
    np.testing.assert_array_equal(stored, expected)  # float32 text reads back exactly
    height, width = bgr.shape[:2]
    assert 0 < np.median(stored[:, 0]) < width and 0 < np.median(stored[:, 1]) < height


def test_bootstrapped_poses_classify_as_their_class(bootstrapped):
    """The ML Kit set agrees with the labels, and each frame's nearest other frames do."""
    csvs, _, _ = bootstrapped
    samples = load_samples(csvs)
    mlkit = PoseClassifier(default_samples())
    by_mlkit = [_winner(mlkit(lm)) for lm in samples.landmarks]
    mlkit_names = [label.replace("_", "s_", 1) for label in samples.labels]  # squat_up -> squats_up
    assert sum(w == label for w, label in zip(by_mlkit, mlkit_names)) >= 0.8 * len(samples)

    correct_class = correct_exercise = 0
    for i in range(len(samples)):
        others = samples.select([j for j in range(len(samples)) if j != i])
        leave_one_out = PoseClassifier(
            others, backend="reference", top_n_by_max_distance=10, top_n_by_mean_distance=3
        )
        winner = _winner(leave_one_out(samples.landmarks[i]))
        correct_class += winner == samples.labels[i]
        correct_exercise += winner.split("_")[0] == samples.labels[i].split("_")[0]
    assert correct_exercise == len(samples)
    assert correct_class >= 0.75 * len(samples)


def _winner(counts: dict[str, int]) -> str:
    return max(counts, key=counts.get)


def test_rerun_skips_done_images_and_redoes_missing_ones(bootstrapped, frames, estimator, tmp_path):
    images_in, _ = frames
    csvs, images = _copy_outputs(bootstrapped, tmp_path)
    before = _csv_bytes(csvs)
    first_class = sorted(csvs.glob("*.csv"))[0]
    lost_image = sorted((images / first_class.stem).iterdir())[0]
    lost_image.unlink()  # as if interrupted before its image was written
    counting = CountingEstimator(estimator)
    report = bootstrap_images(images_in, csvs, images, estimator=counting, progress=False)
    assert counting.calls == 1
    assert report.totals().skipped == report.totals().images - 1
    assert lost_image.is_file()
    assert _csv_bytes(csvs) == before

    forced = CountingEstimator(estimator)
    bootstrap_images(images_in, csvs, images, estimator=forced, limit=2, force=True, progress=False)
    assert forced.calls == 2 * len(report.classes)
    assert _csv_bytes(csvs) == before


def test_interrupted_bootstrap_resumes(frames, estimator, bootstrapped, tmp_path):
    images_in, labels = frames
    csvs, images = tmp_path / "csvs", tmp_path / "images"
    stopping = CountingEstimator(estimator, stop_after=8)
    with pytest.raises(KeyboardInterrupt):
        bootstrap_images(images_in, csvs, images, estimator=stopping, progress=False)
    partial = load_samples(csvs)  # every CSV written so far parses completely
    assert 0 < len(partial) <= 8
    assert not [p for p in tmp_path.rglob(".*.tmp")]
    resumed = CountingEstimator(estimator)
    bootstrap_images(images_in, csvs, images, estimator=resumed, progress=False)
    assert resumed.calls == len(labels) - len(partial)  # no-pose images are tried again
    assert _csv_bytes(csvs) == _csv_bytes(bootstrapped[0])


def test_unreadable_files_empty_classes_and_spaces_in_class_names(frames, estimator, tmp_path):
    _, labels = frames
    images_in = tmp_path / "in"
    spaced = images_in / "squat down"
    spaced.mkdir(parents=True)
    (images_in / "empty class").mkdir()
    for path in [p for p in sorted(labels) if labels[p] == "squat_down"][:2]:
        shutil.copy(path, spaced / path.name)
    (spaced / "broken.jpg").write_text("this is not a JPEG")
    (spaced / "notes.txt").write_text("not an image either")
    csvs, images = tmp_path / "csvs", tmp_path / "images"
    report = bootstrap_images(images_in, csvs, images, estimator=estimator, progress=False)
    assert report.unreadable == [spaced / "broken.jpg"]
    assert any("empty class" in w for w in report.warnings)
    assert any("notes.txt" in w for w in report.warnings)
    assert sorted(p.name for p in csvs.iterdir()) == ["squat down.csv"]
    samples = load_samples(csvs)
    assert set(samples.labels) == {"squat down"} and len(samples) == 2
    assert not (images / "squat down" / "broken.jpg").exists()


def test_output_folder_that_cannot_be_written_fails_before_any_work(frames, tmp_path):
    images_in, _ = frames
    blocker = tmp_path / "csvs"
    blocker.write_text("a file where the CSV folder should be")
    with pytest.raises(TrainingFolderError, match=r"CSV output folder .*csvs"):
        bootstrap_images(images_in, blocker, tmp_path / "images", progress=False)
    assert not (tmp_path / "images").exists()

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable here")
        with pytest.raises(TrainingFolderError, match="not writable"):
            bootstrap_images(images_in, tmp_path / "c2", locked, progress=False)
        assert not (tmp_path / "c2").exists() or not any((tmp_path / "c2").iterdir())
    finally:
        locked.chmod(0o755)


def test_output_images_never_overwrite_the_input_images(tmp_path):
    original = tmp_path / "in" / "squat_up" / "a.png"
    original.parent.mkdir(parents=True)
    assert cv2.imwrite(str(original), np.zeros((8, 8, 3), np.uint8))
    before = original.read_bytes()
    with pytest.raises(TrainingFolderError, match="would overwrite the originals"):
        bootstrap_images(tmp_path / "in", tmp_path / "c", tmp_path / "in", progress=False)
    assert original.read_bytes() == before and not (tmp_path / "c").exists()


def test_cli_bootstrap_error_names_the_folder(tmp_path, capsys):
    status = main(["bootstrap", str(tmp_path / "nope"), "--csvs-out", "c", "--images-out", "i"])
    assert status == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err


# ---------------------------------------------------------------- align


def test_align_drops_rows_of_deleted_images_and_deletes_images_without_rows(bootstrapped, tmp_path):
    csvs, images = _copy_outputs(bootstrapped, tmp_path)
    before = load_samples(csvs)
    victim_class, victim = before.labels[0], before.names[0]
    (images / victim_class / victim).unlink()
    stray = images / victim_class / "stray.png"
    shutil.copy(images / victim_class / before.names[1], stray)
    dry = align(csvs, images, dry_run=True)
    assert dry.dropped_rows == [(victim_class, victim)] and dry.deleted_images == [stray]
    assert stray.exists() and len(load_samples(csvs)) == len(before)

    report = align(csvs, images)
    assert report.dropped_rows == [(victim_class, victim)] and report.deleted_images == [stray]
    assert not stray.exists()
    after = load_samples(csvs)
    assert list(zip(after.labels, after.names)) == list(zip(before.labels, before.names))[1:]
    assert after.fields == before.fields[1:]
    assert not align(csvs, images).changed


def test_cli_align_reports(bootstrapped, tmp_path, capsys):
    csvs, images = _copy_outputs(bootstrapped, tmp_path)
    name = load_samples(csvs).names[-1]
    next(images.rglob(name)).unlink()
    assert main(["align", "--csvs", str(csvs), "--images", str(images)]) == 0
    assert "drop row" in capsys.readouterr().out and name not in load_samples(csvs).names


# ---------------------------------------------------------------- outliers


def test_outliers_follow_the_spec_definition(bootstrapped):
    csvs, _, _ = bootstrapped
    samples = load_samples(csvs)
    outliers = find_outliers(samples, backend="reference")
    classifier = PoseClassifier(samples, backend="reference")
    expected = []
    for i, landmarks in enumerate(samples.landmarks):
        counts = classifier(landmarks)
        top = max(counts.values())
        winners = [c for c, k in counts.items() if k == top]
        if winners != [samples.labels[i]]:
            expected.append((i, samples.names[i], tuple(sorted(winners)), counts))
    got = [(o.index, o.name, tuple(sorted(o.detected_classes)), o.counts) for o in outliers]
    assert got == expected


def test_removing_outliers_rewrites_only_their_rows_and_images(bootstrapped, tmp_path):
    csvs, images = _copy_outputs(bootstrapped, tmp_path)
    samples = load_samples(csvs)
    outliers = find_outliers(samples, backend="reference")
    if not outliers:
        pytest.skip("no outlier among these frames to remove")
    original_lines = {line for p in csvs.glob("*.csv") for line in p.read_bytes().splitlines(True)}
    report = remove_samples(csvs, outliers, images=images)
    assert len(report.removed) == len(outliers)
    after = load_samples(csvs)
    assert len(after) == len(samples) - len(outliers)
    removed = {(o.class_name, o.name) for o in outliers}
    assert not removed & set(zip(after.labels, after.names))
    for p in csvs.glob("*.csv"):
        assert set(p.read_bytes().splitlines(True)) <= original_lines
    assert all(not (images / c / n).exists() for c, n in removed)
    assert sorted(report.deleted_images) == sorted(images / c / n for c, n in removed)
    with pytest.raises(SampleFileError, match=r"changed since|out of range"):
        remove_samples(csvs, outliers[:1])  # indices of the old file no longer match
