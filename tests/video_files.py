"""Video files as phones write them, for tests: the display matrix of an MP4 track."""

from __future__ import annotations

from pathlib import Path

FIX = 1 << 16
#: MP4 ``tkhd`` display matrices (a, b, u, c, d, v, x, y, w; a-d in 16.16 fixed point).
DISPLAY_MATRICES = {
    0: (FIX, 0, 0, 0, FIX, 0, 0, 0, 1 << 30),
    90: (0, FIX, 0, -FIX, 0, 0, 0, 0, 1 << 30),  # a phone held upright (portrait)
    180: (-FIX, 0, 0, 0, -FIX, 0, 0, 0, 1 << 30),
    270: (0, -FIX, 0, FIX, 0, 0, 0, 0, 1 << 30),
    "mirror": (-FIX, 0, 0, 0, FIX, 0, 0, 0, 1 << 30),
}


def set_display_matrix(path: Path, key) -> None:
    """Rewrite the video track's display matrix in place, as a phone would have written it."""
    import struct

    data = bytearray(path.read_bytes())
    containers = {b"moov", b"trak"}

    def tkhd_offsets(start: int, end: int):
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack(">I4s", data[pos : pos + 8])
            if kind in containers:
                yield from tkhd_offsets(pos + 8, pos + size)
            elif kind == b"tkhd":
                version = data[pos + 8]
                yield pos + 8 + 4 + (32 if version == 1 else 20) + 16
            pos += size

    offsets = list(tkhd_offsets(0, len(data)))
    assert offsets, "no track header found"
    data[offsets[0] : offsets[0] + 36] = struct.pack(">9i", *DISPLAY_MATRICES[key])
    path.write_bytes(bytes(data))
