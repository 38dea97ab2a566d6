"""Repetition counting with hysteresis on a smoothed class confidence (SPEC 6)."""

from __future__ import annotations

import math
from collections.abc import Mapping


class RepetitionCounter:
    """Count how many times the pose enters ``class_name`` and leaves it again.

    Parameters
    ----------
    class_name : str
        The target class, e.g. ``"pushups_down"``.
    enter_threshold : float
        The pose is entered when its confidence rises above this.
    exit_threshold : float
        The pose is left, and one repetition counted, when its confidence falls below this.

    Notes
    -----
    Thresholds are in neighbour counts, so they relate to ``top_n_by_mean_distance``
    (10 by default).
    """

    def __init__(
        self, class_name: str, enter_threshold: float = 6, exit_threshold: float = 4
    ) -> None:
        if not class_name:
            raise ValueError("class_name must be a non-empty string")
        if not (math.isfinite(enter_threshold) and math.isfinite(exit_threshold)):
            raise ValueError("thresholds must be finite")
        if exit_threshold > enter_threshold:
            raise ValueError(
                f"exit_threshold ({exit_threshold}) must not exceed "
                f"enter_threshold ({enter_threshold})"
            )
        self.class_name = class_name
        self.enter_threshold = enter_threshold
        self.exit_threshold = exit_threshold
        self.n_repeats = 0
        self.pose_entered = False

    def __call__(self, pose_classification: Mapping[str, float] | None) -> int:
        """Feed one frame's smoothed classification; return the repetitions so far.

        ``None`` means no pose in the frame: count and state stay as they are.
        """
        if pose_classification is None:
            return self.n_repeats
        confidence = pose_classification.get(self.class_name, 0.0)
        if not self.pose_entered:
            self.pose_entered = confidence > self.enter_threshold
            return self.n_repeats
        if confidence < self.exit_threshold:
            self.n_repeats += 1
            self.pose_entered = False
        return self.n_repeats

    def reset(self) -> None:
        """Back to zero repetitions, outside the pose."""
        self.n_repeats = 0
        self.pose_entered = False
