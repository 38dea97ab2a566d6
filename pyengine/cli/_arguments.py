"""Options and argument types that several sub-commands share, defined once."""

from __future__ import annotations

import argparse

from .. import backends
from ..errors import SettingsError, UsageError
from ..settings import DEFAULT_SETTINGS, Settings, validate_settings

BACKEND_CHOICES = ("auto", *backends.PREFERENCE)

#: The command-line option of each setting (see :class:`pyengine.settings.Settings`).
SETTING_OPTIONS = {
    "top_n_by_max_distance": "--top-n-max",
    "top_n_by_mean_distance": "--top-n-mean",
    "window_size": "--window",
    "alpha": "--alpha",
    "enter_threshold": "--enter",
    "exit_threshold": "--exit",
}


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def add_samples_argument(parser) -> None:
    """``--samples PATH``: a sample CSV or a folder of per-class CSVs."""
    parser.add_argument(
        "--samples",
        metavar="PATH",
        help="sample CSV or folder of <class>.csv files (default: the bundled ML Kit set)",
    )


def add_exercise_argument(parser) -> None:
    """``--exercise CLASS``, repeatable, into ``args.exercises``."""
    parser.add_argument(
        "--exercise",
        action="append",
        metavar="CLASS",
        dest="exercises",
        help="class to count, repeatable (default: every class ending in _down)",
    )


def add_backend_argument(parser) -> None:
    """``--backend``: which classifier implementation runs."""
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="classifier back end (default: auto, the fastest available)",
    )


def add_model_argument(parser) -> None:
    """``--model``: a legacy BlazePose model by name, or a MediaPipe Tasks ``.task`` file."""
    parser.add_argument(
        "--model",
        default="full",
        metavar="lite|full|heavy|PATH.task",
        help="pose model: BlazePose 'lite' (fastest), 'full' (bundled with MediaPipe) or "
        "'heavy' (most accurate; lite and heavy need 'pyengine install-model' once), or a "
        "MediaPipe Tasks .task file (default: full)",
    )


def add_settings_arguments(parser) -> None:
    """The classifier, smoothing and counting settings; defaults from :class:`Settings`.

    Every option defaults to None ("the setting's default"), so the defaults are written
    only in :mod:`pyengine.settings`; :func:`settings_from_args` validates them together.
    """
    d = DEFAULT_SETTINGS
    options = (
        ("--top-n-max", int, "top_n_by_max_distance", "samples kept by the max-distance stage"),
        ("--top-n-mean", int, "top_n_by_mean_distance", "samples kept by the mean-distance stage"),
        ("--window", int, "window_size", "EMA window in frames"),
        ("--alpha", float, "alpha", "EMA alpha, in (0, 1]"),
        ("--enter", float, "enter_threshold", "enter the pose above this confidence"),
        ("--exit", float, "exit_threshold", "leave it, counting one rep, below this"),
    )
    for option, kind, name, text in options:
        parser.add_argument(
            option, type=kind, dest=name, help=f"{text} (default: {getattr(d, name):g})"
        )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The validated settings given by :func:`add_settings_arguments`'s options.

    Raises
    ------
    UsageError
        Settings that cannot work; the message names the setting and its option.
    """
    changes = {name: getattr(args, name, None) for name in SETTING_OPTIONS}
    try:
        return validate_settings(DEFAULT_SETTINGS.replace(**changes))
    except SettingsError as exc:
        named = [option for name, option in SETTING_OPTIONS.items() if name in str(exc)]
        raise UsageError(f"{exc} (options: {', '.join(named)})" if named else str(exc)) from None
