"""Atomic output: whole files or none, with the permissions a plain open() would give."""

from __future__ import annotations

import os
import stat

import pytest

from pyengine._files import atomic_output, atomic_write_text


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_file_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.csv", "x\r\n")
        assert _mode(tmp_path / "a.csv") == 0o644
        os.umask(0o077)
        atomic_write_text(tmp_path / "b.csv", "y")
        assert _mode(tmp_path / "b.csv") == 0o600
    finally:
        os.umask(old)
    assert (tmp_path / "a.csv").read_bytes() == b"x\r\n"


def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "samples.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_output(target, "w") as out:
        out.write("new, half")
        raise RuntimeError("disk on fire")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["samples.csv"]
