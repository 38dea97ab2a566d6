"""Atomic file output: a write goes to a temporary file beside the target, then a rename.

An interrupted write leaves the old file (or none), never a half-written one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_beside(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty temporary file next to ``path``, with the permissions a plain
    ``open()`` would give (``mkstemp`` alone makes it private to the owner)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_current_umask())
    finally:
        os.close(fd)
    return Path(tmp)


@contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success, fsync it and rename it to ``path``."""
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        with open(tmp, mode, **open_kwargs) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically, line endings exactly as given."""
    with atomic_output(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_output(path, "wb") as out:
        out.write(data)
