"""The ``pyengine`` command line: one sub-command module per area of the tool.

The top of the dependency graph: it may import any part of pyengine, and nothing in
pyengine imports it. Sub-commands import what they need when they run, so ``pyengine
--help`` starts without loading MediaPipe or compiling kernels.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import __version__, backends
from .._config import BACKEND_ENV
from ..errors import PyengineError, Terminated
from ._quiet import native_output_captured, plain_warnings

#: Exit statuses of an interrupted command, as shells report a death by the signal.
EXIT_INTERRUPTED = 130  # Ctrl-C, SIGINT
EXIT_TERMINATED = 143  # SIGTERM

#: Each module has ``register(subparsers)`` adding its sub-commands; every sub-command
#: sets ``run=callable(args) -> int`` as its default.
COMMAND_MODULES = (
    "pyengine.cli.video_commands",
    "pyengine.cli.capture_commands",
    "pyengine.cli.training_commands",
    "pyengine.cli.web_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyengine",
        description="Pose classification and exercise repetition counting.",
    )
    parser.add_argument("--version", action="version", version=f"pyengine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info = sub.add_parser(
        "info", help="show the version, which back ends run here and which pose models"
    )
    info.set_defaults(run=_run_info)
    install = sub.add_parser(
        "install-model",
        help="install MediaPipe's lite or heavy pose model from a local .tflite file",
        description="Copy pose_landmark_lite.tflite or pose_landmark_heavy.tflite to where "
        "MediaPipe looks for it, so '--model lite' or '--model heavy' runs offline "
        "(MediaPipe would download them on first use). The file's SHA-256 is checked.",
    )
    install.add_argument("model_file", metavar="FILE", help="a .tflite pose landmark model")
    install.set_defaults(run=_run_install_model)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for command in sub.choices.values():
        command.add_argument(
            "--verbose",
            action="store_true",
            help="also show what MediaPipe, TensorFlow Lite and FFmpeg print, and "
            "third-party warnings",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyengine`` command; returns the exit status.

    0 success; 1 the work was done but something the user should act on remains (a
    count that differs from a demo's truth, an output that could not be written at the
    end); 2 an error (bad input, an output that cannot be written, checked before the
    work starts); 130 after Ctrl-C and 143 after SIGTERM (temporary files removed).
    """
    args = build_parser().parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    try:
        with (
            _sigterm_raises(),
            plain_warnings(args.command, verbose),
            native_output_captured(not verbose),
        ):
            return int(args.run(args) or 0)
    except PyengineError as exc:
        print(f"pyengine {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        cause = getattr(exc, "cause", exc)
        terminated = isinstance(cause, Terminated)
        print(
            f"pyengine {args.command}: {'terminated' if terminated else 'interrupted'}",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` in the main thread, so cleanup runs."""

    def terminate(signum, frame) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread (e.g. called from a test's worker thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_info(args: argparse.Namespace) -> int:
    from ..errors import ModelUnavailableError
    from ..pose import LEGACY_MODEL_FILES, installed_legacy_models

    print(f"pyengine {__version__}")
    names = backends.available()
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced:
        try:
            picked = backends.resolve("auto").NAME
        except (ImportError, ValueError) as exc:
            picked = f"none: {BACKEND_ENV}={forced!r} cannot be used ({exc})"
        print(f"back ends available: {', '.join(names)} (auto picks {picked!r}: {BACKEND_ENV})")
    else:
        print(f"back ends available: {', '.join(names)} (auto picks {names[0]!r})")
    for name, reason in backends.unavailable_reasons().items():
        print(f"  {name}: unavailable: {reason}")
    try:
        models = installed_legacy_models()
    except ModelUnavailableError as exc:
        print(f"pose models: none ({exc})")
        return 0
    print("pose models (--model):")
    for name, path in models.items():
        where = (
            str(path) if path else f"not installed ({LEGACY_MODEL_FILES[name]}: see install-model)"
        )
        print(f"  {name:<6} {where}")
    return 0


def _run_install_model(args: argparse.Namespace) -> int:
    from ..pose import install_legacy_model

    target = install_legacy_model(args.model_file)
    print(f"installed {target}")
    return 0
