"""EMA smoothing of classification results over a window of frames (SPEC 5)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from ..settings import DEFAULT_SETTINGS, check_smoothing


class EMASmoothing:
    """Exponential moving average over the last ``window_size`` classification dicts.

    For every class seen in the window, ``smoothed = sum(a**i * v_i) / sum(a**i)`` with
    ``a = 1 - alpha``, ``i = 0`` for the newest frame and ``v_i = 0`` where a frame lacks
    the class. Frames with no pose push an empty dict.

    Parameters
    ----------
    window_size : int, optional
        Number of most recent frames that count (default: ``Settings.window_size``).
    alpha : float, optional
        Weight of the newest frame, in ``(0, 1]`` (default: ``Settings.alpha``).

    Raises
    ------
    SettingsError
        ``window_size`` or ``alpha`` out of range.
    """

    def __init__(self, window_size: int | None = None, alpha: float | None = None) -> None:
        self.window_size, self.alpha = check_smoothing(
            DEFAULT_SETTINGS.window_size if window_size is None else window_size,
            DEFAULT_SETTINGS.alpha if alpha is None else alpha,
        )
        self._window: deque[Mapping[str, float]] = deque(maxlen=self.window_size)

    def __call__(self, data: Mapping[str, float] | None) -> dict[str, float]:
        """Push one frame's ``{class_name: count}`` (``None`` or ``{}`` for no pose).

        Returns the smoothed ``{class_name: confidence}`` for every class in the window.
        """
        self._window.appendleft(dict(data) if data else {})
        keys = {key for frame in self._window for key in frame}
        smoothed = {}
        for key in sorted(keys):
            # Same order of operations as the published code: the factor is multiplied
            # step by step, not raised to a power, so every back end sums identically.
            factor = 1.0
            top_sum = 0.0
            bottom_sum = 0.0
            for frame in self._window:
                value = frame.get(key, 0.0)
                top_sum += factor * value
                bottom_sum += factor
                factor *= 1.0 - self.alpha
            smoothed[key] = top_sum / bottom_sum
        return smoothed

    def reset(self) -> None:
        """Forget every frame."""
        self._window.clear()
