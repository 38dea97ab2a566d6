"""Run a command that sees one folder as read-only, also when the tests run as root.

File permissions do not stop root, so as root the folder is bind-mounted read-only in a
private mount namespace (``unshare -m``) that only the command lives in: it sees
``EROFS`` as on a read-only disk, and nothing changes for anyone else. As another user
the folder and its files are simply made read-only for the duration.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_MOUNT_READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Callable[[list[str]], list[str]]]:
    """Yield ``wrap(argv) -> argv`` running ``argv`` with ``folder`` read-only.

    Skips the test, with the reason, when this machine cannot make a folder read-only
    to a process (root without mount rights).
    """
    if os.geteuid() == 0:
        _require_private_mounts(folder)
        yield lambda argv: ["unshare", "-m", "sh", "-c", _MOUNT_READ_ONLY, str(folder), *argv]
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    write_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path, mode in modes.items():
        path.chmod(mode & ~write_bits)
    try:
        yield lambda argv: list(argv)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def _require_private_mounts(folder: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a folder read-only here")
    touch = ["sh", "-c", 'touch "$0/.probe"', str(folder)]
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", _MOUNT_READ_ONLY, str(folder), *touch],
        capture_output=True,
        text=True,
        check=False,
    )
    (folder / ".probe").unlink(missing_ok=True)
    if done.returncode == 0 or "Read-only file system" not in done.stderr:
        pytest.skip(f"running as root without mount rights: {done.stderr.strip() or 'no error'}")
