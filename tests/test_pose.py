"""Pose estimators with real MediaPipe: the bundled full model, and clear errors otherwise."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from pyengine.errors import ModelUnavailableError
from pyengine.pose import open_estimator

MODEL_DIR = Path(importlib.util.find_spec("mediapipe").origin).parent / "modules" / "pose_landmark"


@pytest.mark.parametrize("model", ["lite", "heavy"])
def test_models_mediapipe_would_download_are_a_clear_error(model):
    if (MODEL_DIR / f"pose_landmark_{model}.tflite").exists():
        with open_estimator(model) as estimator:  # installed by hand: then it must work
            assert model in estimator.name
        return
    with pytest.raises(
        ModelUnavailableError, match=f"pose_landmark_{model}.tflite is not installed"
    ):
        open_estimator(model)


def test_unknown_and_missing_models(tmp_path):
    with pytest.raises(ModelUnavailableError, match="unknown pose model 'medium'"):
        open_estimator("medium")
    with pytest.raises(ModelUnavailableError, match=r"no such \.task model file"):
        open_estimator(tmp_path / "pose.task")
    bad = tmp_path / "bad.task"
    bad.write_text("not a model")
    with pytest.raises(ModelUnavailableError, match=r"not a usable pose \.task model"):
        open_estimator(bad)


def _frame(videos_dir: Path, name: str, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(videos_dir / name))
    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = capture.read()
    capture.release()
    assert ok, f"cannot read frame {index} of {name}"
    return frame


def test_full_model_finds_the_person_in_pixels(videos_dir):
    frame = _frame(videos_dir, "squats_side_gym.mp4", 30)
    height, width = frame.shape[:2]
    with open_estimator(static_image_mode=True) as estimator:
        assert estimator.name == "mediapipe-legacy-full"
        landmarks = estimator(frame, 1.0)
    assert landmarks.shape == (33, 3) and landmarks.dtype == np.float32
    xs, ys = landmarks[:, 0], landmarks[:, 1]
    # pixel-scaled, not normalised: the person spans a good part of the 1280x720 frame
    assert 0 <= xs.min() < xs.max() <= width and 0 <= ys.min() < ys.max() <= height
    assert ys.max() - ys.min() > 0.3 * height
    # a standing person: shoulders above hips above ankles (image y grows downwards)
    assert ys[[11, 12]].mean() < ys[[23, 24]].mean() < ys[[27, 28]].mean()


def test_no_person_gives_none():
    blank = np.full((360, 480, 3), 127, dtype=np.uint8)
    with open_estimator(static_image_mode=True) as estimator:
        assert estimator(blank, 0.0) is None


def test_wrong_image_type_is_rejected():
    with (
        open_estimator(static_image_mode=True) as estimator,
        pytest.raises(ValueError, match="BGR uint8"),
    ):
        estimator(np.zeros((10, 10), dtype=np.float32), 0.0)
