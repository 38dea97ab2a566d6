"""The counting engine the server runs: the very pose model, stage and report of ``count``.

Each upload job and each live socket gets its own classifier, counting stage and pose
estimator (MediaPipe's tracking mode follows one stream; a classifier costs under a
millisecond to build), so sessions never share state.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ..classifier import PoseClassifier
from ..counting import CountingStage, target_classes
from ..landmarks import SKELETON_EDGES
from ..pose import PoseEstimator, open_estimator
from ..report import build_report
from ..samples import SampleSet
from ..settings import Settings, validate_settings
from ..video.pipeline import PipelineResult
from ..video.readers import VideoInfo
from ..video.render import Renderer


class Engine:
    """How the server counts: samples, settings, back end, pose model and exercises.

    Parameters
    ----------
    samples : SampleSet
        The labelled poses.
    samples_source : str
        Where they came from (a path or ``"bundled"``), for the reports.
    settings : Settings
        Classifier, smoothing and counting settings (validated here).
    backend : str
        Classifier back end (``"auto"`` or a name).
    model : str
        Pose model: ``"full"``, ``"lite"``, ``"heavy"`` or a ``.task`` path.
    exercises : sequence of str, optional
        Classes to count (default: every class ending in ``_down``).

    Raises
    ------
    UnknownClassError, SettingsError, BackendError
        The same as ``pyengine count`` with these options.
    """

    def __init__(
        self,
        samples: SampleSet,
        samples_source: str,
        settings: Settings,
        *,
        backend: str = "auto",
        model: str = "full",
        exercises: Sequence[str] | None = None,
    ) -> None:
        self.samples = samples
        self.samples_source = samples_source
        self.settings = validate_settings(settings)
        self.backend = backend
        self.model = model
        self.target_classes = target_classes(samples, exercises)
        PoseClassifier(samples, settings, backend=backend)  # a bad back end fails now

    def new_counting(self) -> CountingStage:
        """A fresh classifier and counting stage for one session."""
        classifier = PoseClassifier(self.samples, self.settings, backend=self.backend)
        return CountingStage(classifier, self.target_classes)

    def open_estimator(self) -> PoseEstimator:
        """A fresh pose estimator (tracking mode) for one stream of frames."""
        return open_estimator(self.model)

    def renderer(self, info: VideoInfo, counting: CountingStage) -> Renderer:
        """The overlay ``pyengine count --out`` draws."""
        return Renderer(
            info.width,
            info.height,
            counting.target_classes,
            top_n=self.settings.top_n_by_mean_distance,
            thresholds=(self.settings.enter_threshold, self.settings.exit_threshold),
        )

    def report(
        self, result: PipelineResult, counting: CountingStage, *, source_name: str
    ) -> dict[str, Any]:
        """The ``--json`` report of a run; its input is named ``source_name``, never a path."""
        report = build_report(result, counting, samples_source=self.samples_source)
        report["input"]["source"] = source_name
        report["warnings"] = [
            w.replace(str(result.info.source), source_name) for w in report["warnings"]
        ]
        return report

    def describe(self) -> dict[str, Any]:
        """What the page needs to know: the counted classes and the skeleton's edges."""
        return {
            "classes": list(self.target_classes),
            "skeleton": [list(edge) for edge in SKELETON_EDGES],
            "top_n": self.settings.top_n_by_mean_distance,
            "thresholds": [self.settings.enter_threshold, self.settings.exit_threshold],
        }


def warm_up(engine: Engine) -> threading.Thread:
    """Load MediaPipe and the classifier in the background, so the first session is quick."""

    def run() -> None:
        engine.new_counting()
        with engine.open_estimator():
            pass

    thread = threading.Thread(target=run, name="pyengine-warm-up", daemon=True)
    thread.start()
    return thread
