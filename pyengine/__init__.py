"""pyengine: pose classification and repetition counting with a compiled core.

MediaPipe BlazePose gives 33 landmarks per frame; pyengine embeds them, classifies the
pose with a two-stage k-NN against labelled samples, smooths the result and counts
repetitions. Back ends: ``reference`` (pure Python, the oracle), ``numba`` and
``native`` (C++); ``backends.available()`` lists the ones that run here.

The package, by folder (each says what it holds and what it may import):

- ``settings``, ``samples``, ``landmarks``, ``classifier``: the k-NN and its inputs;
- ``backends/``: the interchangeable implementations of the embedding and the k-NN;
- ``counting/``: smoothing and repetition counters;
- ``pose``: MediaPipe pose estimators; ``video/``: frames in and out (readers, the
  threaded pipeline, rendering, the writer, landmark files);
- ``report/``: the JSON report and the printed summary; ``synthetic``/``demo``: a
  synthesised workout; ``training/``: building sample sets; ``workout_log``: the SQLite
  log of counted sessions; ``web/``: ``pyengine serve``; ``cli/``: the command.
"""

from __future__ import annotations

from . import backends
from ._version import __version__
from .classifier import BatchResult, Outlier, PoseClassifier
from .counting import EMASmoothing, RepetitionCounter
from .errors import (
    BackendError,
    CameraError,
    InvalidPoseError,
    LandmarkFileError,
    ModelUnavailableError,
    OutputError,
    PyengineError,
    SampleFileError,
    SettingsError,
    Terminated,
    TrainingFolderError,
    UnknownClassError,
    UsageError,
    VideoError,
    WorkoutLogError,
)
from .landmarks import LANDMARK_NAMES, pixel_scale
from .samples import PoseSample, SampleSet, default_samples, load_samples
from .settings import DEFAULT_SETTINGS, Settings, validate_settings

__all__ = [
    "DEFAULT_SETTINGS",
    "LANDMARK_NAMES",
    "BackendError",
    "BatchResult",
    "CameraError",
    "EMASmoothing",
    "InvalidPoseError",
    "LandmarkFileError",
    "ModelUnavailableError",
    "Outlier",
    "OutputError",
    "PoseClassifier",
    "PoseSample",
    "PyengineError",
    "RepetitionCounter",
    "SampleFileError",
    "SampleSet",
    "Settings",
    "SettingsError",
    "Terminated",
    "TrainingFolderError",
    "UnknownClassError",
    "UsageError",
    "VideoError",
    "WorkoutLogError",
    "__version__",
    "backends",
    "default_samples",
    "load_samples",
    "pixel_scale",
    "validate_settings",
]
