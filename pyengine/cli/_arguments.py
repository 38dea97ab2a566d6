"""Options and argument types that several sub-commands share, defined once."""

from __future__ import annotations

import argparse

from .. import backends

BACKEND_CHOICES = ("auto", *backends.PREFERENCE)


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
    """``--model``: the bundled full model or a MediaPipe Tasks ``.task`` file."""
    parser.add_argument(
        "--model",
        default="full",
        metavar="full|PATH.task",
        help="pose model: 'full' (bundled with MediaPipe) or a MediaPipe Tasks .task file "
        "(default: full)",
    )
