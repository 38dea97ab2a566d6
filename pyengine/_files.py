"""Atomic file output: a write goes to a temporary file beside the target, then a rename.

An interrupted write leaves the old file (or none), never a half-written one. The
``check_*`` functions let a command find out, before any slow work, that an output
cannot be written there at all.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import OutputError


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


def check_output_file(path: str | os.PathLike[str], option: str = "output") -> Path:
    """Make sure a file can be written (atomically) at ``path``, before the work starts.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written; its folder must exist.
    option : str
        How the user named it (e.g. ``"--json"``), for the message.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        ``path`` is a folder, its folder does not exist, or nothing can be created in it
        (read-only, no permission, full): the message names the option and the folder.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; give the name of a file to write")
    folder = path.parent
    if not folder.is_dir():
        missing = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"{option} {path}: folder {folder} {missing}")
    _probe_folder(folder, option, path)
    return path


def check_output_folder(folder: str | os.PathLike[str], option: str = "output") -> Path:
    """Make sure files can be written in ``folder``, or that it can be created.

    Raises
    ------
    OutputError
        ``folder`` is a file, or the folder (or its nearest existing parent, where it
        would be created) cannot be written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option} {folder}: is a file, not a folder")
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(f"{option} {folder}: {existing} is a file, not a folder")
    _probe_folder(existing, option, folder)
    return folder


def _probe_folder(folder: Path, option: str, target: Path) -> None:
    """Create and delete a file in ``folder``: the only test that also sees read-only
    file systems, quotas and full disks as the real write will."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".pyengine-probe-", dir=folder)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        message = f"{option} {target}: cannot write in folder {folder} ({reason})"
        raise OutputError(message) from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
