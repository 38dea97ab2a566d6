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
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

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

    Every rule lives here, and once more in C++ (``cpp/include/pyengine/config.hpp``),
    with the same order and the same messages (a test checks both agree). Types are
    checked first (integers for ``top_n_*`` and ``window_size``, numbers for the rest),
    then:

    - ``top_n_by_max_distance`` and ``top_n_by_mean_distance`` are >= 1, and the second
      does not exceed the first;
    - ``axes_weights`` are three finite numbers >= 0; ``torso_size_multiplier`` is
      finite and > 0;
    - with ``counting``: ``window_size`` >= 1; ``alpha`` in (0, 1]; both thresholds
      finite with ``0 < exit_threshold < enter_threshold``; and
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
    typed = Settings(
        top_n_by_max_distance=_integer("top_n_by_max_distance", settings.top_n_by_max_distance),
        top_n_by_mean_distance=_integer("top_n_by_mean_distance", settings.top_n_by_mean_distance),
        axes_weights=_three_numbers("axes_weights", settings.axes_weights),
        torso_size_multiplier=_number("torso_size_multiplier", settings.torso_size_multiplier),
        window_size=_integer("window_size", settings.window_size),
        alpha=_number("alpha", settings.alpha),
        enter_threshold=_number("enter_threshold", settings.enter_threshold),
        exit_threshold=_number("exit_threshold", settings.exit_threshold),
    )
    check_top_n(typed.top_n_by_max_distance, typed.top_n_by_mean_distance)
    check_axes_weights(typed.axes_weights)
    check_torso_size_multiplier(typed.torso_size_multiplier)
    if counting:
        check_smoothing(typed.window_size, typed.alpha)
        check_thresholds(typed.enter_threshold, typed.exit_threshold)
        if not typed.enter_threshold < typed.top_n_by_mean_distance:
            _reject(
                "enter_threshold",
                f"be below top_n_by_mean_distance ({typed.top_n_by_mean_distance})",
                typed.enter_threshold,
                "the smoothed confidence never exceeds top_n_by_mean_distance, so the "
                "pose would never be entered",
            )
    return typed


def check_top_n(top_n_by_max_distance: int, top_n_by_mean_distance: int) -> None:
    """Both >= 1, and ``top_n_by_mean_distance`` <= ``top_n_by_max_distance``."""
    if top_n_by_max_distance < 1:
        _reject("top_n_by_max_distance", "be >= 1", top_n_by_max_distance)
    if top_n_by_mean_distance < 1:
        _reject("top_n_by_mean_distance", "be >= 1", top_n_by_mean_distance)
    if top_n_by_mean_distance > top_n_by_max_distance:
        _reject(
            "top_n_by_mean_distance",
            f"not exceed top_n_by_max_distance ({top_n_by_max_distance})",
            top_n_by_mean_distance,
        )


def sample_set_warnings(
    class_counts: Mapping[str, int], settings: Settings, target_classes: Sequence[str]
) -> list[str]:
    """Warnings about a sample set too small for ``settings`` (it runs, but poorly).

    - A target class with no more samples than ``enter_threshold`` can never be counted:
      at most that many neighbours can vote for it, so its confidence never gets above.
    - A target class with fewer samples than ``top_n_by_mean_distance`` can never have
      a unanimous vote; its confidence stays lower than the thresholds assume.
    - A set smaller than ``top_n_by_max_distance`` makes every sample a candidate for
      every pose: stage 1 of the k-NN selects nothing.

    Parameters
    ----------
    class_counts : mapping of str to int
        Samples per class (``SampleSet.class_counts()``).
    settings : Settings
        Validated settings.
    target_classes : sequence of str
        The classes whose repetitions are counted.

    Returns
    -------
    list of str
        Plain-language warnings, empty for a set of a healthy size.
    """
    found = []
    total = sum(class_counts.values())
    top_max, top_mean = settings.top_n_by_max_distance, settings.top_n_by_mean_distance
    if total < top_max:
        found.append(
            f"the sample set holds only {total} poses, fewer than top_n_by_max_distance "
            f"({top_max}): the k-NN has almost nothing to choose from; record a few dozen "
            "poses per class"
        )
    for name in target_classes:
        n = int(class_counts.get(name, 0))
        if n <= settings.enter_threshold:
            found.append(
                f"class {name!r} has only {n} samples: at most {n} neighbours can vote for it, "
                f"so its confidence never rises above enter_threshold "
                f"({settings.enter_threshold:g}) and it can never be counted"
            )
        elif n < top_mean:
            found.append(
                f"class {name!r} has only {n} samples, fewer than top_n_by_mean_distance "
                f"({top_mean}): its confidence can never reach {top_mean}; record more poses"
            )
    return found


