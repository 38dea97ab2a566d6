"""What keeps ``pyengine serve`` safe by default.

- Bound to loopback, it answers only requests whose ``Host`` is a loopback name, so a web
  page elsewhere cannot reach it through DNS rebinding; bound beyond loopback it needs
  the access token it printed (as ``?token=`` once, then a cookie; or a bearer header).
- Uploads are sniffed from their first bytes: only known video containers are stored,
  before anything decodes them, under a name the server makes.
- A client's file name is only ever shown, never used as a path.

Imports nothing from pyengine.
"""

from __future__ import annotations

import ipaddress
import secrets
import unicodedata

#: Cookie that carries the access token after the first visit with ``?token=``.
TOKEN_COOKIE = "pyengine_token"
#: Bytes needed to recognise every container :func:`sniff_video` knows.
SNIFF_BYTES = 512
_MAX_NAME_CHARS = 120
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def new_token() -> str:
    """A fresh random access token (URL-safe)."""
    return secrets.token_urlsafe(24)


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the server's."""
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


def is_loopback_host(host: str) -> bool:
    """True for ``127.0.0.1``, ``::1``, ``localhost`` and the rest of the loopback range."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    """The host part of a ``Host`` header or an origin's netloc (no port, no brackets)."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8000
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def sniff_video(head: bytes) -> str | None:
    """The container of a video from its first bytes, as a file suffix, or None.

    Parameters
    ----------
    head : bytes
        The file's first :data:`SNIFF_BYTES` bytes (fewer for a short file).

    Returns
    -------
    str or None
        ``".mp4"``, ``".mov"``, ``".3gp"``, ``".webm"``, ``".mkv"``, ``".avi"``,
        ``".mpg"``, ``".ts"``, ``".ogv"``, ``".flv"`` or ``".y4m"``; None when the bytes
        are not one of these containers.
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return ".mov"
        return ".3gp" if brand.startswith(b"3g") else ".mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return ".mov"  # QuickTime files from before the ftyp box
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm" if b"webm" in head[:64] else ".mkv"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return ".avi"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return ".mpg"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return ".ts"
    if head.startswith(b"OggS"):
        return ".ogv"
    if head.startswith(b"FLV\x01"):
        return ".flv"
    if head.startswith(b"YUV4MPEG2 "):
        return ".y4m"
    return None


def display_name(client_name: str | None, fallback: str = "upload") -> str:
    """A client's file name made safe to show and to store: never a path.

    Keeps the last component after any ``/`` or ``\\``, drops control and format
    characters, and shortens it to 120 characters.
    """
    name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name in ("", ".", ".."):
        return fallback
    return name[:_MAX_NAME_CHARS]
