"""Exceptions with messages that name the problem (file, line, field, frame)."""

from __future__ import annotations


class PyengineError(Exception):
    """Base class of every error pyengine raises on purpose."""


class SampleFileError(PyengineError, ValueError):
    """A training-sample CSV (or folder of CSVs) is malformed."""


class InvalidPoseError(PyengineError, ValueError):
    """Landmarks that cannot be embedded: wrong shape, NaN/inf, or zero pose size."""


class UnknownClassError(PyengineError, KeyError):
    """A class name that the sample set does not contain."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class BackendError(PyengineError, RuntimeError):
    """A back end was asked for that cannot run here."""


class VideoError(PyengineError, OSError):
    """A video that does not exist, cannot be opened, or is corrupt or truncated."""


class CameraError(PyengineError, OSError):
    """No camera at that index, or no display to show it on."""


class ModelUnavailableError(PyengineError, RuntimeError):
    """A pose model that is not on this machine (MediaPipe would try to download it)."""


class TrainingFolderError(PyengineError, OSError):
    """A training folder that is missing, is not a folder, or cannot be written."""


class SettingsError(PyengineError, ValueError):
    """Settings that cannot work (a value out of range, or an impossible combination)."""


class UsageError(PyengineError, ValueError):
    """Command-line options that do not fit together (e.g. ``--out`` without a video)."""


class OutputError(PyengineError, OSError):
    """An output that cannot be written: a missing or read-only folder, a folder where a
    file should go, or the input itself."""


class LandmarkFileError(PyengineError, ValueError):
    """A landmark file that is missing, malformed, or of another format version."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it cleans up exactly as Ctrl-C does.

    Like :class:`KeyboardInterrupt` it is not an :class:`Exception`: code that handles
    errors does not swallow it. The command line exits with status 143 on it (130 on
    Ctrl-C).
    """


class WorkoutLogError(PyengineError, OSError):
    """A workout log that cannot be used: not SQLite, another program's, read-only, newer."""


class LiveProtocolError(PyengineError, ValueError):
    """A message the web app's live socket cannot accept (the socket closes with it)."""
