"""The published counting mode: classify -> EMA smoothing -> hysteresis counter per frame.

:class:`CountingStage` is what ``count``, ``live`` and the demo run on every frame (SPEC
4-6, exactly as published); it records each repetition's start and end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..classifier import PoseClassifier
from ..errors import UnknownClassError
from ..samples import SampleSet
from ..settings import Settings, validate_settings
from .hysteresis import RepetitionCounter
from .smoothing import EMASmoothing


@dataclass(frozen=True)
class Repetition:
    """One counted repetition of ``class_name``.

    ``start_*`` is the frame where the counter entered the pose, ``end_*`` the frame
    where it left it and counted the repetition.
    """

    class_name: str
    start_frame: int
    start_s: float
    end_frame: int
    end_s: float


@dataclass(frozen=True)
class FrameResult:
    """What the counting stage made of one frame.

    ``landmarks`` is what the pose model gave (None: no person); ``raw`` is ``{}`` when
    the frame has no classifiable pose, and then the counters did not move.
    """

    index: int
    time_s: float
    landmarks: np.ndarray | None
    raw: dict[str, int]
    smoothed: dict[str, float]
    counts: dict[str, int]


class Clock(Protocol):
    """Where the stage reports how long classifying and smoothing/counting took."""

    def add(self, stage: str, nanoseconds: int) -> None: ...


def target_classes(samples: SampleSet, requested: Sequence[str] | None = None) -> tuple[str, ...]:
    """The classes to count: ``requested`` (each checked), or every class ending in ``_down``.

    Raises
    ------
    UnknownClassError
        A requested class is not in the samples, or no class ends in ``_down``.
    """
    if requested:
        for name in requested:
            samples.require_class(name)
        return tuple(dict.fromkeys(requested))
    defaults = tuple(c for c in samples.class_names if c.endswith("_down"))
    if not defaults:
        raise UnknownClassError(
            f"no class ends in '_down' ({', '.join(samples.class_names)}); "
            "name the classes to count with --exercise"
        )
    return defaults


class CountingStage:
    """Classify, smooth and count one frame at a time, recording every repetition.

    Parameters
    ----------
    classifier : PoseClassifier
        The k-NN classifier; its :class:`~pyengine.settings.Settings` also give the
        smoothing window, alpha and the hysteresis thresholds.
    target_classes : sequence of str
        Classes to count repetitions of (one :class:`RepetitionCounter` each).

    Raises
    ------
    UnknownClassError
        A target class is not in the classifier's samples.
    SettingsError
        The classifier's smoothing or counting settings cannot work.
    ValueError
        No target class.
    """

    def __init__(self, classifier: PoseClassifier, target_classes: Sequence[str]) -> None:
        if not target_classes:
            raise ValueError("at least one target class is needed")
        for name in target_classes:
            classifier.samples.require_class(name)
        validate_settings(classifier.settings)
        self.classifier = classifier
        self.target_classes = tuple(dict.fromkeys(target_classes))
        self.smoothing = EMASmoothing(self.settings.window_size, self.settings.alpha)
        self.counters = {
            name: RepetitionCounter(
                name, self.settings.enter_threshold, self.settings.exit_threshold
            )
            for name in self.target_classes
        }
        self.repetitions: dict[str, list[Repetition]] = {n: [] for n in self.target_classes}
        self.no_pose_frames: list[int] = []
        self._entered_at: dict[str, tuple[int, float]] = {}

    @property
    def settings(self) -> Settings:
        """The classifier's settings, which this stage smooths and counts with."""
        return self.classifier.settings

    def __call__(
        self,
        index: int,
        time_s: float,
        landmarks: np.ndarray | None,
        clock: Clock | None = None,
    ) -> FrameResult:
        """Process one frame (``landmarks=None`` when the pose model found no one)."""
        t0 = time.perf_counter_ns()
        raw = self.classifier.classify_frame(landmarks)
        t1 = time.perf_counter_ns()
        # {} also covers a pose that cannot be embedded: "no pose" for a live frame (SPEC 3).
        smoothed = self.smoothing(raw)
        counts = {
            name: self._count(name, index, time_s, smoothed if raw else None)
            for name in self.counters
        }
        t2 = time.perf_counter_ns()
        if clock is not None:
            clock.add("classify", t1 - t0)
            clock.add("smooth_count", t2 - t1)
        if not raw:
            self.no_pose_frames.append(index)
        return FrameResult(index, time_s, landmarks, raw, smoothed, counts)

    def _count(
        self, name: str, index: int, time_s: float, smoothed: Mapping[str, float] | None
    ) -> int:
        counter = self.counters[name]
        was_entered, before = counter.pose_entered, counter.n_repeats
        after = counter(smoothed)
        if counter.pose_entered and not was_entered:
            self._entered_at[name] = (index, time_s)
        if after > before:
            start_frame, start_s = self._entered_at.pop(name)
            self.repetitions[name].append(Repetition(name, start_frame, start_s, index, time_s))
        return after

    def reset(self) -> None:
        """Zero every count and forget the smoothing window and the recorded repetitions."""
        self.smoothing.reset()
        for counter in self.counters.values():
            counter.reset()
        self.repetitions = {name: [] for name in self.target_classes}
        self.no_pose_frames = []
        self._entered_at = {}

    @property
    def counts(self) -> dict[str, int]:
        """Repetitions so far per target class."""
        return {name: counter.n_repeats for name, counter in self.counters.items()}

    def warnings(self, n_frames: int, source: str) -> list[str]:
        """Warnings about the run so far (no person at all, a repetition left open)."""
        found = []
        if n_frames == 0:
            found.append(f"{source}: no frames were read")
        elif len(self.no_pose_frames) == n_frames:
            found.append(
                f"{source}: no pose was found in any of the {n_frames} frames; every count is 0"
            )
        for name, (frame, time_s) in sorted(self._entered_at.items()):
            found.append(
                f"{name}: the input ended inside the pose (entered at frame {frame}, "
                f"{time_s:.2f} s); that unfinished repetition is not counted"
            )
        return found
