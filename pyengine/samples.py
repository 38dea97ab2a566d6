"""Training samples: loading and writing both on-disk formats of SPEC 2.

- **Single CSV** (the ML Kit app's ``fitness_pose_samples.csv``): rows
  ``sample_name,class_name,x1,y1,z1,...,x33,y33,z33``.
- **Folder of per-class CSVs** (what bootstrapping writes): ``<class_name>.csv`` files
  with rows ``sample_name,x1,y1,z1,...,x33,y33,z33``.

Coordinates are kept both as float32 landmarks and as the exact text they were read
from, so that converting between the two formats reproduces the rows byte for byte.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ._files import atomic_write_text
from .errors import SampleFileError, UnknownClassError
from .landmarks import N_DIMS, N_LANDMARKS, coordinate_name
from .sample_csv import (
    CLASS_CSV_HEAD,
    LINE_END,
    SINGLE_CSV_HEAD,
    CsvLine,
    csv_text,
    read_sample_csv,
)

DEFAULT_SAMPLES_FILE = "fitness_pose_samples.csv"
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class PoseSample:
    """One labelled pose: its name, class, float32 ``(33, 3)`` landmarks and origin."""

    name: str
    class_name: str
    landmarks: np.ndarray
    source: str


@dataclass(frozen=True, eq=False)
class SampleSet:
    """An ordered set of labelled poses (load order is the tie-break order of SPEC 4).

    Attributes
    ----------
    landmarks : numpy.ndarray
        float32 ``(S, 33, 3)``, read-only.
    names, labels, sources : tuple of str
        Per sample: its name, its class, and ``"file:line"`` where it was read.
    fields : tuple of tuple of str
        Per sample: the 99 coordinate fields exactly as they were written.
    line_ends : tuple of str
        Per sample: the line ending its row had (``"\\r\\n"``, ``"\\n"``, or ``""`` for a last
        line without one), so that rewriting a file reproduces it byte for byte.
    class_names : tuple of str
        The classes, in order of first appearance.
    class_ids : numpy.ndarray
        int32 ``(S,)`` index of each sample's class in ``class_names``.
    """

    landmarks: np.ndarray
    names: tuple[str, ...]
    labels: tuple[str, ...]
    sources: tuple[str, ...]
    fields: tuple[tuple[str, ...], ...]
    line_ends: tuple[str, ...] = ()
    class_names: tuple[str, ...] = field(init=False)
    class_ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.names)
        if not self.line_ends:
            object.__setattr__(self, "line_ends", (LINE_END,) * n)
        if not (
            len(self.labels) == len(self.sources) == len(self.fields) == len(self.line_ends) == n
        ):
            raise ValueError(
                "names, labels, sources, fields and line_ends need one entry per sample"
            )
        if self.landmarks.shape != (n, N_LANDMARKS, N_DIMS):
            raise ValueError(f"landmarks must have shape ({n}, 33, 3), got {self.landmarks.shape}")
        class_names = tuple(dict.fromkeys(self.labels))
        index = {name: i for i, name in enumerate(class_names)}
        class_ids = np.array([index[c] for c in self.labels], dtype=np.int32)
        landmarks = np.ascontiguousarray(self.landmarks, dtype=np.float32)
        landmarks.flags.writeable = False
        class_ids.flags.writeable = False
        object.__setattr__(self, "landmarks", landmarks)
        object.__setattr__(self, "class_names", class_names)
        object.__setattr__(self, "class_ids", class_ids)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> PoseSample:
        return PoseSample(self.names[i], self.labels[i], self.landmarks[i], self.sources[i])

    def __iter__(self) -> Iterator[PoseSample]:
        return (self[i] for i in range(len(self)))

    def class_counts(self) -> dict[str, int]:
        """Number of samples per class, in class order."""
        counts = np.bincount(self.class_ids, minlength=len(self.class_names))
        return {c: int(k) for c, k in zip(self.class_names, counts)}

    def require_class(self, class_name: str) -> None:
        """Raise :class:`UnknownClassError` unless ``class_name`` is one of the classes."""
        if class_name not in self.class_names:
            raise UnknownClassError(
                f"unknown class {class_name!r}; the samples have: {', '.join(self.class_names)}"
            )

    def select(self, keep: Sequence[int] | np.ndarray) -> SampleSet:
        """A new set with only the samples at indices ``keep`` (in that order)."""
        keep = [int(i) for i in keep]
        return SampleSet(
            landmarks=self.landmarks[keep],
            names=tuple(self.names[i] for i in keep),
            labels=tuple(self.labels[i] for i in keep),
            sources=tuple(self.sources[i] for i in keep),
            fields=tuple(self.fields[i] for i in keep),
            line_ends=tuple(self.line_ends[i] for i in keep),
        )

    @classmethod
    def from_arrays(
        cls, landmarks: np.ndarray, labels: Sequence[str], names: Sequence[str] | None = None
    ) -> SampleSet:
        """Build a set from float ``(S, 33, 3)`` landmarks and a class label per sample."""
        landmarks = np.asarray(landmarks, dtype=np.float32)
        if landmarks.ndim != 3 or landmarks.shape[1:] != (N_LANDMARKS, N_DIMS):
            raise ValueError(f"landmarks must have shape (S, 33, 3), got {landmarks.shape}")
        if not np.isfinite(landmarks).all():
            bad = int(np.argwhere(~np.isfinite(landmarks).reshape(len(landmarks), -1).all(1))[0][0])
            raise ValueError(f"sample {bad} has a NaN or infinite coordinate")
        n = len(landmarks)
        if len(labels) != n:
            raise ValueError(f"{n} poses but {len(labels)} labels")
        names = tuple(names) if names is not None else tuple(f"sample_{i}" for i in range(n))
        return cls(
            landmarks=landmarks,
            names=names,
            labels=tuple(labels),
            sources=tuple(f"<array>:{i}" for i in range(n)),
            fields=tuple(
                tuple(format_coordinate(v) for v in row) for row in landmarks.reshape(n, -1)
            ),
        )


def format_coordinate(value: float) -> str:
    """Shortest text that reads back as the same float32 (``1251.0012``, not ``1251.00122...``)."""
    return np.format_float_positional(np.float32(value), unique=True, trim="-")


# ---------------------------------------------------------------- reading


def load_samples(path: str | os.PathLike[str]) -> SampleSet:
    """Load training samples from a single CSV or a folder of per-class CSVs.

    Parameters
    ----------
    path : str or os.PathLike
        A file in the single-CSV format, or a folder holding ``<class_name>.csv`` files
        (read in sorted file-name order).

    Returns
    -------
    SampleSet

    Raises
    ------
    SampleFileError
        The path does not exist, holds no samples, or a row is malformed (the message
        names the file, the line and the field).
    """
    path = Path(path)
    if path.is_dir():
        return _load_folder(path)
    if not path.exists():
        raise SampleFileError(f"{path}: no such file or folder")
    return _load_rows(_read_rows(path, with_class=True))


def default_samples() -> SampleSet:
    """The bundled ML Kit sample set (812 poses; squats and push-ups, up and down).

    From Google's ML Kit vision-quickstart sample, Apache-2.0; see ``pyengine/data/NOTICE``.
    """
    ref = resources.files("pyengine") / "data" / DEFAULT_SAMPLES_FILE
    with resources.as_file(ref) as file:
        return load_samples(file)


def _load_folder(folder: Path) -> SampleSet:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise SampleFileError(f"{folder}: folder holds no <class_name>.csv files")
    rows: list[_Row] = []
    for file in files:
        rows.extend(_read_rows(file, with_class=False, class_name=file.stem))
    return _load_rows(rows)


@dataclass(frozen=True)
class _Row:
    name: str
    class_name: str
    fields: tuple[str, ...]
    values: tuple[float, ...]
    source: str
    line_end: str


def _read_rows(file: Path, *, with_class: bool, class_name: str = "") -> list[_Row]:
    n_head = SINGLE_CSV_HEAD if with_class else CLASS_CSV_HEAD
    lines = read_sample_csv(file, n_head=n_head).rows
    rows = [_parse_row(file, line, n_head, class_name) for line in lines]
    if not rows:
        raise SampleFileError(f"{file}: file is empty (no sample rows)")
    return rows


def _parse_row(file: Path, line: CsvLine, n_head: int, class_name: str) -> _Row:
    where = f"{file}:{line.number}"
    if n_head == SINGLE_CSV_HEAD:
        class_name = line.fields[1].strip()
    coordinates = tuple(f.strip() for f in line.fields[n_head:])
    values = tuple(_parse_coordinate(where, n_head, i, text) for i, text in enumerate(coordinates))
    return _Row(line.name, class_name, coordinates, values, where, line.end)


def _parse_coordinate(where: str, n_head: int, column: int, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or abs(value) > _FLOAT32_MAX:
        problem = "is not a number" if value is None else "is not finite"
        raise SampleFileError(
            f"{where}: field {n_head + column + 1} ({coordinate_name(column)}) {problem}: {text!r}"
        )
    return value


def _load_rows(rows: list[_Row]) -> SampleSet:
    landmarks = np.array([r.values for r in rows], dtype=np.float32)
    return SampleSet(
        landmarks=landmarks.reshape(len(rows), N_LANDMARKS, N_DIMS),
        names=tuple(r.name for r in rows),
        labels=tuple(r.class_name for r in rows),
        sources=tuple(r.source for r in rows),
        fields=tuple(r.fields for r in rows),
        line_ends=tuple(r.line_end for r in rows),
    )


# ---------------------------------------------------------------- writing


def write_single_csv(samples: SampleSet, path: str | os.PathLike[str]) -> None:
    """Write ``samples`` in the single-CSV (ML Kit) format, atomically."""
    rows = [([n, label, *f], end) for n, label, f, end in _rows(samples)]
    atomic_write_text(Path(path), csv_text(rows))


def write_class_folder(samples: SampleSet, folder: str | os.PathLike[str]) -> list[Path]:
    """Write ``samples`` as ``<class_name>.csv`` files in ``folder``, each atomically.

    Returns the files written, in class order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for class_name in samples.class_names:
        rows = [([n, *f], end) for n, label, f, end in _rows(samples) if label == class_name]
        file = folder / f"{class_name}.csv"
        atomic_write_text(file, csv_text(rows))
        written.append(file)
    return written


def _rows(samples: SampleSet) -> Iterator[tuple[str, str, tuple[str, ...], str]]:
    return zip(samples.names, samples.labels, samples.fields, samples.line_ends)
