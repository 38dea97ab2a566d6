"""pyengine: pose classification and repetition counting with a compiled core.

MediaPipe BlazePose gives 33 landmarks per frame; pyengine embeds them, classifies the
pose with a two-stage k-NN against labelled samples, smooths the result and counts
repetitions. Back ends: ``reference`` (pure Python, the oracle), ``numba`` and
``native`` (C++); ``backends.available()`` lists the ones that run here.
"""

from __future__ import annotations

from . import backends
from .classifier import BatchResult, Outlier, PoseClassifier
from .counter import RepetitionCounter
from .errors import (
    BackendError,
    CameraError,
    InvalidPoseError,
    LandmarkFileError,
    ModelUnavailableError,
    PyengineError,
    SampleFileError,
    TrainingFolderError,
    UnknownClassError,
    UsageError,
    VideoError,
)
from .landmarks import LANDMARK_NAMES, pixel_scale
from .samples import PoseSample, SampleSet, default_samples, load_samples
from .smoothing import EMASmoothing

__version__ = "0.1.0"

__all__ = [
    "LANDMARK_NAMES",
    "BackendError",
    "BatchResult",
    "CameraError",
    "EMASmoothing",
    "InvalidPoseError",
    "LandmarkFileError",
    "ModelUnavailableError",
    "Outlier",
    "PoseClassifier",
    "PoseSample",
    "PyengineError",
    "RepetitionCounter",
    "SampleFileError",
    "SampleSet",
    "TrainingFolderError",
    "UnknownClassError",
    "UsageError",
    "VideoError",
    "__version__",
    "backends",
    "default_samples",
    "load_samples",
    "pixel_scale",
]
