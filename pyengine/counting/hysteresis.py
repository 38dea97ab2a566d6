"""The published repetition counter: hysteresis on a smoothed class confidence (SPEC 6)."""

from __future__ import annotations

from collections.abc import Mapping

from ..settings import DEFAULT_SETTINGS, check_thresholds


class RepetitionCounter:
    """Count how many times the pose enters ``class_name`` and leaves it again.

    Parameters
    ----------
    class_name : str
        The target class, e.g. ``"pushups_down"``.
    enter_threshold : float, optional
        The pose is entered when its confidence rises above this
        (default: ``Settings.enter_threshold``).
    exit_threshold : float, optional
        The pose is left, and one repetition counted, when its confidence falls below this
        (default: ``Settings.exit_threshold``).

    Raises
    ------
    ValueError
        An empty class name.
    SettingsError
        The thresholds cannot work (not ``0 < exit_threshold < enter_threshold``).

    Notes
    -----
    Thresholds are in neighbour counts, so they relate to ``top_n_by_mean_distance``
    (10 by default).
    """

    def __init__(
        self,
        class_name: str,
        enter_threshold: float | None = None,
        exit_threshold: float | None = None,
    ) -> None:
        if not class_name:
            raise ValueError("class_name must be a non-empty string")
        self.class_name = class_name
        self.enter_threshold, self.exit_threshold = check_thresholds(
            DEFAULT_SETTINGS.enter_threshold if enter_threshold is None else enter_threshold,
            DEFAULT_SETTINGS.exit_threshold if exit_threshold is None else exit_threshold,
        )
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
