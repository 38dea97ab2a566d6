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
