"""MediaPipe BlazePose behind one small interface: an image in, pixel landmarks out.

Two MediaPipe APIs are supported:

- the legacy ``mp.solutions.pose`` API with the *full* model that ships inside the
  ``mediapipe==0.10.21`` wheel (the default: it runs offline);
- the Tasks ``PoseLandmarker``, given a ``.task`` model file the user supplies.

The *lite* and *heavy* legacy models are not in the wheel and MediaPipe would try to
download them at run time; asking for one is a :class:`ModelUnavailableError` that says
so, raised before MediaPipe is touched, so it can never hang on a network that is not
there.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from .errors import ModelUnavailableError
from .landmarks import N_DIMS, N_LANDMARKS

#: Legacy model names and the complexity MediaPipe knows them by.
LEGACY_MODELS = {"lite": 0, "full": 1, "heavy": 2}
_LEGACY_FILES = {
    0: "pose_landmark_lite.tflite",
    1: "pose_landmark_full.tflite",
    2: "pose_landmark_heavy.tflite",
}


class PoseEstimator(Protocol):
    """Anything that turns a BGR image into pixel-scaled landmarks (SPEC 1)."""

    name: str

    def __call__(self, bgr: np.ndarray, time_s: float) -> np.ndarray | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseEstimator: ...

    def __exit__(self, *exc: object) -> None: ...


def open_estimator(
    model: str | os.PathLike[str] = "full",
    *,
    static_image_mode: bool = False,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
) -> PoseEstimator:
    """Open a BlazePose estimator.

    Parameters
    ----------
    model : str or os.PathLike
        ``"full"`` (bundled with MediaPipe 0.10.21), ``"lite"`` or ``"heavy"`` for the
        legacy API, or the path of a MediaPipe Tasks ``.task`` pose model.
    static_image_mode : bool
        True for unrelated images (detection on every image); False for video frames
        given in order (tracking mode, one person).
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe's thresholds.

    Returns
    -------
    PoseEstimator
        Call it as ``estimator(bgr, time_s)``; use it as a context manager or ``close()`` it.

    Raises
    ------
    ModelUnavailableError
        The model is not on this machine, or the MediaPipe API it needs is missing.
    """
    text = os.fspath(model)
    if text in LEGACY_MODELS:
        return LegacyPoseEstimator(
            LEGACY_MODELS[text],
            static_image_mode,
            min_detection_confidence,
            min_tracking_confidence,
        )
    path = Path(text)
    if path.suffix.lower() != ".task":
        raise ModelUnavailableError(
            f"unknown pose model {text!r}: use 'full', 'lite', 'heavy' or a path to a .task file"
        )
    return TasksPoseEstimator(
        path, static_image_mode, min_detection_confidence, min_tracking_confidence
    )


_E = TypeVar("_E", bound="_Estimator")


class _Estimator:
    name = "pose"

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class LegacyPoseEstimator(_Estimator):
    """``mp.solutions.pose.Pose``: one person, tracking mode unless static."""

    def __init__(
        self,
        complexity: int,
        static_image_mode: bool,
        min_detection_confidence: float,
        min_tracking_confidence: float,
    ) -> None:
        solutions = _legacy_pose_module()
        _require_legacy_model(complexity)
        self.name = f"mediapipe-legacy-{_LEGACY_FILES[complexity].split('_')[-1].split('.')[0]}"
        self._pose = solutions.Pose(
            static_image_mode=static_image_mode,
            model_complexity=complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def __call__(self, bgr: np.ndarray, time_s: float = 0.0) -> np.ndarray | None:
        rgb = _to_rgb(bgr)
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        height, width = bgr.shape[:2]
        return _pixel_landmarks(result.pose_landmarks.landmark, width, height)

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None


class TasksPoseEstimator(_Estimator):
    """MediaPipe Tasks ``PoseLandmarker`` from a user-supplied ``.task`` file."""

    def __init__(
        self,
        path: Path,
        static_image_mode: bool,
        min_detection_confidence: float,
        min_tracking_confidence: float,
    ) -> None:
        if not path.is_file():
            raise ModelUnavailableError(f"{path}: no such .task model file")
        vision, base_options = _tasks_modules()
        self._vision = vision
        self._static = static_image_mode
        mode = vision.RunningMode.IMAGE if static_image_mode else vision.RunningMode.VIDEO
        options = vision.PoseLandmarkerOptions(
            base_options=base_options(model_asset_path=str(path)),
            running_mode=mode,
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        try:
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(f"{path}: not a usable pose .task model: {exc}") from None
        self.name = f"mediapipe-tasks-{path.stem}"
        self._last_ms = -1

    def __call__(self, bgr: np.ndarray, time_s: float = 0.0) -> np.ndarray | None:
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=_to_rgb(bgr))
        if self._static:
            result = self._landmarker.detect(image)
        else:
            # VIDEO mode needs strictly increasing integer milliseconds.
            self._last_ms = max(round(time_s * 1000), self._last_ms + 1)
            result = self._landmarker.detect_for_video(image, self._last_ms)
        if not result.pose_landmarks:
            return None
        height, width = bgr.shape[:2]
        return _pixel_landmarks(result.pose_landmarks[0], width, height)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None


def _pixel_landmarks(landmarks, width: int, height: int) -> np.ndarray:
    """SPEC 1: ``(x * width, y * height, z * width)`` as float32."""
    out = np.array(
        [[lmk.x * width, lmk.y * height, lmk.z * width] for lmk in landmarks], dtype=np.float32
    )
    if out.shape != (N_LANDMARKS, N_DIMS):
        raise RuntimeError(f"pose model returned {len(out)} landmarks, expected {N_LANDMARKS}")
    return out


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 image (H, W, 3), got {bgr.dtype} {bgr.shape}")
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    rgb.flags.writeable = False  # lets MediaPipe use the buffer without a copy
    return rgb


def _legacy_pose_module():
    try:
        from mediapipe.python.solutions import pose
    except ImportError as exc:
        raise ModelUnavailableError(
            "this MediaPipe has no legacy mp.solutions.pose API (it was removed after 0.10.21); "
            "install mediapipe==0.10.21 or pass a .task model file for the Tasks API"
        ) from exc
    return pose


def _require_legacy_model(complexity: int) -> None:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise ModelUnavailableError("MediaPipe is not installed (pip install mediapipe==0.10.21)")
    folder = Path(spec.origin).parent / "modules" / "pose_landmark"
    model = folder / _LEGACY_FILES[complexity]
    if not model.is_file():
        raise ModelUnavailableError(
            f"pose model {_LEGACY_FILES[complexity]} is not installed ({folder}); MediaPipe "
            "would download it at run time, and pyengine does not. Use model 'full', which "
            "ships with mediapipe==0.10.21, or a .task model file"
        )


def _tasks_modules():
    try:
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError as exc:
        raise ModelUnavailableError(
            f"this MediaPipe has no Tasks PoseLandmarker API: {exc}"
        ) from exc
    return vision, BaseOptions
