"""MediaPipe BlazePose behind one small interface: an image in, pixel landmarks out.

Two MediaPipe APIs are supported:

- the legacy ``mp.solutions.pose`` API with the *full* model that ships inside the
  ``mediapipe==0.10.21`` wheel (the default: it runs offline);
- the Tasks ``PoseLandmarker``, given a ``.task`` model file the user supplies.

The legacy API has three BlazePose landmark models: *lite* (fastest), *full* and *heavy*
(most accurate). Only *full* is in the wheel; MediaPipe would download the other two at
run time. pyengine never lets it: asking for a model whose file is not installed is a
:class:`ModelUnavailableError` saying how to install it (:func:`install_legacy_model`,
``pyengine install-model FILE``), raised before MediaPipe is touched, so it can never
hang on a network that is not there. The model-name-to-file rules live here only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from .errors import ModelUnavailableError
from .landmarks import N_DIMS, N_LANDMARKS

#: Legacy model names and the complexity MediaPipe knows them by.
LEGACY_MODELS = {"lite": 0, "full": 1, "heavy": 2}
#: The file MediaPipe loads for each legacy model, from :func:`legacy_model_folder`.
LEGACY_MODEL_FILES = {
    "lite": "pose_landmark_lite.tflite",
    "full": "pose_landmark_full.tflite",
    "heavy": "pose_landmark_heavy.tflite",
}
_LEGACY_FILES = {LEGACY_MODELS[name]: file for name, file in LEGACY_MODEL_FILES.items()}
#: SHA-256 of the model files of the MediaPipe release pyengine pins (0.10.21, which is
#: the same model release as the npm package @mediapipe/pose 0.5.1675469404).
LEGACY_MODEL_SHA256 = {
    "lite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "heavy": "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
}


def legacy_model_folder() -> Path:
    """Where the installed MediaPipe looks for its legacy pose landmark models.

    Raises
    ------
    ModelUnavailableError
        MediaPipe is not installed.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise ModelUnavailableError("MediaPipe is not installed (pip install mediapipe==0.10.21)")
    return Path(spec.origin).parent / "modules" / "pose_landmark"


def installed_legacy_models() -> dict[str, Path | None]:
    """Each legacy model name (lite, full, heavy) and its file, or None when absent."""
    folder = legacy_model_folder()
    return {
        name: (folder / file if (folder / file).is_file() else None)
        for name, file in LEGACY_MODEL_FILES.items()
    }


def install_legacy_model(model_file: str | os.PathLike[str]) -> Path:
    """Copy a lite or heavy BlazePose ``.tflite`` file to where MediaPipe looks for it.

    For offline machines: MediaPipe downloads these two models on first use, and
    pyengine does not let it. The file is recognised by its name
    (``pose_landmark_lite.tflite`` or ``pose_landmark_heavy.tflite``) and must be the
    model release of the pinned MediaPipe (its SHA-256 is checked).

    Returns
    -------
    Path
        The installed file.

    Raises
    ------
    ModelUnavailableError
        Not a file, an unknown name, or a file of another model release.
    """
    source = Path(model_file)
    names = {file: name for name, file in LEGACY_MODEL_FILES.items() if name in LEGACY_MODEL_SHA256}
    if source.name not in names:
        raise ModelUnavailableError(
            f"{source}: expected one of {', '.join(sorted(names))} (the file name says which model)"
        )
    if not source.is_file():
        raise ModelUnavailableError(f"{source}: no such file")
    expected = LEGACY_MODEL_SHA256[names[source.name]]
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != expected:
        raise ModelUnavailableError(
            f"{source}: sha256 {digest[:12]}... is not the {names[source.name]} model of "
            f"mediapipe==0.10.21 ({expected[:12]}...)"
        )
    target = legacy_model_folder() / source.name
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return target
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ModelUnavailableError(
            f"cannot install {source.name} in {target.parent}: {exc.strerror or exc}"
        ) from None
    return target


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
    folder = legacy_model_folder()
    model = folder / _LEGACY_FILES[complexity]
    if not model.is_file():
        raise ModelUnavailableError(
            f"pose model {_LEGACY_FILES[complexity]} is not installed ({folder}); MediaPipe "
            "would download it at run time, and pyengine does not. Install the file with "
            f"'pyengine install-model {_LEGACY_FILES[complexity]}', or use model 'full' "
            "(it ships with mediapipe==0.10.21) or a .task model file"
        )


def _tasks_modules():
    try:
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError as exc:
        raise ModelUnavailableError(
            f"this MediaPipe has no Tasks PoseLandmarker API: {exc}"
        ) from exc
    return vision, BaseOptions
