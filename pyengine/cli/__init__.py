"""The ``pyengine`` command line: one sub-command module per area of the tool.

The top of the dependency graph: it may import any part of pyengine, and nothing in
pyengine imports it. Sub-commands import what they need when they run, so ``pyengine
--help`` starts without loading MediaPipe or compiling kernels.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__, backends
from ..errors import PyengineError

#: Each module has ``register(subparsers)`` adding its sub-commands; every sub-command
#: sets ``run=callable(args) -> int`` as its default.
COMMAND_MODULES = (
    "pyengine.cli.video_commands",
    "pyengine.cli.capture_commands",
    "pyengine.cli.training_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyengine",
        description="Pose classification and exercise repetition counting.",
    )
    parser.add_argument("--version", action="version", version=f"pyengine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info = sub.add_parser("info", help="show the version and which back ends run here")
    info.set_defaults(run=_run_info)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyengine`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except PyengineError as exc:
        print(f"pyengine {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pyengine {args.command}: interrupted", file=sys.stderr)
        return 130


def _run_info(args: argparse.Namespace) -> int:
    print(f"pyengine {__version__}")
    names = backends.available()
    print(f"back ends available: {', '.join(names)} (auto picks {names[0]!r})")
    for name, reason in backends.unavailable_reasons().items():
        print(f"  {name}: unavailable: {reason}")
    return 0
