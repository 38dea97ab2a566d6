"""EMA smoothing of classification results over a window of frames (SPEC 5)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping


class EMASmoothing:
    """Exponential moving average over the last ``window_size`` classification dicts.

    For every class seen in the window, ``smoothed = sum(a**i * v_i) / sum(a**i)`` with
    ``a = 1 - alpha``, ``i = 0`` for the newest frame and ``v_i = 0`` where a frame lacks
    the class. Frames with no pose push an empty dict.

    Parameters
    ----------
    window_size : int
        Number of most recent frames that count.
    alpha : float
        Weight of the newest frame, in ``(0, 1]``.
    """

    def __init__(self, window_size: int = 10, alpha: float = 0.2) -> None:
        if isinstance(window_size, bool) or not isinstance(window_size, int) or window_size < 1:
            raise ValueError(f"window_size must be a positive integer, got {window_size!r}")
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        self.window_size = window_size
        self.alpha = float(alpha)
        self._window: deque[Mapping[str, float]] = deque(maxlen=window_size)

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
