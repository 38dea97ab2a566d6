"""Quiet by default: what native libraries print, and Python warnings, kept off the terminal.

MediaPipe, TensorFlow Lite, absl and FFmpeg write log lines straight to the process's
standard error (file descriptor 2), below Python, where they break the progress bar and
mean nothing to a user. Unless ``--verbose``, :func:`native_output_captured` points
descriptor 2 at a temporary file for the duration of a command while Python's own
``sys.stderr`` (progress bar, messages) keeps writing to the terminal. If the command
fails with an unexpected error, what the libraries said is shown after all.

:func:`plain_warnings` prints Python warnings raised by pyengine once each, in the
command's own words (``pyengine count: warning: ...``), and hides third-party ones.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
_TAIL_LINES = 30


@contextmanager
def native_output_captured(enabled: bool = True) -> Iterator[None]:
    """Send descriptor 2 to a temporary file while the block runs (if ``enabled``).

    ``sys.stderr`` is re-pointed at the original terminal when it was descriptor 2, so
    Python output is unaffected. On an exception that is not a pyengine error or an
    interruption, the captured lines are printed before it propagates.
    """
    if not enabled:
        yield
        return
    from ..errors import PyengineError

    _flush(sys.stderr)
    saved = os.dup(2)
    log = tempfile.TemporaryFile()
    os.dup2(log.fileno(), 2)
    original = sys.stderr
    python_on_fd2 = _is_fd2(original)
    if python_on_fd2:
        sys.stderr = _text_stream(os.dup(saved), original)
    failed = False
    try:
        yield
    except (PyengineError, KeyboardInterrupt):
        raise
    except BaseException:
        failed = True
        raise
    finally:
        _restore(saved, original, python_on_fd2)
        if failed:
            _print_tail(log)
        log.close()


def _restore(saved: int, original, python_on_fd2: bool) -> None:
    if sys.stderr is not original:
        _flush(sys.stderr)
        if python_on_fd2:
            sys.stderr.close()
        sys.stderr = original
    os.dup2(saved, 2)
    os.close(saved)


def _print_tail(log) -> None:
    log.flush()
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").splitlines()[-_TAIL_LINES:]
    if lines:
        print("native libraries printed, before the error:", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)


def _is_fd2(stream) -> bool:
    try:
        return stream is not None and stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # StringIO, pytest's capture
        return False


def _text_stream(fd: int, like) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        open(fd, "wb", buffering=0),
        encoding=getattr(like, "encoding", None) or "utf-8",
        errors="backslashreplace",
        line_buffering=True,
        write_through=True,
    )


def _flush(stream) -> None:
    try:
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass


@contextmanager
def plain_warnings(command: str, verbose: bool = False) -> Iterator[None]:
    """Print pyengine's warnings once each as ``pyengine COMMAND: warning: message``.

    Warnings raised from outside pyengine (protobuf, MediaPipe's Python code) are shown
    only with ``verbose``, in Python's usual format.
    """
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        ours = str(filename).startswith(_PACKAGE_DIR)
        if not ours and not verbose:
            return
        text = str(message)
        if text in seen:
            return
        seen.add(text)
        stream = sys.stderr if file is None else file
        if ours:
            print(f"pyengine {command}: warning: {text}", file=stream)
        else:
            stream.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield
