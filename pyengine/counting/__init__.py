"""Counting repetitions from per-frame classifications.

- :mod:`~pyengine.counting.smoothing`: :class:`EMASmoothing` (SPEC 5).
- :mod:`~pyengine.counting.hysteresis`: :class:`RepetitionCounter` (SPEC 6).
- :mod:`~pyengine.counting.stage`: :class:`CountingStage`, the published counting mode
  (classify -> smooth -> count per frame), with the repetitions it records and the rule
  that picks the classes to count.

May import: :mod:`pyengine.classifier`, :mod:`pyengine.samples`,
:mod:`pyengine.settings`, :mod:`pyengine.errors`. Never :mod:`pyengine.video` (frames
are not its business) nor the command line.
"""

from __future__ import annotations

from .hysteresis import RepetitionCounter
from .smoothing import EMASmoothing
from .stage import CountingStage, FrameResult, Repetition, target_classes

__all__ = [
    "CountingStage",
    "EMASmoothing",
    "FrameResult",
    "Repetition",
    "RepetitionCounter",
    "target_classes",
]