def check_axes_weights(weights: Sequence[float]) -> None:
    """Three finite weights >= 0."""
    for axis, weight in enumerate(weights):
        if not (math.isfinite(weight) and weight >= 0):
            _reject(f"axes_weights[{axis}]", "be finite and >= 0", weight)


def check_torso_size_multiplier(value: float) -> float:
    """A finite multiplier > 0; returns it as a float."""
    multiplier = _number("torso_size_multiplier", value)
    if not (math.isfinite(multiplier) and multiplier > 0):
        _reject("torso_size_multiplier", "be finite and > 0", multiplier)
    return multiplier


def check_smoothing(window_size: Any, alpha: Any) -> tuple[int, float]:
    """``window_size`` an integer >= 1 and ``alpha`` in (0, 1]; returns both, typed."""
    window, weight = _integer("window_size", window_size), _number("alpha", alpha)
    if window < 1:
        _reject("window_size", "be a positive integer", window)
    if not 0.0 < weight <= 1.0:
        _reject("alpha", "be in (0, 1]", weight)
    return window, weight


def check_thresholds(enter_threshold: Any, exit_threshold: Any) -> tuple[float, float]:
    """Finite thresholds with ``0 < exit_threshold < enter_threshold``; returns both."""
    enter = _number("enter_threshold", enter_threshold)
    exit_ = _number("exit_threshold", exit_threshold)
    if not math.isfinite(enter):
        _reject("enter_threshold", "be finite", enter)
    if not math.isfinite(exit_):
        _reject("exit_threshold", "be finite", exit_)
    if not exit_ < enter:
        _reject("exit_threshold", f"be below enter_threshold ({enter!r})", exit_)
    if not exit_ > 0:
        _reject(
            "exit_threshold",
            "be > 0",
            exit_,
            "the confidence is never below 0, so the pose would never be left",
        )
    return enter, exit_


def _reject(setting: str, rule: str, value: float, why: str = "") -> NoReturn:
    shown = repr(float(value)) if isinstance(value, float) else str(value)
    raise SettingsError(f"{setting} must {rule}, got {shown}" + (f": {why}" if why else ""))


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise SettingsError(f"{name} must be an integer, got {value!r}")
    number = operator.index(value)
    if not -(2**31) <= number < 2**31:
        raise SettingsError(f"{name} must be a 32-bit integer, got {value!r}")
    return number


def _number(name: str, value: Any) -> float:
    kind = type(value)
    if not (hasattr(kind, "__float__") or hasattr(kind, "__index__")):
        raise SettingsError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise SettingsError(f"{name} must be a number, got {value!r}") from None


def _three_numbers(name: str, values: Any) -> tuple[float, float, float]:
    try:
        items = list(values)
    except TypeError:
        items = []
    if isinstance(values, (str, bytes)) or len(items) != 3:
        raise SettingsError(f"{name} must hold 3 numbers, got {values!r}")
    x, y, z = (_number(f"{name}[{axis}]", item) for axis, item in enumerate(items))
    return x, y, z
