"""Every tunable setting of the classifier, the smoothing and the counter, defined once.

:class:`Settings` holds the published defaults (SPEC 3-6); :func:`validate_settings` is
the one place that decides whether a combination can work. The API
(:class:`~pyengine.PoseClassifier`, :class:`~pyengine.EMASmoothing`,
:class:`~pyengine.RepetitionCounter`, the counting stage), the command line, the report
and the native back end all go through it. The C++ core states the same defaults and
rules once, in ``cpp/include/pyengine/config.hpp``; a test checks that both agree.

This module imports nothing from pyengine but :mod:`pyengine.errors`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import SettingsError


@dataclass(frozen=True)
class Settings:
    """Classifier, smoothing and counting settings; the defaults are the published ones.

    Attributes
    ----------
    top_n_by_max_distance : int
        Samples kept by stage 1 of the k-NN (smallest maximum coordinate distance).
    top_n_by_mean_distance : int
        Samples kept by stage 2 (smallest mean distance); they vote for their classes.
    axes_weights : tuple of float
        Weights of the x, y and z coordinate differences.
    torso_size_multiplier : float
        The pose size is at least this many torso lengths.
    window_size : int
        Frames in the EMA smoothing window.
    alpha : float
        EMA weight of the newest frame.
    enter_threshold : float
        The counter enters the pose when the smoothed confidence rises above this.
    exit_threshold : float
        The counter leaves the pose, counting one repetition, when it falls below this.
    """

    top_n_by_max_distance: int = 30
    top_n_by_mean_distance: int = 10
    axes_weights: tuple[float, float, float] = (1.0, 1.0, 0.2)
    torso_size_multiplier: float = 2.5
    window_size: int = 10
    alpha: float = 0.2
    enter_threshold: float = 6.0
    exit_threshold: float = 4.0

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (``None`` values are ignored); not validated."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (``axes_weights`` as a list)."""
        values = dataclasses.asdict(self)
        values["axes_weights"] = list(self.axes_weights)
        return values


#: The published defaults.
DEFAULT_SETTINGS = Settings()

#: Names of the settings, in declaration order.
SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings))


def validate_settings(settings: Settings, *, counting: bool = True) -> Settings:
    """Check that ``settings`` can work; return them with normalised types.

    Every rule lives here (and once more in C++, ``config.hpp``):

    - ``top_n_by_max_distance`` and ``top_n_by_mean_distance`` are integers >= 1, and the
      second does not exceed the first;
    - ``axes_weights`` are three finite numbers >= 0; ``torso_size_multiplier`` is
      finite and > 0;
    - with ``counting``: ``window_size`` is an integer >= 1; ``alpha`` is in (0, 1]; both
      thresholds are finite, ``0 < exit_threshold < enter_threshold``, and
      ``enter_threshold < top_n_by_mean_distance`` (the smoothed confidence never exceeds
      the number of neighbours, so a higher threshold could never be entered).

    Parameters
    ----------
    settings : Settings
        The settings to check.
    counting : bool
        Also check the smoothing and counting settings. A classifier alone checks only
        its own four; anything that counts checks them all.

    Raises
    ------
    SettingsError
        The first rule broken; the message names the setting and its value.
    """
    top_max = check_top_n("top_n_by_max_distance", settings.top_n_by_max_distance)
    top_mean = check_top_n("top_n_by_mean_distance", settings.top_n_by_mean_distance)
    if top_mean > top_max:
        raise SettingsError(
            f"top_n_by_mean_distance ({top_mean}) must not exceed "
            f"top_n_by_max_distance ({top_max}): stage 2 keeps samples from stage 1"
        )
    weights = check_axes_weights(settings.axes_weights)
    multiplier = check_torso_size_multiplier(settings.torso_size_multiplier)
    checked = dataclasses.replace(
        settings,
        top_n_by_max_distance=top_max,
        top_n_by_mean_distance=top_mean,
        axes_weights=weights,
        torso_size_multiplier=multiplier,
    )
    if not counting:
        return checked
    window, alpha = check_smoothing(settings.window_size, settings.alpha)
    enter, exit_ = check_thresholds(settings.enter_threshold, settings.exit_threshold)
    if enter >= top_mean:
        raise SettingsError(
            f"enter_threshold ({enter:g}) must be below top_n_by_mean_distance ({top_mean}): "
            "the smoothed confidence never exceeds the number of neighbours"
        )
    return Settings(top_max, top_mean, weights, multiplier, window, alpha, enter, exit_)


def check_top_n(name: str, value: Any) -> int:
    """An integer >= 1 for one of the two ``top_n_*`` settings."""
    if isinstance(value, bool) or not _is_integer(value) or value < 1:
        raise SettingsError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_axes_weights(weights: Sequence[float]) -> tuple[float, float, float]:
    """Three finite weights >= 0."""
    try:
        values = tuple(float(w) for w in weights)
    except (TypeError, ValueError):
        raise SettingsError(f"axes_weights must be three numbers, got {weights!r}") from None
    if len(values) != 3 or not all(math.isfinite(w) and w >= 0 for w in values):
        raise SettingsError(f"axes_weights must be three finite numbers >= 0, got {weights!r}")
    return values[0], values[1], values[2]


def check_torso_size_multiplier(value: float) -> float:
    """A finite multiplier > 0."""
    multiplier = _number("torso_size_multiplier", value)
    if not (math.isfinite(multiplier) and multiplier > 0):
        raise SettingsError(f"torso_size_multiplier must be finite and > 0, got {value!r}")
    return multiplier


def check_smoothing(window_size: Any, alpha: float) -> tuple[int, float]:
    """``window_size`` an integer >= 1 and ``alpha`` in (0, 1]."""
    if isinstance(window_size, bool) or not _is_integer(window_size) or window_size < 1:
        raise SettingsError(f"window_size must be an integer >= 1, got {window_size!r}")
    value = _number("alpha", alpha)
    if not 0.0 < value <= 1.0:
        raise SettingsError(f"alpha must be in (0, 1], got {alpha!r}")
    return int(window_size), value


def check_thresholds(enter_threshold: float, exit_threshold: float) -> tuple[float, float]:
    """Finite thresholds with ``0 < exit_threshold < enter_threshold``."""
    enter = _number("enter_threshold", enter_threshold)
    exit_ = _number("exit_threshold", exit_threshold)
    for name, value in (("enter_threshold", enter), ("exit_threshold", exit_)):
        if not math.isfinite(value):
            raise SettingsError(f"{name} must be finite, got {value!r}")
    if exit_ >= enter:
        raise SettingsError(
            f"exit_threshold ({exit_:g}) must be below enter_threshold ({enter:g}): "
            "the pose is left below exit_threshold after being entered above enter_threshold"
        )
    if exit_ <= 0:
        raise SettingsError(
            f"exit_threshold ({exit_:g}) must be above 0: the confidence is never below 0, "
            "so the pose would never be left"
        )
    return enter, exit_


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise SettingsError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {value!r}") from None


def _is_integer(value: Any) -> bool:
    try:
        return int(value) == value and not isinstance(value, float)
    except (TypeError, ValueError, OverflowError):
        return False
